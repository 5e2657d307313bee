#pragma once
// The forms of regulated verse: 五绝 (5 characters × 4 lines), 七绝 (7×4), 五律 (5×8), 七律 (7×8),
// 排律 (ten or more lines of one length), and everything else.

#include <optional>
#include <string_view>
#include <vector>

namespace poet {

enum class Form { wujue, qijue, wulv, qilv, pailv, other };

struct FormShape {
  int chars_per_line;  // 0 for forms without a fixed shape
  int lines;
};

std::string_view form_name(Form form);  // "五绝", ..., "排律", "other"
FormShape form_shape(Form form);
// Accepts the Chinese names and the shapes 5x4, 7x4, 5x8, 7x8 (and "other").
std::optional<Form> parse_form(std::string_view name);

// A poem's lines (句): the runs of characters between verse punctuation marks. Text after the
// last mark counts as a line too.
std::vector<std::u32string_view> verse_lines(std::u32string_view text);

// Classifies a poem by its lines; every line must end with a punctuation mark.
Form classify_form(std::u32string_view text);

}  // namespace poet
