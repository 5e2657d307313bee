#include "cleaning.h"

#include <gtest/gtest.h>

namespace poet::corpora {
namespace {

std::size_t dropped(const Cleaner& cleaner, Rule rule) {
  return cleaner.report().dropped[static_cast<std::size_t>(rule)];
}

TEST(Cleaning, KeepsACleanPoemWithItsMetadataOutOfTheText) {
  Cleaner cleaner;
  const auto poem = cleaner.clean("静夜思", "李白", "床前明月光，疑是地上霜。举头望明月，低头思故乡。");
  ASSERT_TRUE(poem);
  EXPECT_EQ(poem->title, "静夜思");
  EXPECT_EQ(poem->author, "李白");
  EXPECT_EQ(poem->text, "床前明月光，疑是地上霜。举头望明月，低头思故乡。");
  EXPECT_EQ(poem->form, Form::wujue);
  EXPECT_EQ(cleaner.report().kept, 1u);
}

struct DropCase {
  std::string_view text;
  Rule rule;
};

class CleaningDrops : public testing::TestWithParam<DropCase> {};

TEST_P(CleaningDrops, CountsTheRuleThatDroppedThePoem) {
  Cleaner cleaner;
  EXPECT_FALSE(cleaner.clean("", "", GetParam().text));
  for (std::size_t i = 0; i < kRuleCount; ++i) {
    EXPECT_EQ(dropped(cleaner, static_cast<Rule>(i)), static_cast<Rule>(i) == GetParam().rule ? 1u : 0u)
        << rule_description(static_cast<Rule>(i));
  }
  EXPECT_EQ(cleaner.report().read, 1u);
  EXPECT_EQ(cleaner.report().kept, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, CleaningDrops,
    testing::Values(DropCase{"高歌对明月，松影落扶疏。（《古今图书集成》三○二《九鲤湖部》。", Rule::editorial_marks},
                    DropCase{"一团茅草乱蓬蓬，蓦地烧天蓦地空。）。", Rule::editorial_marks},
                    DropCase{"二月遥望梅林，青条吐叶（下缺）。", Rule::fragment},
                    DropCase{"妖韶援绿{𥫗/戢}。", Rule::missing_characters},
                    DropCase{"嵓□□□万木中，特地一枝红。", Rule::missing_characters},
                    DropCase{"囗囗囗囗囗囗囗，但将词赋奉恩辉。", Rule::missing_characters},
                    DropCase{"林藏●●多残笋，树过猩猩少落花。", Rule::missing_characters},
                    DropCase{"君不见贾谊寰中推逸才，⿰亻丸香坐处馆常开。", Rule::missing_characters},
                    DropCase{"三冬季月景龙年_，万乘观风出灞川。", Rule::ascii},
                    DropCase{"一二三四五，六七八九十1。", Rule::ascii},
                    DropCase{"空饭手捻盐…亦胜设酒肉。", Rule::other_symbols},
                    DropCase{"", Rule::fragment},
                    DropCase{"白日依山尽，黄河入海流", Rule::fragment},
                    DropCase{"白日依山尽，黄河入海流，", Rule::fragment}));

struct RecoveryCase {
  std::string_view text;
  std::string_view verse;
};

class CleaningRecovers : public testing::TestWithParam<RecoveryCase> {};

TEST_P(CleaningRecovers, TheVerseUnderTheEditorsNotesWithItsMainReading) {
  Cleaner cleaner;
  const auto poem = cleaner.clean("", "", GetParam().text);
  ASSERT_TRUE(poem);
  EXPECT_EQ(poem->text, GetParam().verse);
  EXPECT_EQ(cleaner.report().notes_removed, 1u);
  EXPECT_EQ(cleaner.report().kept, 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Notes, CleaningRecovers,
    testing::Values(
        // Variant readings follow the main reading they would replace.
        RecoveryCase{"阑风长雨（一作「东风细雨」）秋纷纷，四海（一作「万里」）八荒同一云。",
                     "阑风长雨秋纷纷，四海八荒同一云。"},
        // A title quoted in a line, a character the editors supplied: the words are verse.
        RecoveryCase{"童子解吟《长恨曲》，胡儿能唱〈琵琶篇〉。", "童子解吟长恨曲，胡儿能唱琵琶篇。"},
        RecoveryCase{"[爽]节在重九，物华新雨余。", "爽节在重九，物华新雨余。"},
        // A footnote's number and its note, nested brackets and ASCII inside the note included.
        RecoveryCase{"微臣昧所识，观俗书此词。[一]（[一]刘云：「定鼎《书》1」）",
                     "微臣昧所识，观俗书此词。"},
        // A note before the closing stop leaves one stop, not two.
        RecoveryCase{"岁芳坐沦歇，感此至微歌。（〖1〗按这一首）。", "岁芳坐沦歇，感此至微歌。"}));

TEST(Cleaning, NormalisesPunctuationAndCountsIt) {
  Cleaner cleaner;
  const auto poem = cleaner.clean("", "", "问春桂：桃李正芬华、年光随处满，何事独无花。");
  ASSERT_TRUE(poem);
  EXPECT_EQ(poem->text, "问春桂，桃李正芬华，年光随处满，何事独无花。");
  EXPECT_EQ(cleaner.report().punctuation_normalised, 1u);
}

TEST(Cleaning, DropsLaterCopiesOfTheSameText) {
  Cleaner cleaner;
  EXPECT_TRUE(cleaner.clean("其一", "甲", "白日依山尽，黄河入海流。"));
  EXPECT_FALSE(cleaner.clean("其二", "乙", "白日依山尽，黄河入海流。"));
  // The same poem once normalised is the same text.
  EXPECT_FALSE(cleaner.clean("其三", "丙", "白日依山尽、黄河入海流。"));
  EXPECT_EQ(dropped(cleaner, Rule::duplicate), 2u);
  EXPECT_EQ(cleaner.report().kept, 1u);
}

TEST(Cleaning, SplitOfAPoemDoesNotDependOnWhatElseIsInTheCorpus) {
  Cleaner alone, crowded;
  crowded.clean("", "", "朝辞白帝彩云间，千里江陵一日还。");
  const auto a = alone.clean("", "", "白日依山尽，黄河入海流。");
  const auto b = crowded.clean("", "", "白日依山尽，黄河入海流。");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->split, b->split);
}

}  // namespace
}  // namespace poet::corpora
