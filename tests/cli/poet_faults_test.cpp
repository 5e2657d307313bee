// Faults from outside poet: SIGKILL at any moment of training, a disk that fills up while a file is
// saved, a checkpoint replaced while another poet loads it. None may leave a torn or unreadable
// checkpoint, a pile of temporary files, or a model that is half one file and half another.

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "poet_runs.h"

namespace poet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kFixture = std::string(POET_CORPORA_DIR) + "/fixture.tsv";

std::string contents_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& file, const std::string& contents) {
  std::ofstream(file, std::ios::binary) << contents;
}

std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

bool contains_only(const std::set<std::string>& files, const std::set<std::string>& allowed) {
  return std::includes(allowed.begin(), allowed.end(), files.begin(), files.end());
}

std::string listing(const std::set<std::string>& files) {
  std::string text;
  for (const auto& name : files) text += name + " ";
  return text;
}

std::vector<std::int64_t> numbers_after(const std::string& text, const std::string& pattern) {
  std::vector<std::int64_t> numbers;
  const std::regex expression(pattern);
  for (std::sregex_iterator it(text.begin(), text.end(), expression), end; it != end; ++it)
    numbers.push_back(std::stoll((*it)[1]));
  return numbers;
}

std::string regex_escaped(const std::string& text) {
  return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
}

// ---- SIGKILL ---------------------------------------------------------------------------------

