#pragma once
// The states one poem is written with (internal to the engine): each one's model state (held by
// the Generation), its cursor, its text, its score and its row of log-probabilities under the
// constraints. The host answers every question a decoder asks about a state from here.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "poet/engine/model/engine.h"
#include "writing/constraints.h"

namespace poet {

class StateTable {
 public:
  struct State {
    PoemCursor cursor;
    std::vector<int> text;           // the poem's tokens so far
    double log_prob = 0;             // of the tokens stepped, under the constraints
    std::vector<std::string> notes;  // where the metre gave way, and why
    // Once its row is made (fresh): what the constraints decided at the current place.
    Relaxation relaxation = Relaxation::none;
    std::optional<int> fixed;
    bool fresh = false;
  };

  // `row_slot` says where a state's row is kept for the decoder to read (an isolated decoder's
  // shared memory), or null to keep it here. With `write_fixed`, the table steps the characters
  // the user fixed (an acrostic's heads) itself, so that no decoder has to; without, the decoder
  // steps them (a plugin with POET_CAP_HEADS).
  StateTable(Generation& generation, Constraints& constraints,
             std::function<float*(StateId)> row_slot, bool write_fixed);
  ~StateTable();  // releases the states left
  StateTable(const StateTable&) = delete;
  StateTable& operator=(const StateTable&) = delete;

  // The state that has read `mood` and then `beginning`, and whatever fixed characters follow
  // it. Throws Error::input when the beginning breaks the form.
  StateId start(const std::vector<int>& mood, const std::vector<int>& beginning);
  // The state, or null for one that does not exist or was released.
  State* find(StateId id);
  // Its row under the constraints: vocabulary_size() values, valid until it is stepped or
  // released.
  const float* row(StateId id);
  StateId clone(StateId id);
  void release(StateId id);
  // Feeds tokens[i] to states[i] in one batch (the caller has checked each against its row), then
  // the characters the user fixed where the states now stand.
  void step(const StateId* states, const int* tokens, std::size_t count);

 private:
  State& slot(StateId id);
  // Where a state's row is kept.
  float* row_storage(StateId id);
  // Moves a state on by one token (not the end): its cursor and its text.
  void add(State& state, int token);
  void step_batch(const std::vector<StateId>& states, const std::vector<int>& tokens);
  void write_fixed(std::vector<StateId> states);

  Generation& generation_;
  Constraints& constraints_;
  std::function<float*(StateId)> row_slot_;
  bool write_fixed_;
  std::vector<std::optional<State>> states_;  // by StateId
  std::vector<std::vector<float>> rows_;      // by StateId, where row_slot_ keeps none
};

}  // namespace poet
