#pragma once
// The form inputs a model with `[model] position_inputs` reads beside each token: where in its
// line and poem the token just read leaves the poem. They are a function of the tokens read so far
// and of one fact the form fixes, whether every line is as long as the first; so training, eval
// and generation compute the very same inputs for the same text.
//
// After each token, counted since the last <start>:
//   column: verse characters on the current line so far (a mark starts a new line at 0), capped;
//   line:   lines closed by a mark so far, capped;
//   left:   0 (unknown) on the first line and wherever the lines need not be alike; otherwise
//           1 + the characters still to come before the line's mark (first line's length minus
//           column), capped; 0 too once a line runs past the first line's length.
// "Alike" is, in training and eval, a property of the poem (every line, closed by a mark, as long
// as the first); in generation, of the form (FormRule::same_length: the automatic and the exact
// forms). The first line's length is never fed even when an exact form knows it, because training
// cannot tell it before the first mark either.

#include <cstdint>
#include <optional>
#include <vector>

#include "poet/engine/metre/poem_cursor.h"

namespace poet {

class Vocabulary;

struct PositionInputs {
  static constexpr int kCap = 16;
  static constexpr int kColumns = kCap + 1;  // the embedding rows each input needs
  static constexpr int kLefts = kCap + 2;
  static constexpr int kLines = kCap + 1;
  static constexpr int kTones = 4;        // Tone's bits: unknown (nothing asked), 平, 仄, either
  static constexpr int kRhymes = 2 + 30;  // no rhyme, a rhyme in a group not settled, 平水韵's 30

  int column = 0;
  int left = 0;
  int line = 0;
  int tone = 0;   // metre inputs only
  int rhyme = 0;  // likewise
  bool operator==(const PositionInputs& other) const {
    return column == other.column && left == other.left && line == other.line &&
           tone == other.tone && rhyme == other.rhyme;
  }
  // The model's input row: column, left, line, then tone and rhyme for a model with metre inputs.
  void append_to(std::vector<std::int64_t>& row, bool metre) const;
};

// What a vocabulary's form inputs are computed from.
struct FormTables {
  std::vector<bool> marks;         // the verse punctuation marks, which end lines
  std::vector<MetreEntry> metre;   // each token's metre, for metre inputs; else empty
};

// Which tokens of a vocabulary are verse punctuation marks (they end lines): vocabulary.size()
// entries.
std::vector<bool> mark_tokens(const Vocabulary& vocabulary);
// Each token's entry in a lexicon (only the 平水韵 side, which the metre inputs read).
std::vector<MetreEntry> token_metre(const Vocabulary& vocabulary, const MetreLexicon& lexicon);

// Follows a sequence of tokens one at a time, with the poem cursor every text is read with.
class PositionTracker {
 public:
  PositionTracker() = default;
  explicit PositionTracker(bool lines_alike) : lines_alike_(lines_alike) {}
  // The inputs fed with `token`: where the poem stands once it is read.
  PositionInputs feed(std::int64_t token, const FormTables& tables);

 private:
  bool lines_alike_ = false;
  PoemCursor cursor_;  // from the last <start>, with the metre the inputs follow
};

// Whether every line of a poem's tokens closed by a mark is as long as the first (and there is one).
bool lines_alike(const std::vector<std::int64_t>& tokens, const std::vector<bool>& marks);

// The inputs fed with each of a poem's tokens (<start> characters <end>) in training and eval.
std::vector<PositionInputs> poem_positions(const std::vector<std::int64_t>& tokens,
                                           const FormTables& tables);

}  // namespace poet
