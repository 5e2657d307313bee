#include "poet/engine/model/vocabulary.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "poet/engine/error.h"

namespace poet {
namespace {

Vocabulary sample_vocabulary(std::size_t min_count) {
  CharCounts counts;
  counts.add(U"春眠不觉晓，处处闻啼鸟。");
  counts.add(U"夜来风雨声，花落知多少。");
  return Vocabulary::build(counts, min_count);
}

TEST(Vocabulary, OrdersByFrequencyThenCodePoint) {
  const Vocabulary vocabulary = sample_vocabulary(1);
  // 。(U+3002), 处 (U+5904) and ，(U+FF0C) twice each, by code point; then the rest once.
  EXPECT_EQ(vocabulary.display(Vocabulary::kSpecialCount), "。");
  EXPECT_EQ(vocabulary.display(Vocabulary::kSpecialCount + 1), "处");
  EXPECT_EQ(vocabulary.display(Vocabulary::kSpecialCount + 2), "，");
  EXPECT_EQ(vocabulary.size(), Vocabulary::kSpecialCount + 21);
}

TEST(Vocabulary, RareCharactersBecomeUnknown) {
  const Vocabulary vocabulary = sample_vocabulary(2);
  EXPECT_EQ(vocabulary.size(), Vocabulary::kSpecialCount + 3);
  EXPECT_EQ(vocabulary.token(U'春'), Vocabulary::kUnk);
  EXPECT_EQ(vocabulary.find(U'春'), std::nullopt);
  EXPECT_EQ(vocabulary.encode(U"处春。"),
            (std::vector<int>{Vocabulary::kSpecialCount + 1, Vocabulary::kUnk,
                              Vocabulary::kSpecialCount}));
}

TEST(Vocabulary, SpecialTokensAreNeverCharacters) {
  const Vocabulary vocabulary = sample_vocabulary(1);
  for (int token = 0; token < Vocabulary::kSpecialCount; ++token) {
    EXPECT_TRUE(Vocabulary::is_special(token));
    EXPECT_THROW(vocabulary.character(token), Error);
  }
  EXPECT_EQ(vocabulary.display(Vocabulary::kStart), "<start>");
  EXPECT_EQ(vocabulary.display(Vocabulary::kEnd), "<end>");
  EXPECT_EQ(vocabulary.display(Vocabulary::kUnk), "<unk>");
  EXPECT_THROW(vocabulary.character(vocabulary.size()), Error);
}

TEST(Vocabulary, KnowsWhichTokensArePunctuation) {
  const Vocabulary vocabulary = sample_vocabulary(1);
  std::vector<int> expected{vocabulary.token(U'，'), vocabulary.token(U'。')};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(vocabulary.punctuation_tokens(), expected);
}

TEST(Vocabulary, RestoresFromItsCharacterList) {
  const Vocabulary built = sample_vocabulary(1);
  const Vocabulary restored(built.characters());
  for (int token = Vocabulary::kSpecialCount; token < built.size(); ++token) {
    EXPECT_EQ(restored.character(token), built.character(token));
  }
  EXPECT_THROW(Vocabulary({U'花', U'花'}), Error);
}

}  // namespace
}  // namespace poet
