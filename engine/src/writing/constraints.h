#pragma once
// What a poem is written under, as a stack of mask stages (internal to the engine). A state's row
// of log-probabilities passes through each stage in order, and each sets to -inf what it forbids:
//   1. the form: the right characters, marks and end for the place (FormRule);
//   2. the heads: where a line of an acrostic begins, only its head; a place the user fixed
//      (FixedPlace) is then the user's, whatever the metre would say;
//   3. the metre: the rhyme and the tones, giving way step by step where nothing fits.
// Every decoder, built in or not, writes under the same stack.

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "poet/engine/metre/poem_cursor.h"
#include "poet/engine/model/vocabulary.h"

namespace poet {

inline constexpr float kForbidden = -std::numeric_limits<float>::infinity();

// One place of one state, as the stages see it, and what they decide there.
struct StagePlace {
  const PoemCursor& cursor;
  std::optional<int> fixed;                  // the token the user fixed here (an acrostic's head)
  Relaxation relaxation = Relaxation::none;  // how far the metre gave way here
};

class MaskStage {
 public:
  virtual ~MaskStage() = default;
  // Narrows `row` (the stages before this one have narrowed it from the model's `raw` row).
  virtual void narrow(StagePlace& place, const float* raw, float* row) = 0;
};

class MetreStage;

// The stages of one poem, in order.
class Constraints {
 public:
  // `metre`: the rule of a regulated poem that keeps one (the metre stage); null otherwise.
  // `heads`: one token per line for an acrostic, else empty.
  Constraints(const Vocabulary& vocabulary, const FormRule& form, const MetreRule* metre,
              std::vector<int> heads);
  ~Constraints();
  Constraints(const Constraints&) = delete;
  Constraints& operator=(const Constraints&) = delete;

  // A cursor for a new state: the form, and the metre where the poem keeps one.
  PoemCursor cursor() const;
  // Narrows the model's row `raw` into `row` for a state at `cursor`.
  StagePlace narrow(const PoemCursor& cursor, const float* raw, float* row);
  const FormRule& form() const { return form_; }
  // A character's metre entry (nothing without a metre stage).
  MetreEntry entry(int token) const;

 private:
  const FormRule& form_;
  const MetreRule* metre_rule_;
  MetreStage* metre_ = nullptr;  // in stages_
  std::vector<std::unique_ptr<MaskStage>> stages_;
};

}  // namespace poet
