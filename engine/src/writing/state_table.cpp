#include "writing/state_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "poet/engine/error.h"
#include "poet/engine/text/text.h"

namespace poet {

StateTable::StateTable(Generation& generation, Constraints& constraints,
                       std::function<float*(StateId)> row_slot, bool write_fixed)
    : generation_(generation),
      constraints_(constraints),
      row_slot_(std::move(row_slot)),
      write_fixed_(write_fixed) {}

StateTable::~StateTable() {
  for (std::size_t id = 0; id < states_.size(); ++id) {
    if (states_[id]) generation_.release(static_cast<StateId>(id));
  }
}

StateTable::State& StateTable::slot(StateId id) {
  if (states_.size() <= static_cast<std::size_t>(id))
    states_.resize(static_cast<std::size_t>(id) + 1);
  return states_[static_cast<std::size_t>(id)].emplace();
}

StateTable::State* StateTable::find(StateId id) {
  if (id < 0 || static_cast<std::size_t>(id) >= states_.size()) return nullptr;
  auto& state = states_[static_cast<std::size_t>(id)];
  return state ? &*state : nullptr;
}

StateId StateTable::start(const std::vector<int>& mood, const std::vector<int>& beginning) {
  const Vocabulary& vocabulary = generation_.vocabulary();
  State state{constraints_.cursor(), {}, 0, {}, Relaxation::none, std::nullopt, false};
  for (const int token : beginning) {
    const char32_t c = vocabulary.character(token);
    if (!(is_verse_punctuation(c) ? state.cursor.allows_mark(c)
                                  : state.cursor.allows_character())) {
      std::string text;
      for (const int t : beginning) text += vocabulary.display(t);
      throw Error::input(
          fmt::format("'{}' does not fit the form: {}", text, constraints_.form().describe()));
    }
    add(state, token);  // the user's own beginning is kept even where the metre would not
  }
  std::vector<int> input = mood;
  if (!mood.empty()) input.insert(input.end(), {Vocabulary::kEnd, Vocabulary::kStart});
  input.insert(input.end(), beginning.begin(), beginning.end());
  const StateId id = generation_.start_tokens(input);
  slot(id) = std::move(state);
  write_fixed({id});
  return id;
}

float* StateTable::row_storage(StateId id) {
  if (float* slot = row_slot_ ? row_slot_(id) : nullptr) return slot;
  if (rows_.size() <= static_cast<std::size_t>(id)) rows_.resize(static_cast<std::size_t>(id) + 1);
  auto& kept = rows_[static_cast<std::size_t>(id)];
  kept.resize(static_cast<std::size_t>(generation_.vocabulary_size()));
  return kept.data();
}

const float* StateTable::row(StateId id) {
  State& state = *find(id);
  float* row = row_storage(id);
  if (state.fresh) return row;
  const StagePlace place = constraints_.narrow(state.cursor, generation_.log_probs(id), row);
  state.relaxation = place.relaxation;
  state.fixed = place.fixed;
  state.fresh = true;
  return row;
}

StateId StateTable::clone(StateId id) {
  State copy = *find(id);
  const StateId clone = generation_.clone(id);
  if (copy.fresh) std::copy_n(row_storage(id), generation_.vocabulary_size(), row_storage(clone));
  slot(clone) = std::move(copy);
  return clone;
}

void StateTable::release(StateId id) {
  generation_.release(id);
  states_[static_cast<std::size_t>(id)].reset();
}

void StateTable::add(State& state, int token) {
  const char32_t c = generation_.vocabulary().character(token);
  if (is_verse_punctuation(c)) {
    state.cursor.add_mark(c);
  } else {
    if (state.cursor.metre() != nullptr && state.relaxation != Relaxation::none) {
      state.notes.push_back(
          fmt::format("line {}: {}", state.cursor.line() + 1, relaxation_text(state.relaxation)));
    }
    state.cursor.add_character(c, constraints_.entry(token), state.relaxation);
  }
  state.text.push_back(token);
}

void StateTable::step_batch(const std::vector<StateId>& states, const std::vector<int>& tokens) {
  // The end of the poem needs no model step: nothing is read after it.
  std::vector<StateId> model_states;
  std::vector<int> model_tokens;
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (tokens[i] == Vocabulary::kEnd) continue;
    model_states.push_back(states[i]);
    model_tokens.push_back(tokens[i]);
  }
  generation_.step(model_states.data(), model_tokens.data(), model_states.size());
  for (std::size_t i = 0; i < states.size(); ++i) {
    State& state = *find(states[i]);
    state.log_prob += row(states[i])[tokens[i]];
    if (tokens[i] == Vocabulary::kEnd) {
      state.cursor.end();
    } else {
      add(state, tokens[i]);
    }
    state.fresh = false;
  }
}

void StateTable::step(const StateId* states, const int* tokens, std::size_t count) {
  step_batch({states, states + count}, {tokens, tokens + count});
  write_fixed({states, states + count});
}

// Steps each of `states` that stands where the user fixed a character, with that character, until
// none does. Only where a line begins can one be fixed.
void StateTable::write_fixed(std::vector<StateId> states) {
  while (write_fixed_) {
    std::vector<StateId> fixed_states;
    std::vector<int> fixed_tokens;
    for (const StateId id : states) {
      const State& state = *find(id);
      if (state.cursor.finished() || state.cursor.column() != 0) continue;
      row(id);
      if (state.fixed) {
        fixed_states.push_back(id);
        fixed_tokens.push_back(*state.fixed);
      }
    }
    if (fixed_states.empty()) return;
    step_batch(fixed_states, fixed_tokens);
    states = std::move(fixed_states);
  }
}

}  // namespace poet
