// The metre lexicon, the standard patterns of regulated verse, `check`, and the metre rule a poem
// is written under, character by character.

#include "poet/engine/metre/metre.h"

#include <gtest/gtest.h>

#include <fstream>

#include "poet/engine/error.h"
#include "poet/engine/text/text.h"
#include "scratch.h"

namespace poet {
namespace {

const MetreLexicon& lexicon() {
  static const MetreLexicon lexicon =
      MetreLexicon::read(std::filesystem::path(POET_CORPORA_DIR) / "metre.tsv");
  return lexicon;
}

constexpr auto kPingshui = RhymeBook::pingshui;

// 杜甫《春望》: a 五律, 仄起, first line not rhyming, rhyme 十二侵.
constexpr std::u32string_view kChunWang =
    U"国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜"
    U"簪。";

TEST(MetreLexicon, KnowsTheTonesOfCommonCharacters) {
  for (const char32_t c : std::u32string_view(U"白国竹月")) {
    EXPECT_EQ(lexicon().tone(c, kPingshui), Tone::oblique) << encode_utf8(c);
  }
  for (const char32_t c : std::u32string_view(U"风花春")) {
    EXPECT_EQ(lexicon().tone(c, kPingshui), Tone::level) << encode_utf8(c);
  }
  EXPECT_EQ(lexicon().tone(U'看', kPingshui), Tone::either);
  // 白 and 国 are entering tones: oblique in the old readings, level in Mandarin.
  EXPECT_EQ(lexicon().tone(U'国', RhymeBook::xinyun), Tone::level);
  EXPECT_EQ(lexicon().tone(U'𠀀', kPingshui), Tone::unknown);
}

TEST(MetreLexicon, KnowsTheRhymeGroups) {
  const auto in = [](char32_t c, std::string_view group, RhymeBook book = kPingshui) {
    return (lexicon().groups(c, book) >> *parse_group(book, group) & 1) != 0;
  };
  for (const char32_t c : std::u32string_view(U"东风空红"))
    EXPECT_TRUE(in(c, "一东")) << encode_utf8(c);
  for (const char32_t c : std::u32string_view(U"深心金"))
    EXPECT_TRUE(in(c, "侵")) << encode_utf8(c);
  for (const char32_t c : std::u32string_view(U"光霜乡"))
    EXPECT_TRUE(in(c, "七阳")) << encode_utf8(c);
  EXPECT_FALSE(in(U'月', "七阳"));
  EXPECT_TRUE(in(U'光', "十唐", RhymeBook::xinyun));
  EXPECT_TRUE(in(U'风', "十一庚", RhymeBook::xinyun));
}

TEST(MetreLexicon, NamesGroupsAndBooks) {
  EXPECT_EQ(parse_group(kPingshui, "东"), 0);
  EXPECT_EQ(parse_group(kPingshui, "一先"), 15);
  EXPECT_EQ(parse_group(kPingshui, "咸"), 29);
  EXPECT_EQ(parse_group(kPingshui, "唐"), std::nullopt);
  EXPECT_EQ(parse_group(RhymeBook::xinyun, "唐"), 9);
  EXPECT_EQ(parse_book("中华新韵"), RhymeBook::xinyun);
  EXPECT_EQ(parse_book("广韵"), std::nullopt);
}

TEST(MetreLexicon, ABadFileIsRefusedWithItsLine) {
  const auto file = std::filesystem::path(test::scratch_dir()) / "bad_metre.tsv";
  {
    std::ofstream out(file);
    out << "# poet metre lexicon v1\tchar\ttone\tpingshui\tmodern\txinyun\n"
        << "风\t平\t东\t平\t庚\n"
        << "花\t上\t麻\t平\t麻\n";
  }
  try {
    MetreLexicon::read(file);
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), file.string() + ":3: a tone is 平, 仄, 中 or empty");
  }
  EXPECT_THROW(MetreLexicon::read(std::filesystem::path(test::scratch_dir()) / "no such file"),
               Error);
}

