#include "poet/engine/text/forms.h"

#include <algorithm>
#include <array>

#include "poet/engine/text/text.h"

namespace poet {
namespace {

struct FormInfo {
  Form form;
  std::string_view name;
  std::string_view shape_name;
  FormShape shape;
};

constexpr std::array<FormInfo, 6> kForms{{
    {Form::wujue, "五绝", "5x4", {5, 4}},
    {Form::qijue, "七绝", "7x4", {7, 4}},
    {Form::wulv, "五律", "5x8", {5, 8}},
    {Form::qilv, "七律", "7x8", {7, 8}},
    {Form::pailv, "排律", "", {0, 0}},
    {Form::other, "other", "", {0, 0}},
}};

const FormInfo& info(Form form) {
  return *std::find_if(kForms.begin(), kForms.end(), [&](const auto& f) { return f.form == form; });
}

}  // namespace

std::string_view form_name(Form form) { return info(form).name; }
FormShape form_shape(Form form) { return info(form).shape; }

std::optional<Form> parse_form(std::string_view name) {
  for (const auto& f : kForms) {
    if (name == f.name || (!f.shape_name.empty() && name == f.shape_name)) return f.form;
  }
  return std::nullopt;
}

std::vector<std::u32string_view> verse_lines(std::u32string_view text) {
  std::vector<std::u32string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_verse_punctuation(text[i])) {
      lines.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

Form classify_form(std::u32string_view text) {
  if (text.empty() || !is_verse_punctuation(text.back())) return Form::other;
  const auto lines = verse_lines(text);
  const std::size_t length = lines.front().size();
  const bool uniform = std::all_of(lines.begin(), lines.end(),
                                   [&](std::u32string_view line) { return line.size() == length; });
  if (!uniform || (length != 5 && length != 7)) return Form::other;
  switch (lines.size()) {
    case 4:
      return length == 5 ? Form::wujue : Form::qijue;
    case 8:
      return length == 5 ? Form::wulv : Form::qilv;
    default:
      return lines.size() >= 10 && lines.size() % 2 == 0 ? Form::pailv : Form::other;
  }
}

}  // namespace poet
