// poet driven as a script would drive it: commands on standard input or -c, results on standard
// output, diagnostics on standard error, the exit status telling whether everything worked.

#include <gtest/gtest.h>

#include "subprocess.h"

namespace poet {
namespace {

test::Completed poet(const std::vector<std::string>& args, const std::string& input = {}) {
  return test::run_program(POET_EXECUTABLE, args, input);
}

TEST(PoetScript, RunsCommandsFromStandardInputWithoutBannerOrPrompt) {
  const auto run = poet({}, "help\nquit\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("Commands:\n", 0), 0u) << run.out;  // no banner, no "> " first
  EXPECT_EQ(run.out.find("> "), std::string::npos);
  EXPECT_EQ(run.err, "");
}

TEST(PoetScript, EndOfInputEndsTheSession) {
  const auto run = poet({}, "help quit\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("usage: quit"), std::string::npos);
}

TEST(PoetScript, FailedCommandSetsExitStatusAndLaterCommandsStillRun) {
  const auto run = poet({}, "help\nfrobnicate\nhelp quit\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "line 2: unknown command 'frobnicate'; type 'help' for the list\n");
  EXPECT_NE(run.out.find("usage: quit"), std::string::npos) << "line 3 must still run";
}

TEST(PoetScript, BailStopsAtTheFirstFailure) {
  const auto run = poet({"--bail"}, "hepl\nhelp quit\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "line 1: unknown command 'hepl' (did you mean 'help'?); type 'help' for the list\n");
  EXPECT_EQ(run.out, "");
}

TEST(PoetScript, QuitStopsReadingInput) {
  const auto run = poet({}, "quit\nnonsense\n");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err, "");
}

TEST(PoetScript, DashCRunsItsCommandsInsteadOfStandardInput) {
  const auto run = poet({"-c", "help quit", "-c", "help help"}, "nonsense\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("usage: quit"), std::string::npos);
  EXPECT_NE(run.out.find("usage: help"), std::string::npos);
}

TEST(PoetOptions, VersionAndHelp) {
  const auto version = poet({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("poet ", 0), 0u);
  const auto help = poet({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: poet"), std::string::npos);
}

TEST(PoetOptions, UnknownOptionIsAUsageErrorWithASuggestion) {
  const auto run = poet({"--versoin"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err.rfind("poet: unknown option '--versoin' (did you mean '--version'?)\n", 0), 0u)
      << run.err;
}

TEST(PoetOptions, DashCWithoutCommandIsAUsageError) {
  const auto run = poet({"-c"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err.rfind("poet: missing command after '-c'\n", 0), 0u) << run.err;
}

}  // namespace
}  // namespace poet