TEST(MetrePattern, GivesTheFourLinesOfEachStart) {
  const auto line = [](const MetrePattern& p, int line) {
    std::string tones;
    for (int column = 0; column < p.line_length; ++column) tones += tone_mark(p.tone(line, column));
    return tones;
  };
  const MetrePattern wu_oblique{5, false, false};
  EXPECT_EQ(line(wu_oblique, 0), "仄仄平平仄");
  EXPECT_EQ(line(wu_oblique, 1), "平平仄仄平");
  EXPECT_EQ(line(wu_oblique, 2), "平平平仄仄");
  EXPECT_EQ(line(wu_oblique, 3), "仄仄仄平平");
  EXPECT_EQ(line(wu_oblique, 4), "仄仄平平仄");
  const MetrePattern qi_level{7, true, true};
  EXPECT_EQ(line(qi_level, 0), "平平仄仄仄平平");
  EXPECT_EQ(line(qi_level, 1), "仄仄平平仄仄平");
  EXPECT_EQ(line(qi_level, 2), "仄仄平平平仄仄");
  EXPECT_EQ(line(qi_level, 3), "平平仄仄仄平平");
  EXPECT_TRUE(qi_level.rhymes(0));
  EXPECT_FALSE(wu_oblique.rhymes(0));
  EXPECT_TRUE(wu_oblique.key(1));
  EXPECT_FALSE(wu_oblique.key(2));
  EXPECT_TRUE(wu_oblique.key(4));
}

TEST(Check, ChunWangKeepsEveryRule) {
  const MetreCheck check = check_poem(kChunWang, lexicon(), kPingshui);
  EXPECT_TRUE(check.passes()) << (check.faults.empty() ? "" : check.faults.front().message);
  EXPECT_EQ(check.form, "五律");
  ASSERT_TRUE(check.pattern);
  EXPECT_FALSE(check.pattern->level_start);
  EXPECT_FALSE(check.pattern->first_line_rhymes);
  EXPECT_EQ(check.group, parse_group(kPingshui, "侵"));
  EXPECT_EQ(check.rhyme_lines, (std::vector<int>{1, 3, 5, 7}));
  EXPECT_EQ(check.tones[0], "仄仄平平仄");
  EXPECT_EQ(check.key_passed, check.key_checks);
  EXPECT_EQ(check.verdict(), "五律 that keeps every rule of regulated verse");
}

TEST(Check, AnObliqueLastRhymeIsAFault) {
  std::u32string poem(kChunWang);
  poem[poem.size() - 2] = U'月';  // 浑欲不胜月
  const MetreCheck check = check_poem(poem, lexicon(), kPingshui);
  EXPECT_FALSE(check.passes());
  EXPECT_FALSE(check.rhymes);
  ASSERT_EQ(check.faults.size(), 1u);
  EXPECT_EQ(check.faults[0].line, 7);
  EXPECT_EQ(check.faults[0].column, 4);
  EXPECT_EQ(check.faults[0].message, "'月' does not rhyme in 十二侵");
  EXPECT_EQ(check.verdict(), "五律 with 1 fault");
}

TEST(Check, NamesARepeatedRhymeGuPingAndThreeLevelTones) {
  // 春望 with its second rhyme 心 changed to 深; then with line 2 made 孤平 (草春草木深:
  // 仄平仄仄平) and line 6 ending on three level tones (家书多千金).
  const MetreCheck repeated = check_poem(
      U"国破山河在，城春草木深。感时花溅泪，恨别鸟惊深。烽火连三月，家书抵万金。白头搔更短，浑欲不"
      U"胜簪。",
      lexicon(), kPingshui);
  EXPECT_TRUE(repeated.repeats_rhyme);
  ASSERT_EQ(repeated.faults.size(), 1u);
  EXPECT_EQ(repeated.faults[0].message, "'深' rhymes a second time");

  const MetreCheck gu_ping = check_poem(
      U"国破山河在，草春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书多千金。白头搔更短，浑欲不"
      U"胜簪。",
      lexicon(), kPingshui);
  std::vector<std::string> messages;
  for (const auto& fault : gu_ping.faults) messages.push_back(fault.message);
  EXPECT_NE(std::find(messages.begin(), messages.end(), "孤平: the line's level tone stands alone"),
            messages.end());
  EXPECT_NE(
      std::find(messages.begin(), messages.end(), "三平尾: the line ends on three level tones"),
      messages.end());
}

TEST(Check, ShowsTheTonesAndRhymesOfAPoemThatIsNotRegulated) {
  const MetreCheck check =
      check_poem(U"床前明月光，疑是地上霜。举头望明月，低头思故乡。归去。", lexicon(), kPingshui);
  EXPECT_FALSE(check.regulated);
  EXPECT_EQ(check.form, "5 lines");
  EXPECT_TRUE(check.faults.empty());
  EXPECT_EQ(check.tones.size(), 5u);
  EXPECT_EQ(check.group, parse_group(kPingshui, "阳"));
}