// Training killed with SIGKILL at random moments, every other time just as a checkpoint save has
// opened its temporary file: each time both checkpoints load, training resumes from the last
// checkpoint it reported saved (or the one it saved just before the kill cut its report short),
// and only the fixed temporary names are ever left over, which the next save reuses.
TEST(PoetFaults, SigkillAtAnyMomentLeavesCheckpointsThatLoadAndResume) {
  const auto dir = test::fresh_dir("faults_kill");
  const std::string out = (dir / "m.ckpt").string(), best = (dir / "m.best.ckpt").string();
  const auto config = test::small_config(dir, {{"checkpoint_every", "1"}, {"eval_every", "1"}});
  const auto first = test::poet({"--no-model", "-c",
                                 fmt::format("train --corpus {} --config {} --out {} --steps 2",
                                             kFixture, config.string(), out)});
  ASSERT_EQ(first.exit_code, 0) << first.err;

  // m.ckpt.lock stays, empty: the lock on it is the kernel's and goes with the process.
  const std::set<std::string> allowed{"poet.toml",      "m.ckpt",         "m.best.ckpt",
                                      "m.loss.csv",     "m.ckpt.tmp",     "m.best.ckpt.tmp",
                                      "m.loss.csv.tmp", "m.ckpt.lock"};
  const auto saved_steps = [&](const std::string& output) {
    return numbers_after(output, "saved " + regex_escaped(out) + " \\(step ([0-9]+)\\)");
  };
  std::mt19937 random(14);  // the same moments on every run
  std::int64_t last_saved = 2;
  for (int round = 0; round < 6; ++round) {
    // Both checkpoints load (--bail: a failure ends the run), then training resumes.
    test::RunningProgram run(
        POET_EXECUTABLE,
        {"--no-model", "--bail", "-c", "load " + out, "-c", "load " + best, "-c",
         fmt::format("train --corpus {} --resume {} --steps 100000", kFixture, out)});
    ASSERT_TRUE(run.wait_for("saved " + out + " (step")) << "round " << round << ":\n"
                                                         << run.output();
    if (round % 2 == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(
          std::uniform_int_distribution<int>(0, 40'000)(random)));  // a step takes about 20 ms
    } else {
      const fs::path temporary = out + ".tmp";
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (!fs::exists(temporary) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20us);
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 2'000)(random)));
    }
    ASSERT_EQ(run.kill(SIGKILL), 128 + SIGKILL) << run.output();

    const auto resumed = numbers_after(run.output(), "resuming .* at step ([0-9]+) of");
    ASSERT_EQ(resumed.size(), 1u) << run.output();
    EXPECT_TRUE(resumed[0] == last_saved || resumed[0] == last_saved + 1)
        << "round " << round << " resumed at step " << resumed[0] << " after step " << last_saved
        << " was reported saved";
    last_saved = saved_steps(run.output()).back();
    EXPECT_PRED2(contains_only, files_in(dir), allowed) << listing(files_in(dir));
  }

  const auto finish = test::poet(
      {"--no-model", "--bail", "-c", "load " + out, "-c", "load " + best, "-c",
       fmt::format("train --corpus {} --resume {} --steps {}", kFixture, out, last_saved + 3)});
  ASSERT_EQ(finish.exit_code, 0) << finish.err;
  EXPECT_EQ(saved_steps(finish.err).back(), last_saved + 3) << finish.err;
  // The saves reused their temporary files; a best one may remain from a save no later one redid.
  EXPECT_PRED2(contains_only, files_in(dir),
               (std::set<std::string>{"poet.toml", "m.ckpt", "m.best.ckpt", "m.loss.csv",
                                      "m.best.ckpt.tmp", "m.ckpt.lock"}))
      << listing(files_in(dir));
}

// ---- A full disk -----------------------------------------------------------------------------

// A disk that fills up after `room` bytes of a file: the write past them fails with EFBIG, as one
// to a full disk fails with ENOSPC.
test::Limits full_disk_after(std::uint64_t room) { return test::Limits{room}; }

TEST(PoetFaults, AFullDiskWhileTrainingKeepsThePreviousCheckpoint) {
  const auto dir = test::fresh_dir("faults_full_train");
  const std::string out = (dir / "m.ckpt").string();
  const auto config = test::small_config(dir, {{"checkpoint_every", "1"}, {"eval_every", "1"}});
  const auto first = test::poet({"--no-model", "-c",
                                 fmt::format("train --corpus {} --config {} --out {} --steps 2",
                                             kFixture, config.string(), out)});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::map<std::string, std::string> before;
  for (const auto& name : files_in(dir)) before[name] = contents_of(dir / name);

  const auto run = test::run_program(
      POET_EXECUTABLE,
      {"--no-model", "-c", fmt::format("train --corpus {} --resume {} --steps 4", kFixture, out)},
      {}, full_disk_after(16 * 1024));  // a checkpoint is about 1 MB
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(std::regex_search(
      run.err, std::regex("\ninput line 1: cannot write checkpoint '" + regex_escaped(dir.string()) +
                          "/m(\\.best)?\\.ckpt': File too large\n$")))
      << run.err;
  for (const auto& [name, contents] : before)
    EXPECT_TRUE(contents_of(dir / name) == contents) << name << " changed";
  EXPECT_EQ(files_in(dir).size(), before.size()) << listing(files_in(dir));
  const auto load = test::poet({"--no-model", "-c", "load " + out});
  EXPECT_EQ(load.exit_code, 0) << load.err;
}

TEST(PoetFaults, AFullDiskOnExportOrLossCsvKeepsThePreviousFile) {
  const auto dir = test::fresh_dir("faults_full_export");
  const auto exported = dir / "small.ckpt", csv = dir / "history.csv";
  write_file(exported, "the previous export\n");
  write_file(csv, "the previous history\n");

  const std::string model = test::tiny_model().string();
  const auto run = test::run_program(
      POET_EXECUTABLE,
      {"--model", model, "-c", fmt::format("export {} {}", model, exported.string()), "-c",
       "loss --csv " + csv.string()},
      {}, full_disk_after(16));  // shorter than the CSV's header
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, fmt::format("input line 1: cannot write checkpoint '{}': File too large\n"
                                 "input line 2: cannot write loss history '{}': File too large\n",
                                 exported.string(), csv.string()));
  EXPECT_EQ(contents_of(exported), "the previous export\n");
  EXPECT_EQ(contents_of(csv), "the previous history\n");
  EXPECT_EQ(files_in(dir), (std::set<std::string>{"small.ckpt", "history.csv"}));
}

// ---- A checkpoint replaced while it loads ----------------------------------------------------

// Two checkpoints of one shape and vocabulary, so that a mixture of their bytes would fit the
// model: the tiny model, and the tiny model trained further. Each is known by its step count and
// by the poem it writes for one seed.
struct TwoModels {
  std::string first, second;                     // their bytes
  std::map<std::int64_t, nlohmann::json> poems;  // steps trained → the poem, with its log_prob
};

const std::string kGen = "gen 月 --seed 1 --form 五绝";

std::int64_t steps_loaded(const nlohmann::json& result) {
  return result.value("steps_trained", std::int64_t{-1});
}

nlohmann::json poem_of(const nlohmann::json& gen) {
  return {{"poem", gen.at("poem")}, {"log_prob", gen.at("log_prob")}};
}

const TwoModels& two_models() {
  static const TwoModels models = [] {
    const auto dir = test::fresh_dir("faults_two_models");
    const std::string first = test::tiny_model().string(), second = (dir / "further.ckpt").string();
    const auto train = test::poet(
        {"--no-model", "-c",
         fmt::format("train --corpus {} --resume {} --steps 8 --out {}", kFixture, first, second)});
    if (train.exit_code != 0) throw std::runtime_error("training further failed: " + train.err);
    const auto run = test::poet({"--no-model", "--json", "-c", "load " + first, "-c", kGen, "-c",
                                 "load " + second, "-c", kGen});
    std::istringstream lines(run.out);
    TwoModels result{contents_of(first), contents_of(second), {}};
    for (std::string load, gen; std::getline(lines, load) && std::getline(lines, gen);)
      result.poems[steps_loaded(nlohmann::json::parse(load))] = poem_of(nlohmann::json::parse(gen));
    if (result.poems.size() != 2 || result.poems.begin()->second == result.poems.rbegin()->second)
      throw std::runtime_error("the two models are not told apart: " + run.out + run.err);
    return result;
  }();
  return models;
}

enum class Replacement { rename, truncate_and_rewrite, overwrite_and_cut };

// Puts `contents` at `file` as the replacement says: a whole new file renamed over it, or its own
// bytes rewritten in pieces, as a copy or an editor might.
void replace(const fs::path& file, const std::string& contents, Replacement how) {
  if (how == Replacement::rename) {
    const fs::path next = file.string() + ".next";
    write_file(next, contents);
    fs::rename(next, file);
    return;
  }
  const int fd =
      open(file.c_str(), O_WRONLY | (how == Replacement::truncate_and_rewrite ? O_TRUNC : 0));
  ASSERT_GE(fd, 0);
  constexpr std::size_t kPiece = 64 * 1024;
  for (std::size_t at = 0; at < contents.size(); at += kPiece) {
    const auto size = std::min(kPiece, contents.size() - at);
    ASSERT_EQ(write(fd, contents.data() + at, size), static_cast<ssize_t>(size));
    std::this_thread::yield();
  }
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(contents.size())), 0);
  close(fd);
}

