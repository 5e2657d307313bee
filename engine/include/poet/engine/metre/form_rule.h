#pragma once
// The shape a poem must keep while it is written. The host checks every token a decoder chooses
// against it and hides the tokens it forbids, so every decoder, built in or not, writes lines of
// the right length with the right punctuation and ends the poem where the form ends it. This is
// the one place that knows the rules.

#include <string>
#include <vector>

#include "poet/engine/text/forms.h"

namespace poet {

struct FormRule {
  static constexpr int kLongestFreeLine = 11;

  std::vector<int> line_lengths;  // the lengths a line may have; empty: 1 to kLongestFreeLine
  std::vector<int> line_counts;   // the poem may end after this many lines; empty: after any line
                                  // closed by 。？！； (or when max_characters is reached)
  bool same_length = false;       // every line as long as the first
  bool regulated_marks = false;   // ，after the first line of a couplet, 。after the second
  int max_characters = 0;         // characters and marks in all; 0: the line rules bound it

  // Exactly 五绝, 七绝, 五律 or 七律.
  static FormRule exact(Form form);
  // The form the model picks with its first line: five or seven characters a line, every line
  // alike, four or eight lines.
  static FormRule automatic();
  // Lines of any length up to kLongestFreeLine, ended where the model ends the poem.
  static FormRule free(int max_characters = 160);
  // The same rule for a poem of exactly `lines` lines (an acrostic, one line per head).
  FormRule with_lines(int lines) const;

  // For messages: "五律 (8 lines of 5)", "5 or 7 characters a line, 4 or 8 lines", ...
  std::string describe() const;
};

}  // namespace poet
