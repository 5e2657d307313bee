#include "poet/engine/text/text.h"

#include <fmt/format.h>

#include <cstdint>

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

}  // namespace

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size() / 3);
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const int extra = continuation_bytes(lead);
    if (extra < 0 || text.size() - i <= static_cast<std::size_t>(extra)) {
      throw Error::input(fmt::format("invalid UTF-8 at byte {}", i));
    }
    char32_t c = extra == 0 ? lead : lead & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) throw Error::input(fmt::format("invalid UTF-8 at byte {}", i));
      c = (c << 6) | (next & 0x3F);
    }
    static constexpr char32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
    if (c < kSmallest[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      throw Error::input(fmt::format("invalid UTF-8 at byte {}", i));
    }
    out += c;
    i += static_cast<std::size_t>(extra) + 1;
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
