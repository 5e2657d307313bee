// Bad input of every kind, as a careless or a hostile user would give it: each ends in one line
// naming what was wrong, the next command still works, and no file poet did not mean to write is
// touched.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "poet_runs.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

const std::string kFixture = std::string(POET_CORPORA_DIR) + "/fixture.tsv";

// Runs `bad` then `help quit` as a script: `bad` fails with exactly `message` and poet carries on.
void expect_refused(const std::vector<std::string>& args, const std::string& bad,
                    const std::string& message) {
  const auto run = test::poet(args, bad + "\nhelp quit\n");
  EXPECT_EQ(run.exit_code, 1) << bad;
  EXPECT_EQ(run.err, "input line 1: " + message + "\n") << bad;
  EXPECT_NE(run.out.find("usage: quit"), std::string::npos) << bad;
}

TEST(PoetBadInput, FilesPoetWritesAreNeverSpecialFilesOrItsInputs) {
  const auto dir = test::fresh_dir("bad_outputs");
  const std::string model = test::tiny_model().string();
  const auto config = test::small_config(dir).string();
  const std::string corpus = (dir / "corpus.tsv").string();
  fs::copy_file(kFixture, corpus);
  const auto before = fs::file_size(corpus);
  expect_refused(
      {"--no-model"},
      fmt::format("train --corpus {} --config {} --steps 1 --out /dev/null", corpus, config),
      "will not write checkpoint '/dev/null': it is a character device");
  expect_refused(
      {"--no-model"},
      fmt::format("train --corpus {} --config {} --steps 1 --out {}", corpus, config, corpus),
      fmt::format("will not write checkpoint '{}': it is a file this command reads", corpus));
  expect_refused(
      {"--no-model"}, fmt::format("export {} {}", model, model),
      fmt::format("will not write checkpoint '{}': it is a file this command reads", model));
  expect_refused({"--model", model}, "loss --csv /dev/null",
                 "will not write loss history '/dev/null': it is a character device");
  expect_refused({"--model", model}, fmt::format("loss --csv {}", dir.string()),
                 fmt::format("will not write loss history '{}': it is a directory", dir.string()));
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  EXPECT_EQ(fs::file_size(corpus), before);
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
}

TEST(PoetBadInput, SpecialFilesAreRefusedByNameBeforeAnythingIsRead) {
  expect_refused({"--no-model"}, "load /dev/zero",
                 "cannot read checkpoint '/dev/zero': it is a character device");
  const auto dir = test::fresh_dir("bad_inputs");
  expect_refused({"--no-model"}, fmt::format("load {}", dir.string()),
                 fmt::format("cannot read checkpoint '{}': it is a directory", dir.string()));
  expect_refused({"--no-model"}, fmt::format("train --config {} --steps 1", dir.string()),
                 fmt::format("cannot read config '{}': it is a directory", dir.string()));
}