// Its name in test names.
void PrintTo(Replacement how, std::ostream* out) {
  constexpr const char* kNames[] = {"ByRename", "TruncatedAndRewritten", "OverwrittenInPlace"};
  *out << kNames[static_cast<int>(how)];
}

class ReplacedWhileLoading : public testing::TestWithParam<Replacement> {};

INSTANTIATE_TEST_SUITE_P(PoetFaults, ReplacedWhileLoading,
                         testing::Values(Replacement::rename, Replacement::truncate_and_rewrite,
                                         Replacement::overwrite_and_cut),
                         [](const auto& info) { return testing::PrintToString(info.param); });

// One poet loads a checkpoint again and again, writing a poem after each load, while the test
// replaces the file with one model and then the other. Every load either gives one of the two
// models whole (its poem is that model's poem) or fails with one line naming the file; a rename
// never fails a load at all.
TEST_P(ReplacedWhileLoading, NeverGivesATornModel) {
  const auto& models = two_models();
  const auto dir = test::fresh_dir("faults_replaced");
  const auto file = dir / "model.ckpt";
  write_file(file, models.first);

  constexpr int kLoads = 40;
  std::vector<std::string> args{"--model", test::tiny_model().string(), "--json"};
  for (int i = 0; i < kLoads; ++i)
    args.insert(args.end(), {"-c", "load " + file.string(), "-c", kGen});

  std::atomic<bool> done{false};
  std::thread replacer([&] {
    std::mt19937 random(14);
    for (bool second = true; !done; second = !second) {
      replace(file, second ? models.second : models.first, GetParam());
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 2'000)(random)));
    }
  });
  const auto run = test::poet(args);
  done = true;
  replacer.join();

  std::int64_t loaded = models.poems.begin()->first;  // --model's: the tiny one, fewer steps
  std::istringstream out(run.out);
  int loads = 0, poems = 0;
  for (std::string line; std::getline(out, line);) {
    const auto result = nlohmann::json::parse(line);
    if (result.at("command") == "load") {
      loaded = steps_loaded(result);
      ASSERT_EQ(models.poems.count(loaded), 1u) << line;
      ++loads;
    } else {
      ++poems;
      EXPECT_EQ(poem_of(result), models.poems.at(loaded)) << "a torn model wrote: " << line;
    }
  }
  EXPECT_EQ(poems, kLoads) << run.err;
  std::istringstream err(run.err);
  int failures = 0;
  const std::regex failed_load("input line ([0-9]+): .*'" + regex_escaped(file.string()) + "'.*");
  for (std::string line; std::getline(err, line); ++failures) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, failed_load)) << line;
    EXPECT_EQ(std::stoi(match[1]) % 2, 1) << "only loads may fail: " << line;
  }
  EXPECT_EQ(loads + failures, kLoads) << run.out << run.err;
  if (GetParam() == Replacement::rename) {
    EXPECT_EQ(failures, 0) << run.err;
  }
  RecordProperty("failed_loads", failures);
}

}  // namespace
}  // namespace poet
