#include "poet/engine/text/text.h"

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <utility>

#include "poet/engine/error.h"

namespace poet {
namespace {

// How many continuation bytes follow a lead byte, or -1 if it cannot start a character.
int continuation_bytes(unsigned char lead) {
  if (lead < 0x80) return 0;
  if ((lead >> 5) == 0x6) return 1;
  if ((lead >> 4) == 0xE) return 2;
  if ((lead >> 3) == 0x1E) return 3;
  return -1;
}

// The character whose UTF-8 starts at text[i], and its length in bytes; nullopt where no valid
// sequence starts there (a stray or missing continuation byte, an overlong form, a surrogate).
std::optional<std::pair<char32_t, std::size_t>> read_character(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const int extra = continuation_bytes(lead);
  if (extra < 0 || text.size() - i <= static_cast<std::size_t>(extra)) return std::nullopt;
  char32_t c = extra == 0 ? lead : lead & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next >> 6) != 0x2) return std::nullopt;
    c = (c << 6) | (next & 0x3F);
  }
  static constexpr char32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
  if (c < kSmallest[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return std::nullopt;
  return std::pair{c, static_cast<std::size_t>(extra) + 1};
}

// What a terminal acts on rather than shows: C0 and C1 controls (escape sequences start with
// one), DEL, and the separators and direction marks that move or reorder what follows.
bool moves_the_terminal(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x200E || c == 0x200F || c == 0x2028 ||
         c == 0x2029 || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size() / 3);
  for (std::size_t i = 0; i < text.size();) {
    const auto read = read_character(text, i);
    if (!read) throw Error::input(fmt::format("invalid UTF-8 at byte {}", i));
    out += read->first;
    i += read->second;
  }
  return out;
}

std::string printable(std::string_view text, std::size_t most_bytes) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto read = read_character(text, i);
    char32_t c = read ? read->first : U'\uFFFD';
    if (c == U'\n' || c == U'\t') {
      c = U' ';
    } else if (moves_the_terminal(c)) {
      c = U'\uFFFD';
    }
    const std::string shown = encode_utf8(c);
    if (out.size() + shown.size() > most_bytes) return out + "…";
    out += shown;
    i += read ? read->second : 1;
  }
  return out;
}

std::string encode_utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (const char32_t c : text) out += encode_utf8(c);
  return out;
}

bool is_han(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) ||    // CJK Unified Ideographs
         (c >= 0x3400 && c <= 0x4DBF) ||    // Extension A
         (c >= 0x20000 && c <= 0x323AF) ||  // Extensions B to H
         (c >= 0xF900 && c <= 0xFAFF) ||    // Compatibility Ideographs
         (c >= 0x2F800 && c <= 0x2FA1F);    // Compatibility Ideographs Supplement
}

bool is_verse_punctuation(char32_t c) {
  return c == U'，' || c == U'。' || c == U'？' || c == U'！' || c == U'；';
}

bool normalise_punctuation(std::u32string& text) {
  const std::u32string before = text;
  std::u32string out;
  out.reserve(text.size());
  for (const char32_t c : text) {
    switch (c) {
      case U'、': case U'：': case U',': out += U'，'; break;
      case U'.': out += U'。'; break;
      case U'?': out += U'？'; break;
      case U'!': out += U'！'; break;
      case U';': out += U'；'; break;
      case U'「': case U'」': case U'『': case U'』': case U'“': case U'”': case U'‘': case U'’':
      case U' ': case U'\t': case U'\u3000': break;
      default: out += c;
    }
  }
  text = std::move(out);
  return text != before;
}

std::string describe(char32_t c) {
  return fmt::format("'{}' (U+{:04X})", encode_utf8(c), static_cast<std::uint32_t>(c));
}

std::vector<std::string_view> split_fields(std::string_view line, char separator) {
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    const std::size_t end = line.find(separator, start);
    fields.push_back(line.substr(start, end - start));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
}

}  // namespace poet
