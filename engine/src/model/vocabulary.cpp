#include "poet/engine/model/vocabulary.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "poet/engine/error.h"
#include "poet/engine/text/text.h"

namespace poet {

void CharCounts::add(std::u32string_view text) {
  for (const char32_t c : text) ++counts_[c];
}

Vocabulary Vocabulary::build(const CharCounts& counts, std::size_t min_count) {
  std::vector<std::pair<char32_t, std::size_t>> kept;
  for (const auto& [c, n] : counts.counts()) {
    if (n >= min_count) kept.emplace_back(c, n);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<char32_t> characters;
  characters.reserve(kept.size());
  for (const auto& entry : kept) characters.push_back(entry.first);
  return Vocabulary(std::move(characters));
}

Vocabulary::Vocabulary(std::vector<char32_t> characters) : characters_(std::move(characters)) {
  tokens_.reserve(characters_.size());
  displays_ = {"<pad>", "<start>", "<end>", "<unk>"};
  for (std::size_t i = 0; i < characters_.size(); ++i) {
    const int token = static_cast<int>(i) + kSpecialCount;
    if (!tokens_.emplace(characters_[i], token).second) {
      throw Error::file(fmt::format("vocabulary lists {} twice", describe(characters_[i])));
    }
    displays_.push_back(encode_utf8(characters_[i]));
    if (is_verse_punctuation(characters_[i])) punctuation_.push_back(token);
  }
}

std::optional<int> Vocabulary::find(char32_t c) const {
  const auto it = tokens_.find(c);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

std::vector<int> Vocabulary::encode(std::u32string_view text) const {
  std::vector<int> tokens;
  tokens.reserve(text.size());
  for (const char32_t c : text) tokens.push_back(token(c));
  return tokens;
}

char32_t Vocabulary::character(int token) const {
  if (is_special(token) || token < 0 || token >= size()) {
    throw Error::model(fmt::format("token {} is not a character", token));
  }
  return characters_[static_cast<std::size_t>(token - kSpecialCount)];
}

const std::string& Vocabulary::display(int token) const {
  if (token < 0 || token >= size()) throw Error::model(fmt::format("no token {}", token));
  return displays_[static_cast<std::size_t>(token)];
}

}  // namespace poet
