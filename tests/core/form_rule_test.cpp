// The form rule every decoder's poem is held to, token by token.

#include <gtest/gtest.h>

#include "poet/engine/metre/poem_cursor.h"

namespace poet {
namespace {

// Feeds text through a cursor; returns the index of the first character the rule refuses, or -1.
int first_refused(const FormRule& rule, std::u32string_view text, bool then_end = false) {
  PoemCursor cursor(rule);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    const bool mark = c == U'，' || c == U'。' || c == U'？' || c == U'！' || c == U'；';
    if (!(mark ? cursor.allows_mark(c) : cursor.allows_character())) return static_cast<int>(i);
    mark ? cursor.add_mark(c) : cursor.add_character(c);
  }
  if (then_end && !cursor.allows_end()) return static_cast<int>(text.size());
  return -1;
}

TEST(FormRule, AnExactFormTakesItsLinesAndMarksAndNothingElse) {
  const FormRule wujue = FormRule::exact(Form::wujue);
  EXPECT_EQ(first_refused(wujue, U"白日依山尽，黄河入海流。欲穷千里目，更上一层楼。", true), -1);
  EXPECT_EQ(first_refused(wujue, U"白日依山尽黄"), 5);                     // a sixth character
  EXPECT_EQ(first_refused(wujue, U"白日依山，"), 4);                       // a mark too early
  EXPECT_EQ(first_refused(wujue, U"白日依山尽。"), 5);                     // the wrong mark
  EXPECT_EQ(first_refused(wujue, U"白日依山尽，黄河入海流。", true), 12);  // ends after two lines
  EXPECT_EQ(first_refused(wujue, U"白日依山尽，黄河入海流。欲穷千里目，更上一层楼。更"), 24);
}

TEST(FormRule, TheAutomaticFormFollowsTheFirstLine) {
  const FormRule rule = FormRule::automatic();
  EXPECT_EQ(first_refused(rule, U"朝辞白帝彩云间，千里江陵一日还。", true),
            16);  // two lines are no poem
  EXPECT_EQ(first_refused(rule, U"朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。",
                          true),
            -1);
  EXPECT_EQ(first_refused(rule, U"朝辞白帝彩云间，千里江陵一。"), 13);  // a shorter second line
  EXPECT_EQ(first_refused(rule, U"朝辞白帝彩云，"), 6);                 // six is not a line length
  EXPECT_EQ(first_refused(rule, U"白日依山尽，黄河入海流。欲穷千里目，", true), 18);  // three lines
}

TEST(FormRule, AnAcrosticOfThreeLinesClosesItsThirdLine) {
  const FormRule rule = FormRule::automatic().with_lines(3);
  EXPECT_EQ(first_refused(rule, U"春风吹绿柳，夏雨打新荷。秋月照寒窗。", true), -1);
  EXPECT_EQ(first_refused(rule, U"春风吹绿柳，夏雨打新荷。秋月照寒窗，"), 17);
}

TEST(FormRule, AFreePoemEndsAfterAClosingMarkOrAtItsLimit) {
  const FormRule rule = FormRule::free(12);
  EXPECT_EQ(first_refused(rule, U"君不见，黄河之水天上来。", true), -1);
  EXPECT_EQ(first_refused(rule, U"君不见，", true), 4);  // not after a comma
  PoemCursor cursor(rule);
  for (const char32_t c : std::u32string_view(U"君不见黄河之水，天上来"))
    c == U'，' ? cursor.add_mark(c) : cursor.add_character(c);
  EXPECT_FALSE(cursor.allows_character());  // 11 written: room only for the closing mark
  EXPECT_TRUE(cursor.allows_mark(U'。'));
  cursor.add_mark(U'，');
  EXPECT_TRUE(cursor.allows_end());  // at the limit, even after a comma
}

TEST(FormRule, DescribesItself) {
  EXPECT_EQ(FormRule::exact(Form::qilv).describe(), "七律 (8 lines, 7 characters a line)");
  EXPECT_EQ(FormRule::automatic().describe(), "4 or 8 lines, 5 or 7 characters a line");
}

}  // namespace
}  // namespace poet
