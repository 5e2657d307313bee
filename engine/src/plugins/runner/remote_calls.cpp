#include "plugins/runner/remote_calls.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace poet {
namespace {

// Ends the runner when poet is gone or speaks out of turn: nothing it could say would be heard.
[[noreturn]] void lose_poet() { ::_exit(1); }

// A plugin's message, cut to kLongestNote bytes, never inside a character.
std::string_view note(const char* message) {
  std::string_view text = message != nullptr ? message : "";
  if (text.size() <= kLongestNote) return text;
  std::size_t length = kLongestNote;
  while (length > 0 && (static_cast<unsigned char>(text[length]) & 0xC0) == 0x80) --length;
  return text.substr(0, length);
}

}  // namespace

// ---- the tables ----------------------------------------------------------------------------

void ModelTables::map(UniqueFd fd, const RegionLayout& layout) {
  tokens_.clear();
  region_ = SharedRegion();
  region_ = SharedRegion::map(std::move(fd), layout.size);
  layout_ = layout;
  for (poet_token token = 0; token < layout_.vocabulary_size; ++token) {
    if (const char* utf8 = text(token)) tokens_.emplace(utf8, token);
  }
}

const char* ModelTables::string(std::uint32_t offset) const {
  return offset == RegionLayout::kNoText ? nullptr
                                         : region_.at<const char>(layout_.strings + offset);
}

const char* ModelTables::text(poet_token token) const {
  return in_vocabulary(token) ? string(region_.at<const std::uint32_t>(layout_.token_texts)[token])
                              : nullptr;
}

poet_token ModelTables::token(std::string_view utf8) const {
  const auto found = tokens_.find(utf8);
  return found == tokens_.end() ? -1 : found->second;
}

int32_t ModelTables::is_mark(poet_token token) const {
  return in_vocabulary(token) ? region_.at<const std::uint8_t>(layout_.marks)[token] : 0;
}

const char* ModelTables::book() const { return layout_.has_metre ? string(layout_.book) : nullptr; }

const char* ModelTables::group_name(int32_t group) const {
  if (group < 0 || group >= layout_.group_count) return nullptr;
  return string(region_.at<const std::uint32_t>(layout_.group_names)[group]);
}

int32_t ModelTables::tone(poet_token token) const {
  return in_vocabulary(token) ? region_.at<const std::int32_t>(layout_.tones)[token]
                              : POET_TONE_UNKNOWN;
}

std::size_t ModelTables::groups(poet_token token, int32_t* groups, std::size_t capacity) const {
  if (!in_vocabulary(token)) return 0;
  const auto* starts = region_.at<const std::uint32_t>(layout_.group_starts);
  const auto* list = region_.at<const std::int32_t>(layout_.group_lists);
  const std::size_t count = starts[token + 1] - starts[token];
  std::copy_n(list + starts[token], std::min(count, capacity), groups);
  return count;
}

// ---- the questions poet answers --------------------------------------------------------------

template <typename T>
T RemoteCalls::ask(const MessageWriter& call) {
  tell(call);
  try {
    if (!receive_message(socket_, reply_)) lose_poet();
    MessageReader reply(reply_.bytes);
    if (reply.kind() != MessageKind::reply) lose_poet();
    return reply.get<T>();
  } catch (const ProtocolError&) {
    lose_poet();
  }
}

void RemoteCalls::tell(const MessageWriter& call) {
  if (!send_message(socket_, call)) lose_poet();
}

const StateBoard* RemoteCalls::board(poet_state state) const {
  if (state < 0 || state >= kMaxStates) return nullptr;
  const auto* board = tables_.region().at<const StateBoard>(tables_.layout().board(state));
  return board->fresh.load(std::memory_order_acquire) != 0 ? board : nullptr;
}

void RemoteCalls::withdraw(poet_state state) {
  if (state >= 0 && state < kMaxStates) {
    tables_.region().at<StateBoard>(tables_.layout().board(state))->fresh.store(
        0, std::memory_order_relaxed);
  }
}

const float* RemoteCalls::log_probs(poet_state state) {
  if (board(state) != nullptr) return tables_.region().at<const float>(tables_.layout().row(state));
  return tables_.region().at<const float>(ask<std::uint64_t>(MessageKind::log_probs, state));
}

