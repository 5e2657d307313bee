// Writing poems through poet as a script drives it: gen, acrostic, the decoders' options, use,
// set, settings, JSON output, and the errors after which a script carries on.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "poet_runs.h"

namespace poet {
namespace {

using test::poet;

test::Completed with_model(const std::string& script, std::vector<std::string> args = {}) {
  args.insert(args.begin(), {"--model", test::tiny_model().string()});
  return poet(args, script);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// UTF-8 characters in a line.
std::size_t characters(const std::string& line) {
  return static_cast<std::size_t>(
      std::count_if(line.begin(), line.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

TEST(PoetGen, WritesAPoemOfTheFormOneLineOfVersePerLine) {
  const auto run = with_model("gen 月 --form 七律 --seed 3\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 8u) << run.out;
  EXPECT_EQ(lines[0].rfind("月", 0), 0u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(characters(lines[i]), 8u) << lines[i];
    EXPECT_EQ(lines[i].substr(lines[i].size() - 3), i % 2 == 0 ? "，" : "。") << lines[i];
  }
}

TEST(PoetGen, TheSameSeedWritesTheSamePoemAndCountWritesSeveral) {
  const auto run = with_model("gen 月 --seed 11\ngen 月 --seed 11\nset seed 11\ngen 月\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto poems = run.out.substr(0, run.out.find("seed 11\n"));
  const auto after = run.out.substr(run.out.find("seed 11\n") + 8);
  EXPECT_EQ(poems, after + after) << run.out;

  const auto several = with_model("gen 山 -n 3 --form 五绝\n");
  ASSERT_EQ(several.exit_code, 0) << several.err;
  EXPECT_EQ(lines_of(several.out).size(), 3u * 4u + 2u)
      << several.out;  // three poems, two blank lines
}

TEST(PoetGen, AcrosticBeginsEachLineWithItsHeadWhateverTheDecoder) {
  const auto run = with_model(
      "acrostic 春夏秋冬 --form 七绝\nacrostic 山水 --beam 4\nacrostic 花月 --decoder greedy\n"
      "use greedy\nacrostic 云天\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 11u) << run.out;  // and use's reply
  const char* heads[] = {"春", "夏", "秋", "冬", "山", "水", "花", "月", "云", "天"};
  for (std::size_t i = 0, line = 0; line < lines.size(); ++line) {
    if (lines[line].rfind("gen now uses", 0) == 0) continue;
    EXPECT_EQ(lines[line].rfind(heads[i++], 0), 0u) << run.out;
  }
}

TEST(PoetGen, JsonPrintsOneObjectPerPoemWithEverythingToReproduceIt) {
  const auto run = with_model("gen 月 --seed 5 --temperature 0.7 -n 2\nsettings\n", {"--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 3u) << run.out;
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["decoder"], "temperature");
  EXPECT_EQ(first["params"]["temperature"], 0.7);
  EXPECT_EQ(first["seed"], 5);
  EXPECT_EQ(first["start"], "月");
  EXPECT_EQ(first["model"], test::tiny_model().string());
  EXPECT_EQ(first["poem"].get<std::string>().rfind("月", 0), 0u);
  std::string joined;
  for (const auto& line : first["lines"]) joined += line.get<std::string>();
  EXPECT_EQ(joined, first["poem"]);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["seed"], 6);
  EXPECT_EQ(first["command"], "gen");
  const auto settings = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(settings["command"], "settings");
  EXPECT_EQ(settings["decoder"], "temperature");
  EXPECT_EQ(settings["params"]["top-p"], 0.97);  // the session's: --temperature was for one gen
  EXPECT_EQ(settings["params"]["temperature"], 1.0);
  EXPECT_EQ(settings["rhyme_book"], "平水韵");

  const auto again = with_model("gen 月 --seed 5 --temperature 0.7\n", {"--json"});
  EXPECT_EQ(nlohmann::json::parse(again.out)["poem"], first["poem"]);
}

TEST(PoetGen, UseSetAndSettingsChooseHowPoemsAreWritten) {
  const auto run = with_model(
      "use beam\nset width 3\nset temperature.top-k 5\nset form 五绝\nsettings\n"
      "gen 月\ngen 月\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("gen now uses 'beam'\nbeam.width 3\ntemperature.top-k 5\nform 五绝\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("decoder     beam\n  width             3\n"), std::string::npos)
      << run.out;
  const auto lines = lines_of(run.out);
  ASSERT_GE(lines.size(), 8u);
  // Beam search is deterministic: the two poems are the same.
  EXPECT_EQ(std::vector<std::string>(lines.end() - 8, lines.end() - 4),
            std::vector<std::string>(lines.end() - 4, lines.end()));
}

TEST(PoetGen, EveryBadInputIsOneLineAndTheScriptCarriesOn) {
  const auto run = with_model(
      "gen 𠀀\n"
      "gen 月 --temperature 9\n"
      "gen 月 --tempreature 1\n"
      "gen 月 --form 六绝\n"
      "acrostic 春夏秋冬 --form 五律\n"
      "use nosuch\n"
      "set temprature 1\n"
      "gen 月 --decoder greedy --top-p 0.5\n"
      "acrostic 春夏 --inner beam\n"
      "gen\n"
      "gen 月 --form 五绝 --seed 1\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(
      run.err,
      "input line 1: '𠀀' is not in the model's vocabulary\n"
      "input line 2: temperature must be a number from 0.05 to 5, not '9'\n"
      "input line 3: unknown option '--tempreature' (did you mean '--temperature'?)\n"
      "input line 4: unknown form '六绝': use 五绝, 七绝, 五律, 七律 (or 5x4, 7x4, 5x8, 7x8), auto or "
      "free\n"
      "input line 5: 五律 (8 lines, 5 characters a line) has 8 lines, but 4 head characters were given\n"
      "input line 6: no decoder 'nosuch'; 'decoders' lists them\n"
      "input line 7: no setting 'temprature' (did you mean 'temperature'?); 'settings' lists them\n"
      "input line 8: unknown option '--top-p' for decoder 'greedy'; decoder 'temperature' has it: add "
      "--decoder temperature\n"
      "input line 9: unknown option '--inner'\n"
      "input line 10: usage: " +
          std::string("gen <start> [--decoder NAME] [--form FORM] [--rhyme auto|off|GROUP] "
                      "[--tones strict|loose|off] [--rhyme-book 平水韵|中华新韵] [--mood TEXT] "
                      "[--seed S] [-n COUNT] [--best-of K] [--PARAM VALUE]") +
          "\n");
  EXPECT_EQ(lines_of(run.out).size(), 4u) << "line 11 still writes its poem:\n" << run.out;
}

// An option that is not the writing decoder's but another loaded decoder's says which has it.
TEST(PoetGen, AnOptionOfAnotherDecoderSaysWhichDecoderHasIt) {
  const auto run = with_model(
      "gen 月 --no-repeat-ngram 2\n"
      "gen 月 --mode fail\n"
      "gen 月 --mode fail --decoder misbehave\n"
      "acrostic 春夏秋冬 --width 3 --decoder greedy\n",
      {"--plugin-dir", POET_TEST_PLUGINS "/misbehave_v1"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err,
            "input line 1: unknown option '--no-repeat-ngram' for decoder 'temperature'; decoder 'beam' "
            "has it: add --decoder beam\n"
            "input line 2: unknown option '--mode' for decoder 'temperature'; decoder 'misbehave' has "
            "it: add --decoder misbehave\n"
            "input line 3: decoder 'misbehave' failed: the muse is silent today\n"
            "input line 4: unknown option '--width' for decoder 'greedy'; decoder 'beam' has it: add "
            "--decoder beam\n");
}

TEST(PoetLoss, ChartsTheLoadedModelsHistoryOrWritesItAsCsv) {
  const auto csv = test::fresh_dir("loss") / "history.csv";
  const auto run = with_model("loss\nloss --csv " + csv.string() + "\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* expected : {"training loss (per character)\n", "validation perplexity\n", "└",
                               "step", "last: loss ", "wrote 2 rows of tiny.ckpt's history to "}) {
    EXPECT_NE(run.out.find(expected), std::string::npos) << expected << " in\n" << run.out;
  }
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "step,epoch,train_loss,valid_perplexity,wall_seconds,tokens_per_second");
  EXPECT_EQ(poet({"--no-model", "-c", "loss"}).err,
            "input line 1: no model is loaded: 'load' a checkpoint to see how it was trained\n");
}

TEST(PoetEval, ReproducesTheValidationPerplexityTrainingRecorded) {
  const auto model = with_model("model\n");
  std::smatch recorded;
  ASSERT_TRUE(std::regex_search(model.out, recorded, std::regex("validation perplexity ([0-9.]+)")))
      << model.out;

  const std::string fixture = std::string(POET_CORPORA_DIR) + "/fixture.tsv";
  const auto run = with_model("eval " + fixture + " --split valid\neval " + fixture + "\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::smatch valid;
  ASSERT_TRUE(std::regex_search(run.out, valid,
                                std::regex("fixture.tsv \\(valid split\\): 6 poems, [0-9]+ "
                                           "characters \\([0-9]+ outside the vocabulary\\): "
                                           "perplexity ([0-9.]+)\n")))
      << run.out;
  EXPECT_NEAR(std::stod(valid[1]), std::stod(recorded[1]), 0.01);
  EXPECT_NE(run.out.find("fixture.tsv: 401 poems, "), std::string::npos) << run.out;
}

TEST(PoetEval, SaysWhatIsWrongWithItsInput) {
  const auto run = with_model("eval /nonexistent.txt\neval " + std::string(POET_CORPORA_DIR) +
                              "/fixture.tsv --split dev\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err,
            "input line 1: cannot read corpus '/nonexistent.txt': No such file or directory\n"
            "input line 2: unknown split 'dev': use train, valid or test\n");
  EXPECT_EQ(poet({"--no-model", "-c", "eval x.txt"}).err,
            "input line 1: no model is loaded: load a checkpoint first\n");
}

TEST(PoetGen, WithoutAModelSaysHowToGetOne) {
  const auto run = poet({"--no-model", "-c", "gen 月"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "input line 1: no model is loaded: load a checkpoint first\n");
}

// Runs only where LibTorch sees a GPU: the bundled model writes the same poems there as on the
// CPU, for every seed, by sampling, beam search and the metre rule alike.
TEST(PoetGen, TheGpuWritesThePoemsTheCpuWrites) {
  const std::string script =
      "gen 湖 --seed 1 -n 3\ngen 月 --seed 2 --temperature 1.2 --form 七律\n"
      "gen 山 --decoder beam --seed 3\nacrostic 春夏秋冬 --seed 4\n";
  const auto on_gpu = poet({"--device", "cuda"}, script);
  if (on_gpu.exit_code == 2) GTEST_SKIP() << "no CUDA GPU here";
  ASSERT_EQ(on_gpu.exit_code, 0) << on_gpu.err;
  const auto on_cpu = poet({"--device", "cpu"}, script);
  ASSERT_EQ(on_cpu.exit_code, 0) << on_cpu.err;
  EXPECT_EQ(on_gpu.out, on_cpu.out);
}

// The first thing a newcomer does: `gen 湖` on the bundled model, no training first.
TEST(PoetGen, TheBundledModelWritesAWellFormedPoemAtOnce) {
  for (const std::string seed : {"1", "2", "3"}) {
    const auto run = poet({"-c", "gen 湖 --seed " + seed});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto verse = lines_of(run.out);
    ASSERT_FALSE(verse.empty());
    EXPECT_TRUE(verse.size() == 4 || verse.size() == 8) << run.out;
    EXPECT_EQ(verse[0].rfind("湖", 0), 0u) << run.out;
    const std::size_t length = characters(verse[0]);
    EXPECT_TRUE(length == 6 || length == 8) << run.out;  // 5 or 7, and the mark
    for (const auto& line : verse) EXPECT_EQ(characters(line), length) << run.out;
  }
}

TEST(PoetExport, WritesASmallerFileThatWritesTheSamePoemsAndCannotResume) {
  const auto dir = test::fresh_dir("export");
  const std::string trained = test::tiny_model().string();
  const std::string exported = (dir / "small.ckpt").string();
  const auto run = poet({"-c", "export " + trained + " " + exported});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("for generation only"), std::string::npos) << run.out;
  // Adam keeps two moments per weight: the weights alone are about a third of the file.
  EXPECT_LT(std::filesystem::file_size(exported), std::filesystem::file_size(trained) / 2);

  const auto written_by = [](const std::string& model) {
    return poet({"--model", model, "-c", "gen 月 --seed 5", "-c", "model"}).out;
  };
  const std::string original = written_by(trained);
  std::string copy = written_by(exported);
  copy.replace(copy.find(exported), exported.size(), trained);
  EXPECT_EQ(copy, original);

  const auto resume = poet({"-c", "train --resume " + exported + " --corpus " +
                                      std::string(POET_CORPORA_DIR) + "/fixture.tsv --steps 1"});
  EXPECT_EQ(resume.exit_code, 1);
  EXPECT_NE(resume.err.find("cannot be resumed"), std::string::npos) << resume.err;
}

}  // namespace
}  // namespace poet
