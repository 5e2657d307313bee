#pragma once
// Characters of classical verse: UTF-8 in and out, which code points are Han characters, and the
// five punctuation marks poems are written with.

#include <string>
#include <string_view>
#include <vector>

namespace poet {

// Decodes UTF-8; throws std::invalid_argument naming the byte offset of an invalid sequence.
std::u32string decode_utf8(std::string_view text);
std::string encode_utf8(std::u32string_view text);
std::string encode_utf8(char32_t c);

// Text from outside poet (what a plugin says or writes) made safe to show on a terminal, on one
// line: invalid UTF-8 and the characters a terminal acts on (escape sequences, direction marks)
// become U+FFFD, newlines and tabs become spaces, and past `most_bytes` it is cut with "…".
std::string printable(std::string_view text, std::size_t most_bytes = 300);

// A CJK unified or compatibility ideograph, in any block (Extension B and later included).
bool is_han(char32_t c);

// The punctuation poems keep: ，after a line that continues, 。？！； after one that closes.
bool is_verse_punctuation(char32_t c);

// Maps the other marks poems are punctuated with onto the five above (、：→，), drops quotation
// marks, and removes blanks. Returns whether anything changed.
bool normalise_punctuation(std::u32string& text);

// For messages: '湖' (U+6E56).
std::string describe(char32_t c);

// The fields of a line of a tab-separated file (or another separator): "a\tb\t" gives a, b and
// an empty last field.
std::vector<std::string_view> split_fields(std::string_view line, char separator);

}  // namespace poet
