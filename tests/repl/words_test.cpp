#include "words.h"

#include <gtest/gtest.h>

#include "poet/engine/error.h"

namespace poet::repl {
namespace {

using Words = std::vector<std::string>;

TEST(SplitWords, SplitsOnBlanks) {
  EXPECT_EQ(split_words("  gen 湖\t--seed 7 "), (Words{"gen", "湖", "--seed", "7"}));
  EXPECT_EQ(split_words(""), Words{});
}

TEST(SplitWords, QuotesKeepBlanksInsideOneWord) {
  EXPECT_EQ(split_words(R"(gen 月 --mood "床前 明月光")"), (Words{"gen", "月", "--mood", "床前 明月光"}));
  EXPECT_EQ(split_words("a 'b \"c\"' d"), (Words{"a", "b \"c\"", "d"}));
  EXPECT_EQ(split_words(R"(a "" b)"), (Words{"a", "", "b"}));
}

TEST(SplitWords, BackslashEscapesTheNextCharacter) {
  EXPECT_EQ(split_words(R"(a\ b "c\"d")"), (Words{"a b", "c\"d"}));
}

TEST(SplitWords, UnterminatedQuoteIsAnError) { EXPECT_THROW(split_words("gen \"湖"), Error); }

// A run that diverged reaches perplexities with a hundred and sixty digits before the point.
TEST(PerplexityText, KeepsTwoDecimalsUntilTheNumberIsHuge) {
  EXPECT_EQ(perplexity_text(93.456), "93.46");
  EXPECT_EQ(perplexity_text(999999.0), "999999.00");
  EXPECT_EQ(perplexity_text(1.234e160), "1.23e+160");
}

}  // namespace
}  // namespace poet::repl
