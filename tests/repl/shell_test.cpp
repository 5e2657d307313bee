#include "shell.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "generation_settings.h"
#include "poet/engine/error.h"
#include "poet/engine/plugins/decoders.h"
#include "words.h"

namespace poet::repl {
namespace {

// A shell whose terminal writes into memory, in script mode.
struct ShellFixture : ::testing::Test {
  ShellFixture()
      : out(open_memstream(&out_buffer, &out_size)),
        err(open_memstream(&err_buffer, &err_size)),
        terminal(out, err, /*interactive=*/false),
        engine(DeviceChoice::cpu),
        decoders({POET_BUILT_IN_DECODERS}),
        shell(terminal, engine, decoders) {}
  ~ShellFixture() override {
    std::fclose(out);
    std::fclose(err);
    std::free(out_buffer);
    std::free(err_buffer);
  }
  std::string printed() { return std::fflush(out), std::string(out_buffer, out_size); }
  std::string diagnosed() { return std::fflush(err), std::string(err_buffer, err_size); }

  char* out_buffer = nullptr;
  char* err_buffer = nullptr;
  std::size_t out_size = 0, err_size = 0;
  std::FILE* out;
  std::FILE* err;
  Terminal terminal;
  Engine engine;
  DecoderSet decoders;
  Shell shell;
};

TEST(CommandTable, EveryCommandHasUsageSummaryAndOneHelpLinePerOption) {
  for (const auto& command : command_table()) {
    EXPECT_EQ(usage(command).substr(0, command.name.size()), command.name);
    EXPECT_FALSE(command.summary.empty()) << command.name;
    EXPECT_LE(command.min_args, command.max_args) << command.name;
    for (const Option& option : command.options) {
      EXPECT_FALSE(option.help.empty()) << command.name << " " << option.name;
      EXPECT_EQ(option.help.find('\n'), std::string_view::npos)
          << command.name << " " << option.name;
      EXPECT_NE(usage(command).find(fmt::format("[{} {}]", option.name, option.value)),
                std::string::npos);
      EXPECT_NE(help(command).find(option.help), std::string::npos)
          << command.name << " " << option.name;
    }
  }
}

TEST(CommandTable, GenAndSetReadTheSameSettings) {
  const Command& gen = *std::find_if(command_table().begin(), command_table().end(),
                                     [](const Command& c) { return c.name == "gen"; });
  for (const Setting& setting : setting_table()) {
    if (setting.option.empty()) continue;
    EXPECT_TRUE(std::any_of(gen.options.begin(), gen.options.end(), [&](const Option& o) {
      return o.name == setting.option && o.help == setting.help;
    })) << setting.option;
  }
}

TEST(HelpText, ListsEveryCommandFromTheTable) {
  const std::string text = help_text();
  for (const auto& command : command_table()) {
    EXPECT_NE(text.find("\n  " + std::string(command.name)), std::string::npos) << command.name;
    EXPECT_NE(text.find(command.summary), std::string::npos) << command.name;
  }
  EXPECT_NE(text.find("  train [status|stop] [options]  "), std::string::npos)
      << "options fold into [options]:\n"
      << text;
  EXPECT_NE(help_text("train").find("usage: train [status|stop] [--corpus FILE]"),
            std::string::npos);
  EXPECT_NE(help_text("train").find("\n  --steps N "), std::string::npos) << help_text("train");
}

TEST(HelpText, ExplainsOneCommandOrSuggestsTheClosest) {
  EXPECT_NE(help_text("quit").find("usage: quit"), std::string::npos);
  try {
    help_text("qit");
    FAIL() << "help for an unknown command must fail";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "no command 'qit' (did you mean 'quit'?)");
  }
}

TEST_F(ShellFixture, RunsHelpAndQuit) {
  EXPECT_EQ(shell.execute("help"), Outcome::ok);
  EXPECT_NE(printed().find("Commands:"), std::string::npos);
  EXPECT_EQ(shell.execute("quit"), Outcome::quit);
  EXPECT_EQ(diagnosed(), "");
}

TEST_F(ShellFixture, IgnoresBlankLinesAndComments) {
  EXPECT_EQ(shell.execute("   "), Outcome::ok);
  EXPECT_EQ(shell.execute("  # a comment in a script"), Outcome::ok);
  EXPECT_EQ(printed() + diagnosed(), "");
}

TEST_F(ShellFixture, ReportsUnknownCommandsWithTheirInputLine) {
  terminal.set_line(3);
  EXPECT_EQ(shell.execute("hlep"), Outcome::failed);
  EXPECT_EQ(diagnosed(),
            "input line 3: unknown command 'hlep' (did you mean 'help'?); type 'help' for the list\n");
  EXPECT_EQ(shell.execute("help"), Outcome::ok);  // the shell goes on after an error
}

TEST_F(ShellFixture, ChecksTheNumberOfArguments) {
  terminal.set_line(1);
  EXPECT_EQ(shell.execute("quit now"), Outcome::failed);
  EXPECT_EQ(diagnosed(), "input line 1: usage: quit\n");
}

TEST_F(ShellFixture, ModelWithNothingLoadedSaysSo) {
  EXPECT_EQ(shell.execute("model"), Outcome::ok);
  EXPECT_EQ(printed(), "no model is loaded; try 'load <checkpoint>'\n");
}

TEST_F(ShellFixture, FailedLoadIsAnErrorNamingTheFile) {
  terminal.set_line(4);
  EXPECT_EQ(shell.execute("load /nonexistent/model.ckpt"), Outcome::failed);
  EXPECT_EQ(
      diagnosed(),
      "input line 4: cannot read checkpoint '/nonexistent/model.ckpt': No such file or directory\n");
  EXPECT_EQ(shell.execute("reload"), Outcome::failed);
}

TEST_F(ShellFixture, ReportsBadQuoting) {
  terminal.set_line(2);
  EXPECT_EQ(shell.execute("help \"quit"), Outcome::failed);
  EXPECT_EQ(diagnosed(), "input line 2: unterminated \" quote\n");
}

// What Tab offers after the text before the cursor.
std::vector<std::string> tab(Shell& shell, std::string_view before) {
  auto offered = completions(shell, before);
  return offered ? *offered : std::vector<std::string>{"<file names>"};
}

bool offers(const std::vector<std::string>& offered, const std::string& candidate) {
  return std::find(offered.begin(), offered.end(), candidate) != offered.end();
}

TEST_F(ShellFixture, TabCompletesCommandsOptionsDecodersAndSettings) {
  EXPECT_TRUE(offers(tab(shell, ""), "acrostic"));
  EXPECT_TRUE(offers(tab(shell, "help "), "settings"));
  EXPECT_EQ(tab(shell, "use "), (std::vector<std::string>{"beam", "greedy", "temperature"}));
  EXPECT_TRUE(offers(tab(shell, "gen 月 "), "--temperature"));  // the current decoder's parameters
  EXPECT_TRUE(offers(tab(shell, "gen 月 "), "--mood"));
  EXPECT_TRUE(offers(tab(shell, "gen 月 --decoder beam "), "--no-repeat-line"));
  EXPECT_FALSE(offers(tab(shell, "gen 月 --decoder beam "), "--temperature"));
  EXPECT_TRUE(offers(tab(shell, "acrostic 春夏 "), "--top-p"));  // acrostic writes with any decoder
  EXPECT_TRUE(
      offers(tab(shell, "gen 月 "), "--beam"));  // beam search's alias, from another decoder
  EXPECT_TRUE(offers(tab(shell, "gen 月 --beam 4 "), "--length-penalty"));
  EXPECT_TRUE(offers(tab(shell, "gen 月 --form "), "七律"));
  EXPECT_TRUE(offers(tab(shell, "set "), "top-p"));
  EXPECT_TRUE(offers(tab(shell, "set "), "beam.width"));
  EXPECT_EQ(tab(shell, "set tones "), (std::vector<std::string>{"off", "loose", "strict"}));
  EXPECT_EQ(tab(shell, "set beam.no-repeat-line "), (std::vector<std::string>{"on", "off"}));
  EXPECT_EQ(tab(shell, "decoders "), std::vector<std::string>{"reload"});
  EXPECT_EQ(tab(shell, "load "), std::vector<std::string>{"<file names>"});
  EXPECT_EQ(tab(shell, "train --resume "), std::vector<std::string>{"<file names>"});
  EXPECT_TRUE(offers(tab(shell, "train "), "--steps"));
  EXPECT_TRUE(tab(shell, "frobnicate ").empty());
}

TEST_F(ShellFixture, SetChecksValuesAgainstTheDecodersRanges) {
  terminal.set_line(1);
  EXPECT_EQ(shell.execute("set top-k 2.5"), Outcome::failed);
  EXPECT_EQ(shell.execute("set beam.width 65"), Outcome::failed);
  EXPECT_EQ(shell.execute("set rhyme 不存在"), Outcome::failed);
  EXPECT_EQ(shell.execute("set seed -1"), Outcome::failed);
  EXPECT_EQ(shell.execute("set count 0"), Outcome::failed);
  EXPECT_EQ(diagnosed(),
            "input line 1: top-k must be a whole number from 0 to 100000, not '2.5'\n"
            "input line 1: width must be a whole number from 1 to 64, not '65'\n"
            "input line 1: rhyme is auto, off or a group of 平水韵 (一东 ... 十五咸), not '不存在'\n"
            "input line 1: a seed is a whole number from 0 to 2^64-1, not '-1'\n"
            "input line 1: the number of poems is a whole number from 1 to 100, not '0'\n");
  EXPECT_EQ(shell.settings().metre.rhyme, "auto");  // a refused value keeps the old one
  EXPECT_EQ(shell.execute("set top-p 0.5"), Outcome::ok);
  EXPECT_EQ(shell.settings().values(*shell.decoders().find("temperature"))[2], 0.5);
}

// A value is kept under its parameter's stable id (poet.param-ids/1): a rebuilt plugin that
// renames "depth" to "deep" and puts it second still gets what the user set.
TEST(Settings, AParameterKeepsItsValueWhenARebuiltPluginRenamesAndMovesIt) {
  const DecoderSet before({std::filesystem::path(POET_TEST_PLUGINS "/param_ids_v1")});
  const DecoderSet after({std::filesystem::path(POET_TEST_PLUGINS "/param_ids_v2")});
  const auto old_ids = before.find("ids"), new_ids = after.find("ids");
  ASSERT_TRUE(old_ids && new_ids) << (before.refused().empty() ? "" : before.refused()[0].reason);
  ASSERT_EQ(old_ids->params()[0].name, "depth");
  ASSERT_EQ(new_ids->params()[1].name, "deep");
  Settings settings;
  settings.set_param(*old_ids, *old_ids->param("depth"), 5);
  EXPECT_EQ(settings.values(*old_ids), (std::vector<double>{5, 2}));
  EXPECT_EQ(settings.values(*new_ids), (std::vector<double>{2, 5}));  // breadth, deep
  settings.set_param(*new_ids, *new_ids->param("breadth"), 8);
  EXPECT_EQ(settings.values(*old_ids), (std::vector<double>{5, 8}));
}

}  // namespace
}  // namespace poet::repl