TEST(PoetBadInput, AModelTooBigForTheMachineIsRefusedAtOnce) {
  const auto dir = test::fresh_dir("too_big");
  const auto config = dir / "big.toml";
  std::ofstream(config) << "[model]\nhidden_size = 8192\nlayers = 16\n";
  const auto run = test::poet(
      {"--no-model"}, fmt::format("train --corpus {} --config {} --steps 1 --out {}\n", kFixture,
                                  config.string(), (dir / "big.ckpt").string()));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("input line 1: training a model of GRU, 16 layers of 8192"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("over poet's memory limit of"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("POET_MEMORY_LIMIT raises it"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir / "big.ckpt"));
}

TEST(PoetBadInput, TheMemoryLimitCanBeSetAndABadOneIsSaidSo) {
  const std::string model = test::tiny_model().string();
  setenv("POET_MEMORY_LIMIT", "1K", 1);
  const auto small = test::poet({"--no-model"}, fmt::format("load {}\n", model));
  setenv("POET_MEMORY_LIMIT", "lots", 1);
  const auto bad = test::poet({"--no-model"}, fmt::format("load {}\n", model));
  unsetenv("POET_MEMORY_LIMIT");
  EXPECT_NE(small.err.find(fmt::format("input line 1: checkpoint '{}' is ", model)), std::string::npos)
      << small.err;
  EXPECT_NE(small.err.find("over poet's memory limit of 1.0 kB (POET_MEMORY_LIMIT=1K;"),
            std::string::npos)
      << small.err;
  EXPECT_EQ(
      bad.err,
      "input line 1: POET_MEMORY_LIMIT must be a size such as 8000000000, 8000M or 8G, not 'lots'\n");
}

// A poet.toml with one bad value is not half in force: the session says none of it is.
TEST(PoetBadInput, ABadValueInPoetTomlIsReportedWithItsLineAndNoneOfTheFileIsInForce) {
  const auto dir = test::fresh_dir("bad_toml");
  const auto config = dir / "poet.toml";
  std::ofstream(config) << "[plugins]\nsilence_limit = 5\nmemory_limit = \"a lot\"\n";
  const auto run = test::poet({"--no-model", "--config", config.string()}, "decoders\n");
  EXPECT_NE(run.err.find(config.string() + ":3:16: memory_limit must be a size such as "),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("; none of " + config.string() +
                         " is in force: plugins run with the defaults (memory_limit 1.0 GB, "
                         "silence_limit 60 s), and train refuses the file until it is mended"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("greedy"), std::string::npos) << run.out;  // the session goes on

  std::ofstream(config) << "[plugins]\nmemory_limit = \"1 GB\"\n";  // as people write it
  const auto fine = test::poet({"--no-model", "--config", config.string()}, "decoders\n");
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_EQ(fine.err, "");
}

TEST(PoetBadInput, APoemTooLongToEvaluateIsLeftOutAndCounted) {
  const auto dir = test::fresh_dir("long_poem");
  const auto file = dir / "poems.txt";
  {
    std::ofstream out(file);
    out << "春眠不觉晓，处处闻啼鸟。\n";
    for (int i = 0; i < 4000; ++i) out << "春眠不觉晓，";  // 24,000 characters
    out << "\n";
  }
  const auto run =
      test::poet({"--model", test::tiny_model().string()}, fmt::format("eval {}\n", file.string()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(": 1 poems, 12 characters"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("; 1 poems longer than 20000 characters left out"), std::string::npos)
      << run.out;
}

TEST(PoetBadInput, ADivergingRunStopsWithALoadableCheckpoint) {
  const auto dir = test::fresh_dir("diverging");
  // A learning rate far too high, reached slowly, so that some checkpoints come first.
  const auto config = test::small_config(dir, {{"optimizer", "\"rmsprop\""},
                                               {"learning_rate", "9.9"},
                                               {"warmup_steps", "200"},
                                               {"clip_norm", "0"},
                                               {"checkpoint_every", "1"},
                                               {"eval_every", "1"}});
  const std::string out = (dir / "m.ckpt").string();
  const auto run = test::poet(
      {"--no-model"}, fmt::format("train --corpus {} --config {} --steps 300 --out {}\nload {}\n",
                                  kFixture, config.string(), out, out));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("input line 1: training diverged after step "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(fmt::format("the last checkpoint, '{}' (step ", out)), std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("line 2:"), std::string::npos) << run.err;  // and it loads
  EXPECT_NE(run.out.find("loaded "), std::string::npos) << run.out;
}

TEST(PoetBadInput, ALineWithAControlCharacterOrTooLongIsRefusedWhole) {
  expect_refused({"--no-model"}, std::string("gen \0月", 6),
                 "the line holds a control character (byte 0x00) at byte 5");
  expect_refused({"--no-model"}, "gen " + std::string(10'000'000, 'a'),
                 "the line is longer than 65536 bytes, the most poet takes");
}

}  // namespace
}  // namespace poet
