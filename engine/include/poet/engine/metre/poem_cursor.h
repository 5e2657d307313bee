#pragma once
// Where a text stands in its poem: the one cursor that follows a poem character by character. It
// counts the line and column, the first line's length and the characters written; against a form
// rule it says what may come next; following a metre rule it keeps the patterns and rhyme groups
// still open. Writing keeps one per state of a poem (the form and the user's metre); the model's
// form inputs keep one per text they read (no form, the metre the inputs follow), so the two can
// never count a line differently.

#include <optional>
#include <vector>

#include "poet/engine/metre/form_rule.h"
#include "poet/engine/metre/metre.h"

namespace poet {

class PoemCursor {
 public:
  // A cursor that reads any text: no form to keep, no metre.
  PoemCursor() = default;
  // A cursor that writes under `form`, which must outlive it.
  explicit PoemCursor(const FormRule& form) : form_(&form) {}

  // Follows the metre `rule` (which must outlive the cursor) over lines of these lengths (only
  // 5 and 7 have patterns).
  void follow_metre(const MetreRule& rule, const std::vector<int>& line_lengths) {
    metre_.emplace(rule, line_lengths);
  }

  int line() const { return line_; }
  int column() const { return column_; }
  // The first line's length once it is closed; 0 before.
  int first_length() const { return first_length_; }
  bool finished() const { return finished_; }
  const FormRule* form() const { return form_; }
  const MetreCursor* metre() const { return metre_ ? &*metre_ : nullptr; }

  // What the form allows next; only with a form. Callers ask before they add.
  bool allows_character() const;  // a character of verse (anything but a mark)
  bool allows_mark(char32_t mark) const;
  bool allows_end() const;
  // The length the current line will have, once only one is possible (the form's only length,
  // or the first line's under same_length); 0 while it may still end at several, and past the
  // last line.
  int line_length() const;
  // Lines after the current one, once the form fixes their number (0 past the last line); -1
  // while it does not.
  int lines_left() const;
  int longest_line() const;

  // Takes a character of verse: `entry` is its metre, and `relaxation` how far the metre gave
  // way at this place. A character no pattern allows (a beginning the user gave, an acrostic's
  // head) is kept, and the patterns stay open.
  void add_character(char32_t c, const MetreEntry& entry = {},
                     Relaxation relaxation = Relaxation::none);
  // Takes the mark that closes the line.
  void add_mark(char32_t mark);
  void end() { finished_ = true; }

 private:
  bool past_last_line() const;
  bool room_for(int characters) const;

  const FormRule* form_ = nullptr;
  std::optional<MetreCursor> metre_;
  int line_ = 0;
  int column_ = 0;
  int first_length_ = 0;
  int total_ = 0;        // characters and marks
  bool closed_ = false;  // the last line ended with 。？！；
  bool finished_ = false;
};

}  // namespace poet
