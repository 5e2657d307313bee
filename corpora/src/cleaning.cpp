#include "cleaning.h"

#include <algorithm>

#include "poet/engine/text.h"

namespace poet::corpora {
namespace {

bool is_editorial_mark(char32_t c) {
  static constexpr std::u32string_view kMarks = U"()（）《》〈〉[]［］{}｛｝〖〗【】〔〕";
  return kMarks.find(c) != std::u32string_view::npos;
}

bool is_missing_character_mark(char32_t c) {
  static constexpr std::u32string_view kMarks = U"□■○●◎囗\uFFFD";
  return kMarks.find(c) != std::u32string_view::npos ||
         (c >= 0x2FF0 && c <= 0x2FFF);  // ideographic description: a character spelled out
}

bool closes_sentence(char32_t c) { return c == U'。' || c == U'？' || c == U'！' || c == U'；'; }

bool is_ascii_character(char32_t c) { return c < 0x80 && c != U' '; }

template <typename Predicate>
bool any_of(std::u32string_view text, Predicate predicate) {
  return std::any_of(text.begin(), text.end(), predicate);
}

}  // namespace

std::string_view rule_description(Rule rule) {
  switch (rule) {
    case Rule::editorial_marks: return "editorial notes or variant readings in brackets";
    case Rule::missing_characters: return "boxes or marks for missing characters";
    case Rule::ascii: return "ASCII characters";
    case Rule::other_symbols: return "other symbols";
    case Rule::fragment: return "fragments: empty, or not ending with 。？！；";
    case Rule::duplicate: return "duplicates";
  }
  return "";
}

std::optional<Poem> Cleaner::drop(Rule rule) {
  ++report_.dropped[static_cast<std::size_t>(rule)];
  return std::nullopt;
}

std::optional<Poem> Cleaner::clean(std::string title, std::string author, std::string_view text) {
  ++report_.read;
  std::u32string verse = decode_utf8(text);
  if (any_of(verse, is_editorial_mark)) return drop(Rule::editorial_marks);
  if (any_of(verse, is_missing_character_mark)) return drop(Rule::missing_characters);
  if (any_of(verse, is_ascii_character)) return drop(Rule::ascii);
  const bool normalised = normalise_punctuation(verse);
  if (any_of(verse, [](char32_t c) { return !is_han(c) && !is_verse_punctuation(c); })) {
    return drop(Rule::other_symbols);
  }
  if (verse.empty() || !is_han(verse.front()) || !closes_sentence(verse.back())) {
    return drop(Rule::fragment);
  }
  std::string utf8 = encode_utf8(verse);
  if (!seen_texts_.insert(utf8).second) return drop(Rule::duplicate);
  ++report_.kept;
  if (normalised) ++report_.punctuation_normalised;
  return make_poem(std::move(title), std::move(author), std::move(utf8));
}

}  // namespace poet::corpora
