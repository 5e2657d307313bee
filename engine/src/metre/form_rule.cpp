#include "poet/engine/form_rule.h"

#include <fmt/format.h>

#include <algorithm>

#include "poet/engine/text.h"

namespace poet {
namespace {

bool contains(const std::vector<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

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

int FormCursor::longest_line() const {
  if (rule_->same_length && first_length_ > 0) return first_length_;
  if (rule_->line_lengths.empty()) return FormRule::kLongestFreeLine;
  return *std::max_element(rule_->line_lengths.begin(), rule_->line_lengths.end());
}

// Past the last line only the end may come: there is no line to measure.
bool FormCursor::past_last_line() const { return column_ == 0 && !allows_character(); }

int FormCursor::line_length() const {
  if (past_last_line()) return 0;
  if (rule_->same_length && first_length_ > 0) return first_length_;
  return rule_->line_lengths.size() == 1 ? rule_->line_lengths[0] : 0;
}

int FormCursor::lines_left() const {
  if (past_last_line()) return 0;
  return rule_->line_counts.size() == 1 ? std::max(rule_->line_counts[0] - line_ - 1, 0) : -1;
}

bool FormCursor::room_for(int characters) const {
  return rule_->max_characters == 0 || total_ + characters <= rule_->max_characters;
}

bool FormCursor::allows_character() const {
  if (finished_ || column_ >= longest_line()) return false;
  if (!rule_->line_counts.empty() &&
      line_ >= *std::max_element(rule_->line_counts.begin(), rule_->line_counts.end())) {
    return false;
  }
  return room_for(2);  // the character and the mark that must follow it
}

bool FormCursor::allows_mark(char32_t mark) const {
  if (finished_ || column_ == 0 || !is_verse_punctuation(mark)) return false;
  const bool length_fits = rule_->same_length && first_length_ > 0 ? column_ == first_length_
                           : rule_->line_lengths.empty()           ? true
                                                         : contains(rule_->line_lengths, column_);
  if (!length_fits) return false;
  if (!rule_->regulated_marks) return true;
  // A couplet's second line closes with 。, and so does the last line of a poem with an odd count.
  const bool last_line = rule_->line_counts.size() == 1 && line_ + 1 == rule_->line_counts[0];
  return mark == (line_ % 2 == 1 || last_line ? U'。' : U'，');
}

bool FormCursor::allows_end() const {
  if (finished_ || column_ != 0 || line_ == 0) return false;
  if (!rule_->line_counts.empty()) return contains(rule_->line_counts, line_);
  return closed_ || !room_for(2);
}

void FormCursor::add(char32_t c) {
  ++total_;
  if (!is_verse_punctuation(c)) {
    ++column_;
    return;
  }
  if (first_length_ == 0) first_length_ = column_;
  closed_ = c != U'，';
  ++line_;
  column_ = 0;
}

}  // namespace poet
