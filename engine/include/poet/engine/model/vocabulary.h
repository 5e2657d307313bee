#pragma once
// The model's alphabet: one token per character, plus four special tokens that mark structure and
// can never be written into a poem.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace poet {

// Character frequencies over a corpus, for building a vocabulary.
class CharCounts {
 public:
  void add(std::u32string_view text);
  const std::unordered_map<char32_t, std::size_t>& counts() const { return counts_; }

 private:
  std::unordered_map<char32_t, std::size_t> counts_;
};

class Vocabulary {
 public:
  static constexpr int kPad = 0;    // fills short sequences in a batch
  static constexpr int kStart = 1;  // before a poem's first character
  static constexpr int kEnd = 2;    // after its last
  static constexpr int kUnk = 3;    // a character outside the vocabulary
  static constexpr int kSpecialCount = 4;

  // The characters seen at least `min_count` times, most frequent first (ties by code point, so
  // the same corpus always gives the same token numbers); rarer ones become <unk>.
  static Vocabulary build(const CharCounts& counts, std::size_t min_count);

  // Token kSpecialCount + i is characters[i]; the order is the one build() produced.
  explicit Vocabulary(std::vector<char32_t> characters);

  int size() const { return static_cast<int>(characters_.size()) + kSpecialCount; }
  const std::vector<char32_t>& characters() const { return characters_; }

  std::optional<int> find(char32_t c) const;
  int token(char32_t c) const { return find(c).value_or(kUnk); }
  std::vector<int> encode(std::u32string_view text) const;

  static bool is_special(int token) { return token >= 0 && token < kSpecialCount; }
  // The tokens of the five verse punctuation marks this vocabulary has.
  const std::vector<int>& punctuation_tokens() const { return punctuation_; }
  // The character of a non-special token; throws std::out_of_range otherwise.
  char32_t character(int token) const;
  // UTF-8 for a character, "<pad>", "<start>", "<end>" or "<unk>" for the special tokens; made
  // once, since decoding asks for it at every step.
  const std::string& display(int token) const;

 private:
  std::vector<char32_t> characters_;
  std::unordered_map<char32_t, int> tokens_;
  std::vector<std::string> displays_;  // by token
  std::vector<int> punctuation_;
};

}  // namespace poet