// Runs text through a cursor as the host does; returns the index of the first character the
// rule refuses, or -1.
int first_refused(const MetreRule& rule, std::u32string_view text, std::vector<int> lengths = {5}) {
  MetreCursor cursor(rule, lengths);
  int line = 0, column = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (is_verse_punctuation(c)) {
      if (!cursor.allows_line_end(column)) return static_cast<int>(i);
      cursor.end_line(column);
      ++line, column = 0;
      continue;
    }
    const MetreEntry entry = rule.lexicon->entry(c);
    if (!cursor.allows(c, entry, line, column)) return static_cast<int>(i);
    cursor.add(c, entry, line, column);
    ++column;
  }
  return -1;
}

TEST(MetreCursor, AutoRhymeLetsTheFirstRhymePickTheGroup) {
  MetreRule rule;
  rule.lexicon = &lexicon();
  EXPECT_EQ(first_refused(rule, kChunWang), -1);
  EXPECT_EQ(first_refused(rule, U"国破山河在，城春草木深。感时花溅泪，恨别鸟惊光。"),
            22);  // 光 is 阳
  EXPECT_EQ(first_refused(rule, U"国破山河在，城春草木深。感时花溅泪，恨别鸟惊深。"),
            22);                                                                // a repeat
  EXPECT_EQ(first_refused(rule, U"国破山河在，城春草木月。"), 10);              // an oblique rhyme
  EXPECT_EQ(first_refused(rule, U"国破山河在，城春草木深。感时花溅花，"), 16);  // 平 ends line 3
  EXPECT_EQ(first_refused(rule, U"国破山月在，"), 3);  // 月 breaks 仄仄平平仄 at position 4
  // Loose tones leave positions 1, 3 and 5 free; strict tones do not.
  EXPECT_EQ(first_refused(rule, U"春破山河在，"), -1);
  // ... but not free to make 孤平 (仄平仄仄平) or 三平尾 (仄仄平平平); 仄平平仄平 is fine.
  EXPECT_EQ(first_refused(rule, U"国破山河在，草春木木深。"), 8);
  EXPECT_EQ(first_refused(rule, U"国破山河在，草春花木深。"), -1);
  EXPECT_EQ(first_refused(rule, U"国破山河在，城春草木深。感时花溅泪，恨别花惊心。"), 20);
  rule.tones = ToneMode::strict;
  EXPECT_EQ(first_refused(rule, U"国破山河在，城春草木深。感时花溅泪，"),
            12);  // 感 at 平平平仄仄's first
  rule.tones = ToneMode::off;
  EXPECT_EQ(first_refused(rule, U"国破春河在，城春草木深。"), -1);
}

TEST(MetreCursor, AFixedGroupAndTheRelaxations) {
  MetreRule rule;
  rule.lexicon = &lexicon();
  rule.rhyme = RhymeMode::fixed;
  rule.group = *parse_group(kPingshui, "阳");
  EXPECT_EQ(first_refused(rule, U"国破山河在，城春草木深。"), 10);
  EXPECT_EQ(first_refused(rule, U"国破山河在，城春草木香。"), -1);
  MetreCursor cursor(rule, {5});
  const auto put = [&](std::u32string_view line, int number) {
    for (int column = 0; column < 5; ++column) {
      cursor.add(line[static_cast<std::size_t>(column)],
                 lexicon().entry(line[static_cast<std::size_t>(column)]), number, column);
    }
    cursor.end_line(5);
  };
  put(U"国破山河在", 0);
  put(U"城春草木香", 1);
  EXPECT_EQ(cursor.group(), rule.group);
  put(U"感时花溅泪", 2);
  const MetreEntry xiang = lexicon().entry(U'香');
  EXPECT_FALSE(cursor.allows(U'香', xiang, 3, 4));
  EXPECT_TRUE(cursor.allows(U'香', xiang, 3, 4, Relaxation::repeat_rhyme));
  const MetreEntry yue = lexicon().entry(U'月');
  EXPECT_FALSE(cursor.allows(U'月', yue, 3, 4, Relaxation::no_tones));
  EXPECT_TRUE(cursor.allows(U'月', yue, 3, 4, Relaxation::no_rhyme));
}

TEST(MetreCursor, TheAutomaticFormKeepsBothLengthsOpenUntilTheLineEnds) {
  MetreRule rule;
  rule.lexicon = &lexicon();
  // 朝辞白帝彩云间: 云 at the fifth place would end a 五言 line on a level tone without the rhyme
  // group being settled, which a 五言 first line may do, or go on to seven.
  EXPECT_EQ(first_refused(rule, U"朝辞白帝彩云间，千里江陵一日还。", {5, 7}), -1);
  EXPECT_EQ(first_refused(rule, U"白日依山尽，黄河入海流。", {5, 7}), -1);
  EXPECT_EQ(first_refused(rule, U"朝辞白帝彩云间，千里江陵一日还。", {5}), 5);
}

}  // namespace
}  // namespace poet
