// What a hostile probe of poet found, through poet itself: plugins that write into poet's output,
// start processes that outlive them, or say things a terminal acts on; two runs into one
// checkpoint; a refused setting; eval of what it cannot score.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "poet_runs.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

const std::string kIsolation = POET_TEST_PLUGINS "/isolation";
const std::string kFixture = std::string(POET_CORPORA_DIR) + "/fixture.tsv";

// What a plugin writes reaches neither poet's output nor its terminal: each --json line is one
// object, and the plugin's 8 MB are counted in its poem's warning, cleaned and cut short.
TEST(PoetHostile, APluginsOutputNeverReachesPoetsOwn) {
  const auto run = test::poet({"--plugin-dir", kIsolation, "--json"},
                              "gen 月 --decoder crashy --mode chatter --chunk-mb 8\n"
                              "gen 月 --decoder crashy --mode write\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(run.err.find('\x1b'), std::string::npos);
  EXPECT_LT(run.out.size() + run.err.size(), 10'000u);
  std::istringstream lines(run.out);
  std::vector<nlohmann::json> poems;
  for (std::string line; std::getline(lines, line);) poems.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(poems.size(), 2u) << run.out;
  const auto warnings = poems[0].at("warnings").dump();
  EXPECT_NE(warnings.find("decoder 'crashy': wrote 8388634 bytes to its output: \uFFFD[2J"),
            std::string::npos)
      << warnings;
  EXPECT_EQ(poems[1].at("warnings").dump().find("wrote"), std::string::npos);
}

// A process a plugin starts in a session of its own ends when poet ends, and does not hold poet's
// output open meanwhile: `poet ... | cat` returns as soon as poet is done.
TEST(PoetHostile, WhatAPluginStartsEndsWithPoet) {
  const fs::path dir = test::fresh_dir("spawn");
  ::setenv("POET_TEST_SPAWN_DIR", dir.c_str(), 1);
  const auto run = test::poet({"--plugin-dir", kIsolation}, "gen 月 --decoder crashy --mode spawn\n");
  ::unsetenv("POET_TEST_SPAWN_DIR");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_FALSE(fs::is_empty(dir)) << "the plugin started nothing";
  const std::string spawned = fs::directory_iterator(dir)->path();
  EXPECT_TRUE(test::lock_holder_ends(spawned)) << "what the plugin started outlived poet";
}

// Every text a plugin gives (its description, a warning, a failure) is cleaned as poet's own
// input is: no escape sequence, no invalid UTF-8, no line break reaches the terminal.
TEST(PoetHostile, APluginsTextIsCleanedBeforeItIsShown) {
  const auto run = test::poet({"--plugin-dir", POET_TEST_PLUGINS "/dirty"},
                              "decoders\nhelp gen\ngen 月 --decoder dirty\n");
  EXPECT_EQ(run.exit_code, 1);
  for (const std::string* text : {&run.out, &run.err}) {
    EXPECT_EQ(text->find('\x1b'), std::string::npos) << *text;
    EXPECT_EQ(text->find('\x07'), std::string::npos) << *text;
    EXPECT_EQ(text->find("\xff"), std::string::npos) << *text;
    EXPECT_EQ(text->find("\u202e"), std::string::npos) << *text;
  }
  const std::string shown = "\uFFFD[2J\uFFFD]0;owned\uFFFD\uFFFD\uFFFD next line\uFFFD";
  EXPECT_NE(run.out.find("describes itself " + shown), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("input line 3: decoder 'dirty' failed: failure " + shown), std::string::npos)
      << run.err;
}

// A refused `set` changes nothing: the poems after it are written as before.
TEST(PoetHostile, ARefusedSetKeepsTheOldValue) {
  const auto run = test::poet({}, "set rhyme 不存在\nsettings\ngen 月 --form 五绝 --seed 1\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err.find("line 3"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("input line 1: "), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find("不存在"), std::string::npos) << run.out;
}

// One run at a time writes a checkpoint: a second into the same --out is refused, naming the
// first; the lock goes with the first run, however it ends.
TEST(PoetHostile, TwoRunsIntoOneCheckpointAreRefusedAndAKilledRunLeavesNoLock) {
  const auto dir = test::fresh_dir("one_writer");
  const auto out = (dir / "m.ckpt").string();
  const auto config = test::small_config(dir, {{"steps", "100000"}});
  const std::string train =
      fmt::format("train --corpus {} --config {} --out {}", kFixture, config.string(), out);
  test::RunningProgram first(POET_EXECUTABLE, {"-c", train});
  ASSERT_TRUE(first.wait_for("step ")) << first.output();
  const auto second = test::poet({"--no-model"}, train + "\n");
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find(fmt::format("input line 1: '{}' is being written by another training run "
                                        "(process ",
                                        out)),
            std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find("give this one another --out, or stop that one"), std::string::npos)
      << second.err;
  first.kill(SIGKILL);
  const auto third = test::poet({"--no-model"}, train + " --steps 2\n");
  EXPECT_EQ(third.exit_code, 0) << third.err;
}

// eval says why a file with only over-long poems has nothing to score, and what the limit is.
TEST(PoetHostile, EvalOfOnlyOverlongPoemsSaysSo) {
  const auto dir = test::fresh_dir("eval_long");
  const fs::path file = dir / "long.txt";
  std::string poem;
  for (int i = 0; i < 4001; ++i) poem += "春风花月夜。";
  std::ofstream(file) << "长诗:" << poem << "\n";
  const auto run = test::poet({}, "eval " + file.string() + "\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find(fmt::format("'{}' has no poems that poet can score: its 1 poem is longer "
                                     "than 20000 characters",
                                     file.string())),
            std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace poet
