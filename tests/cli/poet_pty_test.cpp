// poet at a real (pseudo-)terminal: the prompt, Ctrl-C, and history across runs.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "poet_runs.h"
#include "pty_session.h"

namespace poet {
namespace {

std::map<std::string, std::string> environment(const std::string& name) {
  return {{"TERM", "xterm"}, {"NO_COLOR", "1"}, {"XDG_DATA_HOME", test::fresh_dir(name).string()}};
}

// Waits for the prompt, and for libedit to read keys: it prints "> " before it puts the terminal
// into its own mode, and keys typed in between would be read as a line of their own.
bool at_prompt(test::PtySession& poet) {
  return poet.wait_for("> ") && poet.wait_for_line_editing();
}

TEST(PoetPrompt, GreetsRunsCommandsAndCtrlCAtThePromptDoesNotEndIt) {
  test::PtySession poet(POET_EXECUTABLE, {}, environment("prompt"));
  ASSERT_TRUE(poet.wait_for("Type 'help' for the commands")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("hel");
  ASSERT_TRUE(poet.wait_for("hel")) << "running: " << poet.running() << "\n" << poet.output();
  poet.type("\x03");  // Ctrl-C drops the half-typed line
  ASSERT_TRUE(at_prompt(poet)) << "running: " << poet.running() << "\n" << poet.output();
  EXPECT_TRUE(poet.running());
  poet.type("help\r");
  ASSERT_TRUE(poet.wait_for("Commands:")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("quit\r");
  EXPECT_EQ(poet.wait_exit(), 0) << poet.output();
}

TEST(PoetPrompt, CtrlCStopsAPoemAndReturnsToThePrompt) {
  test::PtySession poet(POET_EXECUTABLE, {"--model", test::tiny_model().string()},
                        environment("stop"));
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("gen 月 -n 100 --form 七律 --beam 64\r");
  ASSERT_TRUE(poet.wait_for("。")) << poet.output();
  poet.type("\x03");
  ASSERT_TRUE(poet.wait_for("error: stopped")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("settings\r");
  ASSERT_TRUE(poet.wait_for("decoder     temperature")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("\x04");  // Ctrl-D leaves
  EXPECT_EQ(poet.wait_exit(), 0) << poet.output();
}

TEST(PoetPrompt, CtrlCStopsAnIsolatedPluginThatNeverAsks) {
  test::PtySession poet(
      POET_EXECUTABLE,
      {"--model", test::tiny_model().string(), "--plugin-dir", POET_TEST_PLUGINS "/isolation"},
      environment("stop-plugin"));
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("gen 月 --decoder crashy --mode hang\r");
  // The line read (a Ctrl-C before then would flush it from the terminal), then Ctrl-C until it
  // is heard: one pressed before the command has started is not for it. Each is heard well
  // within the plugin's silence limit (60 s), which would stop it anyway.
  ASSERT_TRUE(poet.wait_for("--mode hang\r\n")) << poet.output();
  const auto pressed = std::chrono::steady_clock::now();
  do {
    poet.type("\x03");
  } while (!poet.wait_for("error: stopped", std::chrono::seconds(2)) &&
           std::chrono::steady_clock::now() - pressed < std::chrono::seconds(30));
  ASSERT_LT(std::chrono::steady_clock::now() - pressed, std::chrono::seconds(30)) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("gen 月 --decoder crashy --mode write\r");
  ASSERT_TRUE(poet.wait_for("crashy, seed")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("\x04");
  EXPECT_EQ(poet.wait_exit(), 0) << poet.output();
}

TEST(PoetPrompt, TabCompletesAfterChineseText) {
  test::PtySession poet(POET_EXECUTABLE, {"--model", test::tiny_model().string()},
                        environment("tab"));
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("gen 月 --form 五绝 --decoder gre");
  ASSERT_TRUE(poet.wait_for("gre")) << poet.output();
  poet.type("\t");  // completes to "greedy "
  ASSERT_TRUE(poet.wait_for("edy ")) << poet.output();
  poet.type("\r");
  ASSERT_TRUE(poet.wait_for("greedy, seed")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("quit\r");
  EXPECT_EQ(poet.wait_exit(), 0) << poet.output();
}

TEST(PoetPrompt, TrainsInTheBackgroundWhileGenKeepsWriting) {
  const auto dir = test::fresh_dir("background");
  const auto config = test::small_config(dir, {{"checkpoint_every", "20"}, {"eval_every", "20"}});
  const std::string out = (dir / "bg.ckpt").string();
  test::PtySession poet(POET_EXECUTABLE, {"--model", test::tiny_model().string()},
                        environment("background-home"));
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("set autoreload on\r");
  ASSERT_TRUE(poet.wait_for("autoreload on")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("train --corpus " POET_CORPORA_DIR "/fixture.tsv --steps 100000 --config " +
            config.string() + " --out " + out + "\r");
  ASSERT_TRUE(poet.wait_for("training in the background, writing " + out)) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("gen 月 --form 五绝 --seed 1\r");  // the loaded model writes while the new one trains
  ASSERT_TRUE(poet.wait_for("temperature, seed 1")) << poet.output();
  ASSERT_TRUE(poet.wait_for_anywhere("saved " + out + " (step 20) and loaded it")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("train status\r");
  ASSERT_TRUE(poet.wait_for("training " + out + ": step ")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("train stop\r");
  ASSERT_TRUE(poet.wait_for("training stopped at step")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("model\r");
  ASSERT_TRUE(poet.wait_for(out + "\r\n  model       GRU, 2 layers of 32")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("quit\r");
  EXPECT_EQ(poet.wait_exit(), 0) << poet.output();
  // `train stop` says how the run ended once, not again as a notice.
  const std::string& all = poet.output();
  EXPECT_EQ(all.find("training stopped at step"), all.rfind("training stopped at step")) << all;
}

// Isolated plugins that crash, abort, allocate without end or hang, and a damaged plugin file:
// each costs its own poem, never the session, a built-in decoder, or training in the background.
TEST(PoetPrompt, BrokenPluginsCostTheirPoemNeverTheSessionOrTraining) {
  const auto dir = test::fresh_dir("broken-plugins");
  const auto config =
      test::small_config(dir, {{"checkpoint_every", "1000"}, {"eval_every", "1000"}});
  std::ofstream(config, std::ios::app) << "[plugins]\nmemory_limit = \"256M\"\nsilence_limit = 10\n";
  const auto plugins = dir / "plugins";
  std::filesystem::create_directory(plugins);
  const std::filesystem::path crashy = POET_TEST_PLUGINS "/isolation/test_crashy.so";
  std::filesystem::copy_file(crashy, plugins / "crashy.so");
  std::filesystem::copy_file(crashy, plugins / "damaged.so");
  std::filesystem::resize_file(plugins / "damaged.so", 4096);  // cut off mid-file, as a bad copy
  const std::string out = (dir / "bg.ckpt").string();

  test::PtySession poet(POET_EXECUTABLE,
                        {"--model", test::tiny_model().string(), "--config", config.string(),
                         "--plugin-dir", plugins.string()},
                        environment("broken-plugins-home"));
  ASSERT_TRUE(poet.wait_for("damaged.so refused: crashed while loading (SIGBUS, bus error)"))
      << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("train --corpus " POET_CORPORA_DIR "/fixture.tsv --steps 600 --out " + out + "\r");
  ASSERT_TRUE(poet.wait_for("training in the background, writing " + out)) << poet.output();
  const std::pair<std::string, std::string> failures[] = {
      {"segfault", "decoder 'crashy' crashed (SIGSEGV, segmentation fault)"},
      {"abort", "decoder 'crashy' crashed (SIGABRT, aborted)"},
      {"allocate", "at its memory limit of"},
      {"hang", "decoder 'crashy' did not answer for 10 s and was stopped"}};
  for (const auto& [mode, message] : failures) {
    ASSERT_TRUE(at_prompt(poet)) << poet.output();
    poet.type("gen 月 --decoder crashy --mode " + mode + "\r");
    ASSERT_TRUE(poet.wait_for(message)) << mode << "\n" << poet.output();
    ASSERT_TRUE(at_prompt(poet)) << poet.output();
    poet.type("gen 月 --form 五绝 --decoder greedy\r");
    ASSERT_TRUE(poet.wait_for("greedy, seed")) << mode << "\n" << poet.output();
  }
  ASSERT_TRUE(poet.wait_for_anywhere("training trained at step 600", std::chrono::minutes(10)))
      << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("gen 月 --decoder crashy --mode write\r");  // a fresh process after all that
  ASSERT_TRUE(poet.wait_for("crashy, seed")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("load " + out + "\r");
  ASSERT_TRUE(poet.wait_for("loaded " + out)) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("quit\r");
  EXPECT_EQ(poet.wait_exit(), 0) << poet.output();
}

// `train --workers 2` at the prompt: the same background run, status and stop, on two processes.
TEST(PoetPrompt, TrainsWithTwoWorkersInTheBackground) {
  const auto dir = test::fresh_dir("background_workers");
  const auto config = test::small_config(dir, {{"checkpoint_every", "20"}, {"eval_every", "20"}});
  const std::string out = (dir / "bg.ckpt").string();
  test::PtySession poet(POET_EXECUTABLE, {"--no-model"}, environment("background-workers-home"));
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("train --corpus " POET_CORPORA_DIR "/fixture.tsv --steps 100000 --workers 2 --config " +
            config.string() + " --out " + out + "\r");
  ASSERT_TRUE(poet.wait_for("training in the background, writing " + out)) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  ASSERT_TRUE(poet.wait_for_anywhere("saved " + out + " (step 20)")) << poet.output();
  poet.type("train status\r");
  ASSERT_TRUE(poet.wait_for("training " + out + ": step ")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("train stop\r");
  ASSERT_TRUE(poet.wait_for("training stopped at step")) << poet.output();
  ASSERT_TRUE(at_prompt(poet)) << poet.output();
  poet.type("quit\r");
  EXPECT_EQ(poet.wait_exit(), 0) << poet.output();
}

TEST(PoetPrompt, ColoursErrorsOnATerminalUnlessNoColorIsSet) {
  auto env = environment("colour");
  env["NO_COLOR"] = "";  // empty counts as unset
  test::PtySession coloured(POET_EXECUTABLE, {}, env);
  ASSERT_TRUE(at_prompt(coloured)) << coloured.output();
  coloured.type("frobnicate\r");
  EXPECT_TRUE(coloured.wait_for("\x1b[31merror:\x1b[0m unknown command 'frobnicate'"))
      << coloured.output();
  // check colours a fault: 月 where 春望's last rhyme should be.
  const std::string poem =
      "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜"
      "月。";
  ASSERT_TRUE(at_prompt(coloured)) << coloured.output();
  coloured.type("check " + poem + "\r");
  EXPECT_TRUE(coloured.wait_for("\x1b[31m月\x1b[0m")) << coloured.output();

  test::PtySession plain(POET_EXECUTABLE, {}, environment("no-colour"));
  ASSERT_TRUE(at_prompt(plain)) << plain.output();
  plain.type("frobnicate\r");
  EXPECT_TRUE(plain.wait_for("\r\nerror: unknown command 'frobnicate'")) << plain.output();
  ASSERT_TRUE(at_prompt(plain)) << plain.output();
  plain.type("check " + poem + "\r");
  EXPECT_TRUE(plain.wait_for("does not rhyme in")) << plain.output();
  EXPECT_EQ(plain.output().find("\x1b[31m月"), std::string::npos) << plain.output();
}

TEST(PoetPrompt, KeepsHistoryAcrossRuns) {
  const auto env = environment("history");
  {
    test::PtySession first(POET_EXECUTABLE, {}, env);
    ASSERT_TRUE(at_prompt(first));
    first.type("help quit\r");
    ASSERT_TRUE(first.wait_for("usage: quit"));
    ASSERT_TRUE(at_prompt(first));
    first.type("quit\r");
    ASSERT_EQ(first.wait_exit(), 0) << first.output();
  }
  test::PtySession second(POET_EXECUTABLE, {}, env);
  ASSERT_TRUE(at_prompt(second));
  second.type("\x1b[A\x1b[A\r");  // up twice: "help quit", from the first run
  EXPECT_TRUE(second.wait_for("usage: quit")) << second.output();
  ASSERT_TRUE(at_prompt(second));
  second.type("quit\r");
  EXPECT_EQ(second.wait_exit(), 0) << second.output();
}

}  // namespace
}  // namespace poet
