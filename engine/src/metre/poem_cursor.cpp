#include "poet/engine/metre/poem_cursor.h"

#include <algorithm>

#include "poet/engine/text/text.h"

namespace poet {
namespace {

bool contains(const std::vector<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

int PoemCursor::longest_line() const {
  if (form_->same_length && first_length_ > 0) return first_length_;
  if (form_->line_lengths.empty()) return FormRule::kLongestFreeLine;
  return *std::max_element(form_->line_lengths.begin(), form_->line_lengths.end());
}

// Past the last line only the end may come: there is no line to measure.
bool PoemCursor::past_last_line() const { return column_ == 0 && !allows_character(); }

int PoemCursor::line_length() const {
  if (past_last_line()) return 0;
  if (form_->same_length && first_length_ > 0) return first_length_;
  return form_->line_lengths.size() == 1 ? form_->line_lengths[0] : 0;
}

int PoemCursor::lines_left() const {
  if (past_last_line()) return 0;
  return form_->line_counts.size() == 1 ? std::max(form_->line_counts[0] - line_ - 1, 0) : -1;
}

bool PoemCursor::room_for(int characters) const {
  return form_->max_characters == 0 || total_ + characters <= form_->max_characters;
}

bool PoemCursor::allows_character() const {
  if (finished_ || column_ >= longest_line()) return false;
  if (!form_->line_counts.empty() &&
      line_ >= *std::max_element(form_->line_counts.begin(), form_->line_counts.end())) {
    return false;
  }
  return room_for(2);  // the character and the mark that must follow it
}

bool PoemCursor::allows_mark(char32_t mark) const {
  if (finished_ || column_ == 0 || !is_verse_punctuation(mark)) return false;
  const bool length_fits = form_->same_length && first_length_ > 0 ? column_ == first_length_
                           : form_->line_lengths.empty()           ? true
                                                         : contains(form_->line_lengths, column_);
  if (!length_fits) return false;
  if (!form_->regulated_marks) return true;
  // A couplet's second line closes with 。, and so does the last line of a poem with an odd count.
  const bool last_line = form_->line_counts.size() == 1 && line_ + 1 == form_->line_counts[0];
  return mark == (line_ % 2 == 1 || last_line ? U'。' : U'，');
}

bool PoemCursor::allows_end() const {
  if (finished_ || column_ != 0 || line_ == 0) return false;
  if (!form_->line_counts.empty()) return contains(form_->line_counts, line_);
  return closed_ || !room_for(2);
}

void PoemCursor::add_character(char32_t c, const MetreEntry& entry, Relaxation relaxation) {
  // The metre takes a character at the place it stands in, before the column counts it.
  if (metre_) metre_->add(c, entry, line_, column_, relaxation);
  ++total_;
  ++column_;
}

void PoemCursor::add_mark(char32_t mark) {
  if (metre_) metre_->end_line(column_);
  ++total_;
  if (line_ == 0) first_length_ = column_;
  closed_ = mark != U'，';
  ++line_;
  column_ = 0;
}

}  // namespace poet
