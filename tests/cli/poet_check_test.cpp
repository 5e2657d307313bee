// `check` and the metre rule through poet as a script drives it: the verdict on known poems, a
// file of poems summed up, JSON, the settings that choose the rule, and bad input.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "poet_runs.h"

namespace poet {
namespace {

using test::poet;

// 杜甫《春望》, a 五律 that keeps every rule, and the same with its last rhyme made oblique.
constexpr const char* kChunWang =
    "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪"
    "。";
constexpr const char* kBroken =
    "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜月"
    "。";

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> objects;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) objects.push_back(nlohmann::json::parse(line));
  return objects;
}

TEST(PoetCheck, ExplainsAPoemThatKeepsTheRulesAndOneThatDoesNot) {
  const auto good = poet({"--no-model"}, std::string("check ") + kChunWang + "\n");
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("五律, 仄起, first line not rhyming, rhyme 十二侵 (平水韵)"),
            std::string::npos)
      << good.out;
  EXPECT_NE(good.out.find("  国破山河在  仄仄平平仄\n"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("  城春草木深  平平仄仄平  深 十二侵\n"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("五律 that keeps every rule of regulated verse"), std::string::npos)
      << good.out;

  const auto bad = poet({"--no-model"}, std::string("check ") + kBroken + "\n");
  ASSERT_EQ(bad.exit_code, 0) << bad.err;  // the check worked; the poem has a fault
  EXPECT_NE(bad.out.find("  line 8: '月' does not rhyme in 十二侵\n五律 with 1 fault"),
            std::string::npos)
      << bad.out;
}

TEST(PoetCheck, JsonHasTheFormTonesRhymesAndFaults) {
  const auto run = poet({"--no-model", "--json"}, std::string("check ") + kBroken + "\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto objects = json_lines(run.out);
  ASSERT_EQ(objects.size(), 1u) << run.out;
  const auto& check = objects[0];
  EXPECT_EQ(check["form"], "五律");
  EXPECT_EQ(check["pattern"]["start"], "仄起");
  EXPECT_EQ(check["rhyme_group"], "十二侵");
  EXPECT_EQ(check["rhyme_lines"], nlohmann::json({2, 4, 6, 8}));
  EXPECT_EQ(check["lines"][0]["tones"], "仄仄平平仄");
  EXPECT_FALSE(check["rhymes"]);
  EXPECT_FALSE(check["passes"]);
  ASSERT_EQ(check["faults"].size(), 1u);
  EXPECT_EQ(check["faults"][0]["line"], 8);
  EXPECT_EQ(check["faults"][0]["column"], 5);
}

TEST(PoetCheck, AFileOfPoemsIsCheckedPoemByPoemAndSummedUp) {
  const auto dir = test::fresh_dir("check-file");
  const auto file = dir / "poems.txt";
  {
    std::ofstream out(file);
    out << "春望:" << kChunWang << "\n"
        << kBroken << "\n"
        << "君不见，黄河之水天上来。\n";
  }
  const auto run = poet({"--no-model"}, "check --file " + file.string() + "\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(std::string(kChunWang) + "  五律 that keeps every rule"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find(file.string() +
                         ": 3 poems, 2 regulated: 50.0% keep every rule, 50.0% rhyme in one group"),
            std::string::npos)
      << run.out;
}

TEST(PoetCheck, BadInputIsOneLineAndTheScriptGoesOn) {
  const auto run = poet({"--no-model"}, "check hello\ncheck --file /no/such/file\ncheck " +
                                            std::string(kChunWang) +
                                            " --rhyme-book 广韵\ncheck --split test\nhelp check\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("input line 1: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("input line 2: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("input line 3: the rhyme book is 平水韵 or 中华新韵, not '广韵'"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("input line 4: usage: check"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("usage: check <poem>"), std::string::npos) << run.out;
}

TEST(PoetMetre, SettingsChooseTheRuleAndRefuseWhatTheBookLacks) {
  const auto run =
      poet({"--no-model"},
           "set rhyme 七阳\nset tones strict\nset rhyme 唐\nset rhyme-book 中华新韵\n"
           "set rhyme 唐\nset tones sometimes\nset rhyme auto\nset rhyme-book 中华新韵\n"
           "set rhyme 唐\nsettings\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(
      run.err.find("input line 3: rhyme is auto, off or a group of 平水韵 (一东 ... 十五咸), not '唐'"),
      std::string::npos)
      << run.err;
  // A book without the group set is refused, and the settings stay as they were.
  EXPECT_NE(run.err.find(
                "input line 4: rhyme is auto, off or a group of 中华新韵 (一麻 ... 十四姑), not '七阳'"),
            std::string::npos)
      << run.err;
  EXPECT_NE(
      run.err.find("input line 5: rhyme is auto, off or a group of 平水韵 (一东 ... 十五咸), not '唐'"),
      std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("input line 6: tones are strict, loose or off, not 'sometimes'"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("rhyme       唐\ntones       strict\nrhyme-book  中华新韵\n"),
            std::string::npos)
      << run.out;
}

// Poems written with the rule, checked by `check`: every rhyme in the group gen reports, none
// repeated, every key tone as the pattern asks, no fault at all (unless gen said the rule gave
// way).
TEST(PoetMetre, GenWritesPoemsThatCheckPassesForRhymeAndTones) {
  std::string script;
  for (const char* form : {"五绝", "七绝", "五律", "七律"}) {
    for (int seed = 1; seed <= 3; ++seed)
      script += "gen 月 --form " + std::string(form) + " --seed " + std::to_string(seed) + "\n";
  }
  script +=
      "acrostic 春夏秋冬 --seed 1\ngen 山 --beam 4 --form 五律\ngen 山 --decoder greedy --form "
      "七律\n";
  const auto written = poet({"--model", test::tiny_model().string(), "--json"}, script);
  ASSERT_EQ(written.exit_code, 0) << written.err;
  std::string checks;
  const auto poems = json_lines(written.out);
  ASSERT_EQ(poems.size(), 15u);
  for (const auto& poem : poems) {
    EXPECT_EQ(poem["rhyme"], "auto");
    EXPECT_EQ(poem["tones"], "loose");
    EXPECT_EQ(poem["rhyme_book"], "平水韵");
    checks += "check " + poem["poem"].get<std::string>() + "\n";
  }
  const auto checked = poet({"--no-model", "--json"}, checks);
  ASSERT_EQ(checked.exit_code, 0) << checked.err;
  const auto results = json_lines(checked.out);
  ASSERT_EQ(results.size(), poems.size());
  int kept = 0;
  for (std::size_t i = 0; i < poems.size(); ++i) {
    if (poems[i].contains("notes")) continue;  // the rule said it gave way
    ++kept;
    EXPECT_TRUE(results[i]["rhymes"]) << poems[i]["poem"];
    EXPECT_FALSE(results[i]["repeats_rhyme"]) << poems[i]["poem"];
    EXPECT_EQ(results[i]["key_passed"], results[i]["key_checks"]) << poems[i]["poem"];
    EXPECT_TRUE(results[i]["passes"]) << poems[i]["poem"];
    EXPECT_EQ(poems[i]["rhyme_group"], results[i]["rhyme_group"]) << poems[i]["poem"];
  }
  EXPECT_GE(kept, 10);
}

TEST(PoetMetre, OffWritesWithoutTheRule) {
  const auto run = poet({"--model", test::tiny_model().string(), "--json"},
                        "gen 月 --form 五律 --rhyme off --tones off --seed 2\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto poem = json_lines(run.out).at(0);
  EXPECT_EQ(poem["rhyme"], "off");
  EXPECT_FALSE(poem.contains("rhyme_group"));
}

}  // namespace
}  // namespace poet
