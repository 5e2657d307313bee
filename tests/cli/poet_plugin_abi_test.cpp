// The plugin ABI's versions through poet itself: plugins built for ABI 1 and 2 write as they always
// did, and every ABI 2 addition (instances, model_changed, the poem's index, the form, vocabulary,
// metre and log extensions) tells a plugin what poet knows, checked by the reporter test plugin.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "poet/engine/metre/metre.h"
#include "poet/engine/text/text.h"
#include "poet_runs.h"

namespace poet {
namespace {

const std::string kAbiPlugins = POET_TEST_PLUGINS "/abi";

// The JSON results of a script run on the bundled model with the ABI test plugins.
std::vector<nlohmann::json> results(const std::string& script) {
  const auto run = test::poet({"--plugin-dir", kAbiPlugins, "--json"}, script);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> objects;
  std::istringstream out(run.out);
  for (std::string line; std::getline(out, line);) objects.push_back(nlohmann::json::parse(line));
  return objects;
}

// What the reporter said of the one poem in `result`.
std::string report(const nlohmann::json& result) {
  const auto warnings = result.value("warnings", nlohmann::json::array());
  EXPECT_EQ(warnings.size(), 1u) << result.dump();
  const std::string warning = warnings.empty() ? "" : warnings[0].get<std::string>();
  const std::string prefix = "decoder 'reporter': ";
  EXPECT_EQ(warning.rfind(prefix, 0), 0u) << warning;
  return warning.substr(std::min(prefix.size(), warning.size()));
}

TEST(PluginAbi, APluginBuiltForAbi1WritesWhatTheBuiltInGreedyWrites) {
  const auto run =
      test::poet({"--plugin-dir", kAbiPlugins},
                 "gen 月 --decoder old-greedy --form 五绝\n"
                 "gen 月 --decoder greedy --no-repeat-line off --repeat-penalty 0 --form 五绝\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string first = run.out.substr(0, run.out.size() / 2);
  EXPECT_EQ(run.out, first + first);
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), 4) << run.out;
}

// The same source built against the frozen ABI 2 headers and against today's: poet must write the
// same poems with both and tell both the same.
TEST(PluginAbi, APluginBuiltForAbi2WritesAndHearsWhatTodaysBuildDoes) {
  std::string script;
  for (const char* report : {"instance", "form", "vocabulary", "metre"}) {
    for (const char* name : {"reporter", "abi2-reporter"})
      script += fmt::format("gen 月 --decoder {} --report {} --form 五律\n", name, report);
  }
  const auto poems = results(script);
  ASSERT_EQ(poems.size(), 8u);
  for (std::size_t i = 0; i < poems.size(); i += 2) {
    EXPECT_EQ(poems[i + 1].at("poem"), poems[i].at("poem"));
    const std::string today = poems[i].at("warnings")[0], abi2 = poems[i + 1].at("warnings")[0];
    EXPECT_EQ(abi2.substr(abi2.find(':')), today.substr(today.find(':')));
  }
}

TEST(PluginAbi, OneInstanceWritesEveryPoemAndHearsOfEachNewModel) {
  const auto poems = results(
      "gen 月 --decoder reporter -n 3\n"
      "reload\n"
      "gen 月 --decoder reporter\n");
  ASSERT_EQ(poems.size(), 5u);  // reload's result is the fourth
  EXPECT_EQ(report(poems[0]), "instance 1, poem 0 of 3, models 1");
  EXPECT_EQ(report(poems[1]), "instance 1, poem 1 of 3, models 1");
  EXPECT_EQ(report(poems[2]), "instance 1, poem 2 of 3, models 1");
  EXPECT_EQ(report(poems[4]), "instance 1, poem 0 of 1, models 2");
}

TEST(PluginAbi, TheFormExtensionDescribesTheFormAndWhereEachLineStands) {
  const auto poems = results(
      "gen 月 --decoder reporter --report form --form 五绝\n"
      "gen 月 --decoder reporter --report form --form 七律\n"
      "gen 月 --decoder reporter --report form --form free\n");
  ASSERT_EQ(poems.size(), 3u);
  // The beginning 月 is the poem's first character, so the first line is already begun.
  EXPECT_EQ(report(poems[0]),
            "free 0, same 1, regulated 1, longest 5, lengths 5, counts 4; lines 5/2 5/1 5/0; "
            "consistent");
  EXPECT_EQ(report(poems[1]),
            "free 0, same 1, regulated 1, longest 7, lengths 7, counts 8; "
            "lines 7/6 7/5 7/4 7/3 7/2 7/1 7/0; consistent");
  EXPECT_TRUE(std::regex_match(report(poems[2]),
                               std::regex("free 1, same 0, regulated 0, longest 11, lengths -, "
                                          "counts -; lines 0/-1( 0/-1)*; consistent")))
      << report(poems[2]);
}

TEST(PluginAbi, TheVocabularyExtensionMapsEveryTokenToTextAndBack) {
  const auto poems = results("gen 月 --decoder reporter --report vocabulary\nmodel\n");
  ASSERT_EQ(poems.size(), 2u);
  const int characters = poems[1].at("vocabulary_size").get<int>() - 4;
  EXPECT_EQ(report(poems[0]),
            std::to_string(characters) +
                " round trips, 5 marks, 4 special, unknown -1, two characters -1");
}

TEST(PluginAbi, TheMetreExtensionSaysWhatThePatternAsksAndTheGroupSettledOn) {
  const auto poems = results(
      "gen 春 --decoder reporter --report metre --form 五绝\n"
      "gen 春 --decoder reporter --report metre --form 五绝 --rhyme-book 中华新韵\n"
      "gen 春 --decoder reporter --report metre --form 五绝 --rhyme off --tones off\n");
  ASSERT_EQ(poems.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    const std::string book = i == 0 ? "平水韵 of 30 groups" : "中华新韵 of 14 groups";
    const std::string group = poems[static_cast<std::size_t>(i)].at("rhyme_group");
    EXPECT_TRUE(std::regex_match(report(poems[static_cast<std::size_t>(i)]),
                                 std::regex(book + "; rhymes at (0:4 )?1:4 3:4; group " + group +
                                            ", every rhyme in it; line 2 asks (平|仄|中){5}")))
        << report(poems[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ(report(poems[2]), "no metre");
}

// poet.metre/2: a plugin reads the user's rule, the pattern the poem settled on and what it asks
// of every position under strict, and every token's tone at once.
TEST(PluginAbi, TheMetreExtensionGivesThePatternTheRuleAndEveryTone) {
  const auto poems = results(
      "gen 春 --decoder reporter --report pattern --form 五律 --tones strict\n"
      "gen 秋 --decoder reporter --report pattern --form 七绝\n"
      "gen 秋 --decoder abi2-reporter --report pattern --form 七绝\n"
      "gen 春 --decoder reporter --report pattern --form free\n");
  ASSERT_EQ(poems.size(), 4u);
  const std::regex settled("rule (1|2); settled 1, (平|仄)起, first line (rhymes|does not rhyme); "
                           "(\\d+) characters off the pattern; tone table of (\\d+), 0 unlike tone\\(\\)");
  std::smatch match;
  const std::string strict = report(poems[0]);
  ASSERT_TRUE(std::regex_match(strict, match, settled)) << strict;
  EXPECT_EQ(match[1], "2");
  EXPECT_EQ(match[4], "0");  // strict holds every character of a known tone to the pattern
  EXPECT_GT(std::stoi(match[5]), 1000);  // the whole vocabulary
  const std::string loose = report(poems[1]);
  ASSERT_TRUE(std::regex_match(loose, match, settled)) << loose;
  EXPECT_EQ(match[1], "1");
  EXPECT_EQ(poems[2].at("warnings")[0], "decoder 'abi2-reporter': no metre/2");  // built before it
  // A free form has no pattern, though the lexicon is there.
  EXPECT_TRUE(report(poems[3]).rfind("rule 1; settled 0", 0) == 0) << report(poems[3]);
}

// A library may hold several decoders (poet.factory/1): each loads as a decoder of its own, in
// its own process when isolated, and writes the same poems in poet's process.
TEST(PluginAbi, AFactoryLoadsEveryDecoderOfItsLibraryIsolatedOrNot) {
  const std::string family = POET_TEST_PLUGINS "/family";
  const std::string script =
      "gen 月 --decoder family --best-of 1\n"
      "gen 月 --decoder family-warm --warmth 0.5 --seed 3 --best-of 1\n"
      "gen 月 --decoder family-cold --best-of 1\n";
  const auto isolated = test::poet({"--plugin-dir", family, "--json"}, "decoders\n" + script);
  ASSERT_EQ(isolated.exit_code, 0) << isolated.err;
  std::vector<nlohmann::json> replies;
  std::istringstream out(isolated.out);
  for (std::string line; std::getline(out, line);) replies.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(replies.size(), 4u) << isolated.out;
  std::map<std::string, nlohmann::json> loaded;
  for (const auto& decoder : replies[0].at("decoders")) loaded[decoder.at("name")] = decoder;
  for (const char* name : {"family", "family-warm", "family-cold"}) {
    ASSERT_TRUE(loaded.count(name)) << replies[0].dump();
    EXPECT_TRUE(loaded[name].at("isolated").get<bool>()) << name;
  }
  EXPECT_EQ(loaded["family-warm"].at("params")[0].at("name"), "warmth");
  EXPECT_TRUE(loaded["family"].at("seedless").get<bool>());

  const auto dir = test::fresh_dir("family-in-process");
  std::ofstream(dir / "poet.toml") << "[plugins]\nisolate = \"none\"\n";
  const auto in_process = test::poet(
      {"--plugin-dir", family, "--json", "--config", (dir / "poet.toml").string()}, script);
  ASSERT_EQ(in_process.exit_code, 0) << in_process.err;
  std::istringstream in(in_process.out);
  std::size_t i = 1;
  for (std::string line; std::getline(in, line); ++i) {
    ASSERT_LT(i, replies.size());
    EXPECT_EQ(nlohmann::json::parse(line).at("poem"), replies[i].at("poem"));
  }
  EXPECT_EQ(i, replies.size());
  EXPECT_EQ(replies[1].at("poem"), replies[3].at("poem"));  // both the likeliest poem

  // One decoder of a library that clashes refuses the library whole, with the reason.
  const auto clash =
      test::poet({"--plugin-dir", POET_TEST_PLUGINS "/family_clash", "--json"}, "decoders\n");
  ASSERT_EQ(clash.exit_code, 0) << clash.err;
  const auto listed = nlohmann::json::parse(clash.out);
  for (const auto& decoder : listed.at("decoders"))
    EXPECT_EQ(decoder.at("name").get<std::string>().rfind("family", 0), std::string::npos);
  ASSERT_EQ(listed.at("refused").size(), 1u) << clash.out;
  EXPECT_NE(listed.at("refused")[0].at("reason").get<std::string>().find(
                "a decoder named 'family' is already loaded from"),
            std::string::npos)
      << clash.out;
}

// [plugins] chooses per decoder: a built-in one isolated writes what it writes in poet's process.
TEST(PluginAbi, ConfigIsolatesABuiltInDecoderThatThenWritesTheSamePoems) {
  const auto dir = test::fresh_dir("isolate-greedy");
  const auto config = dir / "poet.toml";
  std::ofstream(config) << "[plugins]\nisolated = [\"greedy\"]\n";
  const std::string script = "decoders\ngen 月 --decoder greedy --form 七律\n";
  const auto in_process = test::poet({}, script);
  const auto isolated = test::poet({"--config", config.string()}, script);
  ASSERT_EQ(in_process.exit_code, 0) << in_process.err;
  ASSERT_EQ(isolated.exit_code, 0) << isolated.err;
  EXPECT_NE(in_process.out.find("(deterministic) (streams)\n"), std::string::npos)
      << in_process.out;
  EXPECT_NE(isolated.out.find("(deterministic) (streams, isolated)\n"), std::string::npos)
      << isolated.out;
  const auto poem = [](const std::string& out) { return out.substr(out.find("月")); };
  EXPECT_EQ(poem(isolated.out), poem(in_process.out));
}

// The guide's second example, which reads the form and the metre lexicon and keeps an instance.
// The rhyme group is named (七阳, a wide one) so that the group the model would pick cannot decide
// whether the default threshold warns.
TEST(PluginAbi, TheRhymePlannerExampleWritesAndWarnsOfANarrowRhymeGroup) {
  const std::string gen = "gen 春 --decoder rhyme-planner --form 五律 --rhyme 阳 --seed 1";
  const auto run = test::poet({"--plugin-dir", POET_TEST_PLUGINS "/examples", "--json"},
                              gen + "\n" + gen + " --narrow-group 100000\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::istringstream out(run.out);
  std::string line;
  std::vector<nlohmann::json> poems;
  while (std::getline(out, line)) poems.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(poems.size(), 2u);
  EXPECT_EQ(poems[0].at("lines").size(), 8u);
  EXPECT_FALSE(poems[0].contains("warnings")) << poems[0].dump();
  EXPECT_EQ(poems[1].at("poem"), poems[0].at("poem"));  // the warning changes nothing written
  const std::string group = poems[1].at("rhyme_group");
  ASSERT_EQ(poems[1].value("warnings", nlohmann::json::array()).size(), 1u) << poems[1].dump();
  EXPECT_TRUE(std::regex_match(poems[1]["warnings"][0].get<std::string>(),
                               std::regex("decoder 'rhyme-planner': the rhyme group " + group +
                                          " has only [0-9]+ characters to rhyme on")))
      << poems[1].dump();
}

// How many characters of a checked poem stand off the tone its pattern asks there, as
// --tones strict would hold them (中 and unknown characters fit either tone).
int off_pattern(const nlohmann::json& verdict) {
  const MetrePattern pattern{5, verdict.at("pattern").at("start") == "平起",
                             verdict.at("pattern").at("first_line_rhymes").get<bool>()};
  int off = 0;
  for (std::size_t line = 0; line < verdict.at("lines").size(); ++line) {
    const std::u32string tones = decode_utf8(verdict.at("lines")[line].at("tones").get<std::string>());
    for (std::size_t column = 0; column < tones.size(); ++column) {
      const Tone asked = pattern.tone(static_cast<int>(line), static_cast<int>(column));
      off += (tones[column] == U'平' && asked == Tone::oblique) ||
             (tones[column] == U'仄' && asked == Tone::level);
    }
  }
  return off;
}

// The guide's third example holds every place of its poems to the pattern's tone, as --tones
// strict would, though the user's rule is the default loose one; the temperature decoder's poems
// under that rule do not all keep it.
TEST(PluginAbi, TheTonalExampleKeepsEveryPlaceInItsPatternsTone) {
  const std::vector<std::string> args{"--plugin-dir", POET_TEST_PLUGINS "/examples", "--json"};
  const auto wrote = test::poet(args,
                                "gen 月 --decoder tonal --form 五律 -n 6 --seed 5\n"
                                "gen 月 --form 五律 -n 6 --seed 5 --best-of 1\n");
  ASSERT_EQ(wrote.exit_code, 0) << wrote.err;
  std::vector<nlohmann::json> poems;
  std::istringstream out(wrote.out);
  for (std::string line; std::getline(out, line);) poems.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(poems.size(), 12u);
  std::string checks;
  for (const auto& poem : poems) checks += "check " + poem.at("poem").get<std::string>() + "\n";
  const auto checked = test::poet(args, checks);
  std::vector<nlohmann::json> verdicts;
  std::istringstream in(checked.out);
  for (std::string line; std::getline(in, line);) verdicts.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(verdicts.size(), 12u) << checked.err;
  int tonal_kept = 0, temperature_kept = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    // A poem where no character of the asked tone could come says so, and only such a poem fails.
    const bool kept = verdicts[i].at("passes").get<bool>() && off_pattern(verdicts[i]) == 0;
    EXPECT_TRUE(kept || poems[i].contains("warnings")) << poems[i].dump() << verdicts[i].dump();
    tonal_kept += kept ? 1 : 0;
    temperature_kept += off_pattern(verdicts[i + 6]) == 0 ? 1 : 0;
  }
  EXPECT_GE(tonal_kept, 5);
  EXPECT_LT(temperature_kept, 6);

  // Where a line may end or go on (the form left to the poem), the mark and the end have no tone
  // to keep: tonal's poems still end where they choose, not always as 七律.
  const auto free_to_end = test::poet(args, "gen 春 --decoder tonal -n 6 --seed 5\n");
  ASSERT_EQ(free_to_end.exit_code, 0) << free_to_end.err;
  std::set<std::string> forms;
  std::istringstream chosen(free_to_end.out);
  for (std::string line; std::getline(chosen, line);)
    forms.insert(nlohmann::json::parse(line).at("form").get<std::string>());
  EXPECT_GE(forms.size(), 2u) << free_to_end.out;
}

}  // namespace
}  // namespace poet
