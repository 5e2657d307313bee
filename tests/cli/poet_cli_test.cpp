// poet driven as a script would drive it: commands on standard input or -c, results on standard
// output, diagnostics on standard error, the exit status telling whether everything worked.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>

#include "poet_runs.h"

namespace poet {
namespace {

using test::poet;

TEST(PoetScript, RunsCommandsFromStandardInputWithoutBannerOrPrompt) {
  const auto run = poet({}, "help\nquit\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("Commands:\n", 0), 0u) << run.out;  // no banner, no "> " first
  EXPECT_EQ(run.out.find("\n> "), std::string::npos) << "no prompt in script mode";
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
  EXPECT_EQ(run.err, "input line 2: unknown command 'frobnicate'; type 'help' for the list\n");
  EXPECT_NE(run.out.find("usage: quit"), std::string::npos) << "line 3 must still run";
}

TEST(PoetScript, BailStopsAtTheFirstFailure) {
  const auto run = poet({"--bail"}, "hepl\nhelp quit\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err,
            "input line 1: unknown command 'hepl' (did you mean 'help'?); type 'help' for the list\n");
  EXPECT_EQ(run.out, "");
}

TEST(PoetDecoders, ListsTheBuiltInDecodersWithTheirParameters) {
  const auto run = poet({"-c", "decoders"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  for (const char* expected :
       {"beam 1.2.0  ", "greedy 1.2.0  ", "\ntemperature 1.1.0  ", "    top-p        0.97    ",
        "    --beam N is --width N, whatever decoder gen would write with\n"}) {
    EXPECT_NE(run.out.find(expected), std::string::npos) << expected << " in\n" << run.out;
  }
}

TEST(PoetDecoders, RefusedPluginsAreReportedAndPoetCarriesOn) {
  const auto run =
      poet({"--plugin-dir", POET_TEST_PLUGINS "/refused", "-c", "decoders", "-c", "help quit"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("test_wrong_abi.so refused: it was built for decoder ABI version 101, but "
                         "this poet speaks versions 1 to 3\n"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("refused " POET_TEST_PLUGINS
                         "/refused/test_no_entry.so: exports no 'poet_decoder_entry'"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("usage: quit"), std::string::npos);
}

TEST(PoetDecoders, PluginPathAddsFoldersAndReloadReadsThemAgain) {
  const std::string path =
      std::string(POET_TEST_PLUGINS) + "/misbehave_v1:" + POET_TEST_PLUGINS + "/nowhere";
  setenv("POET_PLUGIN_PATH", path.c_str(), 1);
  const auto run = poet({"-c", "decoders reload"});
  unsetenv("POET_PLUGIN_PATH");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\nmisbehave 1  breaks the rules, for tests"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("/nowhere: no such folder"), std::string::npos) << run.out;
  EXPECT_EQ(poet({"-c", "decoders again"}).err, "input line 1: usage: decoders [reload]\n");
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

TEST(PoetOptions, OptionWithoutItsValueIsAUsageError) {
  for (const std::string option : {"-c", "--model", "--device"}) {
    const auto run = poet({option});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err.rfind("poet: missing value after '" + option + "'\n", 0), 0u) << run.err;
  }
}

TEST(PoetOptions, UnknownDeviceIsAUsageError) {
  const auto run = poet({"--device", "tpu"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err.rfind("poet: unknown device 'tpu': use auto, cpu or cuda\n", 0), 0u) << run.err;
}

const std::string kCheckpoint = std::string(POET_TEST_DATA_DIR) + "/formula_v1.ckpt";

TEST(PoetModel, LoadsAModelAtStartAndDescribesIt) {
  const auto run = poet({"--model", kCheckpoint, "--device", "cpu"}, "model\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(kCheckpoint), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("RNN, 1 layer of 4, embedding 4"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("vocabulary  6 characters (+4 special tokens)"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("trained     42 steps, validation perplexity 123.50"), std::string::npos)
      << run.out;
}

TEST(PoetModel, LoadsTheBundledModelUnlessToldOtherwise) {
  const auto bundled = poet({}, "model\n");
  EXPECT_EQ(bundled.exit_code, 0) << bundled.err;
  EXPECT_NE(bundled.out.find(std::string(POET_CORPORA_DIR) + "/tang.ckpt"), std::string::npos)
      << bundled.out;
  EXPECT_EQ(poet({"--no-model"}, "model\n").out, "no model is loaded; try 'load <checkpoint>'\n");
}

// The bundled model reads metre inputs: `model` says its validation figure reads them, and `eval`
// gives the headline figure (them blank) first and the conditioned one beside it.
TEST(PoetModel, TheBundledModelSaysWhatItsPerplexitiesRead) {
  const auto run =
      poet({}, "model\neval " + std::string(POET_CORPORA_DIR) + "/fixture.tsv --split valid\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("position and metre inputs 16"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(" (reading its metre inputs)\n"), std::string::npos) << run.out;
  std::smatch figures;
  ASSERT_TRUE(std::regex_search(
      run.out, figures,
      std::regex(
          "perplexity ([0-9.]+) with its metre inputs blank; ([0-9.]+) conditioned on the metre")))
      << run.out;
  EXPECT_NE(figures[1].str(), figures[2].str());
}

TEST(PoetModel, MissingCheckpointAtStartIsReportedAndTheSessionGoesOn) {
  const auto run = poet({"--model", "/nonexistent.ckpt"}, "model\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err,
            "error: cannot read checkpoint '/nonexistent.ckpt': No such file or directory\n");
  EXPECT_EQ(run.out, "no model is loaded; try 'load <checkpoint>'\n");
}

TEST(PoetModel, FailedLoadKeepsTheModelAndLaterCommandsRun) {
  const auto run = poet({}, "load " + kCheckpoint + "\nload " + std::string(POET_TEST_DATA_DIR) +
                                "/plain_with_errors.txt\nmodel\nreload\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "input line 2: '" + std::string(POET_TEST_DATA_DIR) +
                         "/plain_with_errors.txt' is not a poet checkpoint\n");
  EXPECT_NE(run.out.find("reloaded " + kCheckpoint), std::string::npos) << run.out;
}

// Run against Debian's reference BLAS (where libblas3 is installed), poet says so at start.
TEST(PoetRuntime, WarnsWhenTheReferenceBlasIsLoaded) {
  const std::string reference = "/usr/lib/x86_64-linux-gnu/blas";
  if (access((reference + "/libblas.so.3").c_str(), R_OK) != 0)
    GTEST_SKIP() << "no reference BLAS installed";
  const auto run = test::run_program(
      "/usr/bin/env", {"LD_LIBRARY_PATH=" + reference, POET_EXECUTABLE, "-c", "quit"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err.rfind(
                "warning: LibTorch is using the reference BLAS (" + reference + "/libblas.so.3", 0),
            0u)
      << run.err;
  EXPECT_NE(run.err.find("Install libopenblas0-pthread"), std::string::npos);
  EXPECT_EQ(poet({"-c", "quit"}).err, "") << "no warning with OpenBLAS";
}

TEST(PoetModel, CudaWithoutAGpuIsRefusedAtStart) {
  const auto run = poet({"--device", "cuda"}, "quit\n");
  if (run.exit_code == 0) GTEST_SKIP() << "this machine has a CUDA GPU";
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "poet: device 'cuda' was asked for, but LibTorch sees no CUDA GPU here\n");
}

}  // namespace
}  // namespace poet
