// Training through poet as a script runs it: to completion, progress on standard error, and a
// checkpoint that survives even SIGKILL.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "poet_runs.h"
#include "scratch.h"

namespace poet {
namespace {

namespace fs = std::filesystem;
using test::small_config;

const std::string kFixture = std::string(POET_CORPORA_DIR) + "/fixture.tsv";

std::int64_t steps_trained(const fs::path& checkpoint) {
  const auto run =
      test::run_program(POET_EXECUTABLE, {"--model", checkpoint.string(), "-c", "model"});
  std::smatch match;
  const std::regex trained("trained +([0-9]+) steps");
  if (run.exit_code != 0 || !std::regex_search(run.out, match, trained)) return -1;
  return std::stoll(match[1]);
}

TEST(PoetTrain, TrainsAsAScriptCommandAndTheResultLoads) {
  const auto dir = test::fresh_dir("train_script");
  const auto out = dir / "m.ckpt";
  const auto run = test::run_program(
      POET_EXECUTABLE, {"-c", fmt::format("train --corpus {} --steps 4 --config {} --out {}",
                                          kFixture, small_config(dir).string(), out.string())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind(fmt::format("trained at step 4, best validation perplexity "), 0), 0u)
      << run.out;
  EXPECT_NE(run.err.find(fmt::format("saved {} (step 4)", out.string())), std::string::npos)
      << run.err;
  EXPECT_TRUE(std::regex_search(
      run.err,
      std::regex("step 2/4  epoch 0\\.[0-9]+  loss [0-9.]+  [0-9]+ chars/s  0m[0-9]+s left\n")))
      << run.err;
  EXPECT_TRUE(fs::exists(dir / "m.best.ckpt"));
  EXPECT_TRUE(fs::exists(dir / "m.loss.csv"));
  EXPECT_EQ(steps_trained(out), 4);
}

TEST(PoetTrain, BadOptionsAndFilesAreOneLineErrors) {
  const auto dir = test::fresh_dir("train_errors");
  const auto run =
      test::run_program(POET_EXECUTABLE, {},
                        fmt::format("train --step 4\ntrain --steps many\ntrain --corpus "
                                    "{}/none.txt\ntrain --config {}/none.toml\nhelp train\n",
                                    dir.string(), dir.string()));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err,
            fmt::format("input line 1: unknown option '--step' (did you mean '--steps'?)\n"
                        "input line 2: --steps must be a positive whole number, not 'many'\n"
                        "input line 3: cannot read corpus '{0}/none.txt': No such file or directory\n"
                        "input line 4: cannot read config '{0}/none.toml': No such file or directory\n",
                        dir.string()));
  EXPECT_NE(run.out.find("usage: train"), std::string::npos);
}

// poet running `command` beside the test, its output discarded, for the test to kill.
pid_t start_training(const std::string& command) {
  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(POET_EXECUTABLE, POET_EXECUTABLE, "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

// Waits, up to a minute, until the checkpoint at `out` holds at least `steps` steps.
void wait_for_steps(const fs::path& out, std::int64_t steps) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (steps_trained(out) < steps && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Killed with SIGKILL in the middle of a run, training leaves its last checkpoint intact and
// resumes from it: at most the steps since that checkpoint are lost.
TEST(PoetTrain, SurvivesSigkillAndResumes) {
  const auto dir = test::fresh_dir("train_kill");
  const auto out = dir / "m.ckpt";
  const auto config = small_config(dir, {{"steps", "100000"}, {"checkpoint_every", "1"}});
  const pid_t pid = start_training(fmt::format("train --corpus {} --config {} --out {}", kFixture,
                                               config.string(), out.string()));
  wait_for_steps(out, 3);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  const std::int64_t saved = steps_trained(out);
  ASSERT_GE(saved, 3) << "the last checkpoint must load after SIGKILL";
  const auto run = test::run_program(
      POET_EXECUTABLE, {"-c", fmt::format("train --corpus {} --resume {} --steps {}", kFixture,
                                          out.string(), saved + 2)});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(
      run.err.find(fmt::format("resuming {} at step {} of {}", out.string(), saved, saved + 2)),
      std::string::npos)
      << run.err;
  EXPECT_EQ(steps_trained(out), saved + 2);
}

// `train --workers 2`: poet starts a second poet in its worker mode; the two split every batch.
TEST(PoetTrain, TrainsWithTwoWorkersAsAScriptAndTheResultLoads) {
  const auto dir = test::fresh_dir("train_workers");
  const auto out = dir / "m.ckpt";
  const auto run = test::run_program(
      POET_EXECUTABLE,
      {"-c", fmt::format("train --corpus {} --steps 4 --workers 2 --config {} --out {}", kFixture,
                         small_config(dir).string(), out.string())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("trained at step 4, best validation perplexity ", 0), 0u) << run.out;
  EXPECT_NE(run.err.find(fmt::format("saved {} (step 4)", out.string())), std::string::npos)
      << run.err;
  EXPECT_EQ(steps_trained(out), 4);
  const auto resumed = test::run_program(
      POET_EXECUTABLE,
      {"-c", fmt::format("train --resume {} --steps 6 --workers 2", out.string())});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(steps_trained(out), 6);
}

TEST(PoetTrain, WorkerOptionErrorsAreOneLine) {
  const auto run = test::poet({},
                              "train --world-size 0\n"
                              "train --workers 2 --world-size 3\n"
                              "train --rank 1 --world-size 2 --store 127.0.0.1:1 --corpus x.tsv\n"
                              "train --rank 1 --world-size 2 --store 127.0.0.1:99999\n"
                              "train --rank 1 --world-size 2 --store 127.0.0.1:1 --timeout 1\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(
      run.err,
      "input line 1: --world-size must be a positive whole number, not '0'\n"
      "input line 2: workers on other machines meet at a store: give its HOST:PORT (rank 0's address)\n"
      "input line 3: --corpus is for rank 0's train: worker 1 takes the run from rank 0\n"
      "input line 4: the store address '127.0.0.1:99999' has no port from 1 to 65535: give HOST:PORT, "
      "e.g. "
      "10.0.0.1:29500\n"
      "input line 5: worker 1 of 2 cannot reach the store at 127.0.0.1:1 within 1 s (is rank 0 started "
      "there?)\n");
}

// poet, rank 0, killed with SIGKILL: its worker notices at once and ends; the last checkpoint
// loads and resumes with two workers again.
TEST(PoetTrain, SigkillOfRankZeroEndsItsWorkerAndTheCheckpointResumes) {
  const auto dir = test::fresh_dir("train_workers_kill");
  const auto out = dir / "m.ckpt";
  const auto config = small_config(dir, {{"steps", "100000"}, {"checkpoint_every", "1"}});
  const pid_t pid = start_training(fmt::format("train --corpus {} --config {} --out {} --workers 2",
                                               kFixture, config.string(), out.string()));
  wait_for_steps(out, 2);
  const auto workers = test::child_processes(pid);
  ASSERT_EQ(workers.size(), 1u);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto killed = std::chrono::steady_clock::now();
  EXPECT_TRUE(test::process_ends(workers.front())) << "the worker outlived rank 0";
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count(), 30.0);

  const std::int64_t saved = steps_trained(out);
  ASSERT_GE(saved, 2) << "the last checkpoint must load after SIGKILL";
  const auto run = test::run_program(
      POET_EXECUTABLE,
      {"-c", fmt::format("train --resume {} --steps {} --workers 2", out.string(), saved + 2)});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(steps_trained(out), saved + 2);
}

TEST(PoetTrain, StatusAndStopWithoutARunSaySo) {
  const auto run = test::poet({}, "train status\ntrain stop\ntrain stop now\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err,
            "input line 1: no training has been started in this session\n"
            "input line 2: no training has been started in this session\n"
            "input line 3: usage: train stop\n");
}

}  // namespace
}  // namespace poet
