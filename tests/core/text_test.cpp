#include "poet/engine/text/text.h"

#include <gtest/gtest.h>

#include "poet/engine/error.h"
#include "poet/engine/text/forms.h"

namespace poet {
namespace {

TEST(Utf8, RoundTripsAllPlanes) {
  const std::string text = "湖a𠀀，é";
  const std::u32string decoded = decode_utf8(text);
  EXPECT_EQ(decoded, (std::u32string{U'湖', U'a', U'\U00020000', U'，', U'é'}));
  EXPECT_EQ(encode_utf8(decoded), text);
}

TEST(Utf8, RejectsInvalidSequences) {
  EXPECT_THROW(decode_utf8("\xff"), Error);
  EXPECT_THROW(decode_utf8("\xe6\xb9"), Error);      // truncated 湖
  EXPECT_THROW(decode_utf8("\xc0\xaf"), Error);      // overlong '/'
  EXPECT_THROW(decode_utf8("\xed\xa0\x80"), Error);  // a surrogate
}

// What a plugin says reaches the terminal only as text: nothing a terminal would act on.
TEST(Printable, ReplacesControlsAndBadBytesAndKeepsTheRest) {
  EXPECT_EQ(printable("月落乌啼 plain"), "月落乌啼 plain");
  EXPECT_EQ(printable("\x1b[2Jclear\x07"), "\uFFFD[2Jclear\uFFFD");
  EXPECT_EQ(printable("a\nb\tc"), "a b c");
  EXPECT_EQ(printable("bad \xff\xfe end"), "bad \uFFFD\uFFFD end");
  EXPECT_EQ(printable("\xe6\x9c"), "\uFFFD\uFFFD");  // a character cut short
  EXPECT_EQ(printable("rtl \u202e override \u0085"), "rtl \uFFFD override \uFFFD");
  EXPECT_EQ(printable("月月月", 7), "月月…");  // cut between characters, never inside one
  EXPECT_EQ(printable(std::string(1000, 'x')).size(), 300u + std::string("…").size());
}

TEST(Han, CoversTheExtensionBlocksButNotPunctuation) {
  EXPECT_TRUE(is_han(U'湖'));
  EXPECT_TRUE(is_han(U'㶉'));          // Extension A
  EXPECT_TRUE(is_han(U'\U00020000'));  // Extension B
  EXPECT_FALSE(is_han(U'，'));
  EXPECT_FALSE(is_han(U'□'));
  EXPECT_FALSE(is_han(U'a'));
}

TEST(Punctuation, NormalisesToTheFiveVerseMarks) {
  std::u32string text = U"千山鸟飞绝、万径 人踪灭：「孤舟」蓑笠翁,独钓寒江雪.";
  EXPECT_TRUE(normalise_punctuation(text));
  EXPECT_EQ(text, U"千山鸟飞绝，万径人踪灭，孤舟蓑笠翁，独钓寒江雪。");
  EXPECT_FALSE(normalise_punctuation(text));
}

TEST(Describe, NamesTheCodePoint) { EXPECT_EQ(describe(U'湖'), "'湖' (U+6E56)"); }

TEST(Forms, ClassifiesTheFourRegulatedShapes) {
  EXPECT_EQ(classify_form(U"床前明月光，疑是地上霜。举头望明月，低头思故乡。"), Form::wujue);
  EXPECT_EQ(classify_form(U"朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"),
            Form::qijue);
  EXPECT_EQ(classify_form(U"国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。"
                          U"烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"),
            Form::wulv);
  EXPECT_EQ(classify_form(U"风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"
                          U"万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。"),
            Form::qilv);
}

TEST(Forms, LongUniformPoemsArePailvAndTheRestOther) {
  std::u32string ten_lines;
  for (int i = 0; i < 5; ++i) ten_lines += U"一二三四五，六七八九十。";
  EXPECT_EQ(classify_form(ten_lines), Form::pailv);
  EXPECT_EQ(classify_form(ten_lines.substr(0, 9 * 6)), Form::other);  // nine lines
  EXPECT_EQ(classify_form(U"床前明月光，疑是地上霜。举头望明月，低头思乡。"), Form::other);
  EXPECT_EQ(classify_form(U"床前明月光，疑是地上霜。举头望明月，低头思故乡"), Form::other);
  EXPECT_EQ(classify_form(U"一二三四，五六七八。一二三四，五六七八。"), Form::other);  // 4 per line
  EXPECT_EQ(classify_form(U""), Form::other);
}

TEST(Forms, ParsesNamesAndShapes) {
  EXPECT_EQ(parse_form("五绝"), Form::wujue);
  EXPECT_EQ(parse_form("7x4"), Form::qijue);
  EXPECT_EQ(parse_form("5x8"), Form::wulv);
  EXPECT_EQ(parse_form("七律"), Form::qilv);
  EXPECT_EQ(parse_form("6x4"), std::nullopt);
  for (const Form form :
       {Form::wujue, Form::qijue, Form::wulv, Form::qilv, Form::pailv, Form::other}) {
    EXPECT_EQ(parse_form(form_name(form)), form);
  }
  EXPECT_EQ(form_shape(Form::qilv).chars_per_line, 7);
  EXPECT_EQ(form_shape(Form::qilv).lines, 8);
}

TEST(Forms, VerseLinesSplitAtEveryMark) {
  const auto lines = verse_lines(U"白日依山尽，黄河入海流！欲穷");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], U"白日依山尽");
  EXPECT_EQ(lines[2], U"欲穷");
}

}  // namespace
}  // namespace poet
