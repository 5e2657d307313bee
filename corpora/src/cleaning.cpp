#include "cleaning.h"

#include <algorithm>
#include <variant>

#include "poet/engine/text/text.h"

namespace poet::corpora {
namespace {

// Brackets around an editor's words, removed with everything inside: notes (（一作「东风细雨」）,
// （其二）, 〖1〗) and variant readings, which follow the main reading they would replace.
constexpr std::u32string_view kNoteOpeners = U"（(〖【〔";
constexpr std::u32string_view kNoteClosers = U"）)〗】〕";
// Marks whose words are verse: a title quoted in a line (《长恨曲》), a character the editors
// supplied ([爽]). The marks go and the words stay; [一] or [一○] alone is a footnote's number.
constexpr std::u32string_view kVerseMarks = U"《》〈〉[]［］";
// A character the font lacks, spelled out from its parts: {月悤}.
constexpr std::u32string_view kSpelledOut = U"{}｛｝";
constexpr std::u32string_view kNumerals = U"一二三四五六七八九十○〇";
constexpr std::u32string_view kSourcePunctuation = U"，。？！；、：,.?!;:";

bool is_in(std::u32string_view set, char32_t c) { return set.find(c) != std::u32string_view::npos; }

bool is_editorial_mark(char32_t c) {
  return is_in(kNoteOpeners, c) || is_in(kNoteClosers, c) || is_in(kVerseMarks, c) ||
         is_in(kSpelledOut, c);
}

bool is_opener(char32_t c) {
  return is_in(kNoteOpeners, c) || c == U'《' || c == U'〈' || c == U'[' || c == U'［' ||
         c == U'{' || c == U'｛';
}

bool is_closer(char32_t c) {
  return is_in(kNoteClosers, c) || c == U'》' || c == U'〉' || c == U']' || c == U'］' ||
         c == U'}' || c == U'｝';
}

// The index just past the bracket that closes the one at `open`, counting every kind of bracket
// (notes nest titles and numbers), or npos if it never closes.
std::size_t past_closing_bracket(std::u32string_view text, std::size_t open) {
  std::size_t depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (is_opener(text[i])) ++depth;
    if (is_closer(text[i]) && --depth == 0) return i + 1;
  }
  return std::u32string_view::npos;
}

bool is_footnote_number(std::u32string_view text, std::size_t open) {
  const std::size_t close = text.find_first_of(U"]］", open + 1);
  if (close == std::u32string_view::npos || close == open + 1) return false;
  const auto inside = text.substr(open + 1, close - open - 1);
  return std::all_of(inside.begin(), inside.end(), [](char32_t c) { return is_in(kNumerals, c); });
}

// The verse without its editors' notes and marks, or the rule that drops the poem: a note that
// never closes, or closes what was never opened, cannot be told from the verse; a note that says
// text is lost (缺) leaves a fragment.
std::variant<std::u32string, Rule> remove_editorial_notes(std::u32string_view text) {
  std::u32string verse;
  verse.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char32_t c = text[i];
    if (is_in(kSpelledOut, c)) return Rule::missing_characters;
    if (is_in(kNoteOpeners, c) || ((c == U'[' || c == U'［') && is_footnote_number(text, i))) {
      const std::size_t end = past_closing_bracket(text, i);
      if (end == std::u32string_view::npos) return Rule::editorial_marks;
      if (text.substr(i, end - i).find(U'缺') != std::u32string_view::npos) return Rule::fragment;
      i = end;
      // A note between a line and its stop, or after it, leaves the stop doubled: keep one.
      while (!verse.empty() && is_in(kSourcePunctuation, verse.back()) && i < text.size() &&
             is_in(kSourcePunctuation, text[i])) {
        ++i;
      }
      continue;
    }
    if (is_in(kNoteClosers, c)) return Rule::editorial_marks;
    if (!is_in(kVerseMarks, c)) verse += c;
    ++i;
  }
  return verse;
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
    case Rule::editorial_marks: return "editorial notes that cannot be told from the verse";
    case Rule::missing_characters: return "boxes, marks or spelled-out forms for missing characters";
    case Rule::ascii: return "ASCII characters";
    case Rule::other_symbols: return "other symbols";
    case Rule::fragment: return "fragments: empty, not ending with 。？！；, or noted as lacking text (缺)";
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
  const bool has_notes = any_of(verse, is_editorial_mark);
  if (has_notes) {
    auto without_notes = remove_editorial_notes(verse);
    if (const Rule* rule = std::get_if<Rule>(&without_notes)) return drop(*rule);
    verse = std::move(std::get<std::u32string>(without_notes));
  }
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
  if (has_notes) ++report_.notes_removed;
  return make_poem(std::move(title), std::move(author), std::move(utf8));
}

}  // namespace poet::corpora
