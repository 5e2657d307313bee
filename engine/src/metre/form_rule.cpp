#include "poet/engine/metre/form_rule.h"

#include <fmt/format.h>

#include <algorithm>

#include "poet/engine/text/text.h"

namespace poet {
namespace {

std::string alternatives(const std::vector<int>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + std::to_string(values[i]);
  }
  return text;
}

}  // namespace

FormRule FormRule::exact(Form form) {
  const FormShape shape = form_shape(form);
  FormRule rule;
  rule.line_lengths = {shape.chars_per_line};
  rule.line_counts = {shape.lines};
  rule.same_length = true;
  rule.regulated_marks = true;
  return rule;
}

FormRule FormRule::automatic() {
  FormRule rule;
  rule.line_lengths = {5, 7};
  rule.line_counts = {4, 8};
  rule.same_length = true;
  rule.regulated_marks = true;
  return rule;
}

FormRule FormRule::free(int max_characters) {
  FormRule rule;
  rule.max_characters = max_characters;
  return rule;
}

FormRule FormRule::with_lines(int lines) const {
  FormRule rule = *this;
  rule.line_counts = {lines};
  if (rule.max_characters > 0) {
    rule.max_characters = std::max(rule.max_characters, lines * (kLongestFreeLine + 1));
  }
  return rule;
}

std::string FormRule::describe() const {
  const std::string lengths = line_lengths.empty()
                                  ? fmt::format("up to {} characters a line", kLongestFreeLine)
                                  : fmt::format("{} characters a line", alternatives(line_lengths));
  const std::string counts = line_counts.empty()
                                 ? "any number of lines"
                                 : fmt::format("{} lines", alternatives(line_counts));
  if (line_lengths.size() == 1 && line_counts.size() == 1) {
    for (const Form form : {Form::wujue, Form::qijue, Form::wulv, Form::qilv}) {
      const FormShape shape = form_shape(form);
      if (shape.chars_per_line == line_lengths[0] && shape.lines == line_counts[0]) {
        return fmt::format("{} ({}, {})", form_name(form), counts, lengths);
      }
    }
  }
  return fmt::format("{}, {}", counts, lengths);
}

}  // namespace poet