void RemoteCalls::position(poet_state state, poet_position* position) {
  if (const StateBoard* published = board(state)) {
    *position = published->position;
    return;
  }
  *position = ask<poet_position>(MessageKind::position, state);
}

std::size_t RemoteCalls::text(poet_state state, poet_token* tokens, std::size_t capacity) {
  if (const auto kept = texts_.find(state); kept != texts_.end()) {
    std::copy_n(kept->second.begin(), std::min(capacity, kept->second.size()), tokens);
    return kept->second.size();
  }
  // A state this process does not know: poet says what is wrong with it.
  const auto count = ask<std::uint64_t>(MessageKind::text, state);
  const std::size_t copied =
      std::min<std::uint64_t>({count, capacity, kScratchBytes / sizeof(poet_token)});
  std::copy_n(tables_.region().at<const poet_token>(tables_.layout().scratch), copied, tokens);
  return count;
}

poet_state RemoteCalls::clone(poet_state state) {
  const auto copy = ask<poet_state>(MessageKind::clone, state);
  if (const auto kept = texts_.find(state); copy >= 0 && kept != texts_.end()) {
    std::vector<poet_token> text = kept->second;
    texts_[copy] = std::move(text);
  }
  return copy;
}

void RemoteCalls::release(poet_state state) {
  withdraw(state);
  texts_.erase(state);
  tell(MessageWriter(MessageKind::release).put(state));
}

int32_t RemoteCalls::step(const poet_state* states, const poet_token* tokens, std::size_t count) {
  // States then tokens in the scratch area; poet refuses a count too large for it.
  if (count <= kScratchBytes / (sizeof(poet_state) + sizeof(poet_token))) {
    auto* scratch = tables_.region().at<std::int32_t>(tables_.layout().scratch);
    std::copy_n(states, count, scratch);
    std::copy_n(tokens, count, scratch + count);
  }
  for (std::size_t i = 0; i < count; ++i) withdraw(states[i]);
  const auto status =
      ask<int32_t>(MessageWriter(MessageKind::step).put(static_cast<std::uint64_t>(count)));
  if (status == POET_OK) {
    for (std::size_t i = 0; i < count; ++i) {
      const auto kept = texts_.find(states[i]);
      if (kept != texts_.end() && tokens[i] != end_token()) kept->second.push_back(tokens[i]);
    }
  }
  return status;
}

double RemoteCalls::random() { return ask<double>(MessageWriter(MessageKind::random)); }

int32_t RemoteCalls::cancelled() {
  return tables_.region().at<RegionHeader>(0)->cancelled.load(std::memory_order_relaxed) != 0;
}

int32_t RemoteCalls::show(poet_state state) {
  tell(MessageWriter(MessageKind::show).put(state));
  return POET_OK;
}

void RemoteCalls::fail(const char* message) {
  tell(MessageWriter(MessageKind::fail).put_string(note(message)));
}

void RemoteCalls::form_shape(poet_form* form) {
  *form = order_.form;
  form->line_lengths = order_.line_lengths.data();
  form->line_length_count = order_.line_lengths.size();
  form->line_counts = order_.line_counts.data();
  form->line_count_count = order_.line_counts.size();
}

void RemoteCalls::form_place(poet_state state, poet_form_place* place) {
  if (const StateBoard* published = board(state)) {
    *place = published->place;
    return;
  }
  *place = ask<poet_form_place>(MessageKind::form_place, state);
}

void RemoteCalls::metre_ask(poet_state state, poet_metre_ask* question,
                            bool only_before_a_character) {
  *question = ask<poet_metre_ask>(MessageWriter(MessageKind::metre_ask)
                                      .put(state)
                                      .put<std::uint8_t>(only_before_a_character));
}

void RemoteCalls::metre_pattern(poet_state state, poet_metre_pattern* pattern) {
  *pattern = ask<poet_metre_pattern>(MessageKind::metre_pattern, state);
}

void RemoteCalls::warn(const char* message) {
  tell(MessageWriter(MessageKind::warn).put_string(note(message)));
}

}  // namespace poet
