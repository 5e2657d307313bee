#pragma once
// The runner's side of an isolated decoder's questions: a DecoderCalls that answers what the
// shared tables hold at once and asks poet, one message each, for the rest.

#include <string_view>
#include <unordered_map>
#include <vector>

#include "plugins/decoder_calls.h"
#include "plugins/isolation_protocol.h"

namespace poet {

// The model's tables in the region poet shares with this process (RegionLayout).
class ModelTables {
 public:
  // Maps a new region poet made, in place of the last one, and indexes its texts.
  void map(UniqueFd fd, const RegionLayout& layout);
  bool mapped() const { return region_.size() > 0; }
  const RegionLayout& layout() const { return layout_; }
  const SharedRegion& region() const { return region_; }

  const char* text(poet_token token) const;
  poet_token token(std::string_view utf8) const;
  int32_t is_mark(poet_token token) const;
  const char* book() const;
  const char* group_name(int32_t group) const;
  int32_t tone(poet_token token) const;
  std::size_t groups(poet_token token, int32_t* groups, std::size_t capacity) const;

 private:
  bool in_vocabulary(poet_token token) const {
    return token >= 0 && token < layout_.vocabulary_size;
  }
  const char* string(std::uint32_t offset) const;

  SharedRegion region_;
  RegionLayout layout_;
  std::unordered_map<std::string_view, poet_token> tokens_;  // by their text, in the region
};

// One poem's questions.
class RemoteCalls final : public DecoderCalls {
 public:
  RemoteCalls(int socket, const ModelTables& tables, const PoemOrder& order)
      : socket_(socket), tables_(tables), order_(order) {
    texts_[order.start] = order.text;
  }

  int32_t vocabulary_size() override { return tables_.layout().vocabulary_size; }
  poet_token end_token() override { return tables_.layout().end_token; }
  const float* log_probs(poet_state state) override;
  void position(poet_state state, poet_position* position) override;
  std::size_t text(poet_state state, poet_token* tokens, std::size_t capacity) override;
  const char* token_text(poet_token token) override { return tables_.text(token); }
  poet_state clone(poet_state state) override;
  void release(poet_state state) override;
  int32_t step(const poet_state* states, const poet_token* tokens, std::size_t count) override;
  double random() override;
  int32_t cancelled() override;
  int32_t show(poet_state state) override;
  void fail(const char* message) override;

  void form_shape(poet_form* form) override;
  void form_place(poet_state state, poet_form_place* place) override;

  poet_token token_of(std::string_view utf8) override { return tables_.token(utf8); }
  int32_t is_mark(poet_token token) override { return tables_.is_mark(token); }

  bool has_metre() override { return tables_.layout().has_metre != 0; }
  const char* metre_book() override { return tables_.book(); }
  int32_t group_count() override { return tables_.layout().group_count; }
  const char* group_name(int32_t group) override { return tables_.group_name(group); }
  int32_t tone(poet_token token) override { return tables_.tone(token); }
  std::size_t groups(poet_token token, int32_t* groups, std::size_t capacity) override {
    return tables_.groups(token, groups, capacity);
  }
  void metre_ask(poet_state state, poet_metre_ask* question, bool only_before_a_character) override;
  int32_t tones_rule() override { return order_.tones_rule; }
  int32_t strict_tone(poet_state state) override {
    return ask<int32_t>(MessageKind::strict_tone, state);
  }
  void metre_pattern(poet_state state, poet_metre_pattern* pattern) override;
  int32_t pattern_tone(const poet_metre_pattern& pattern, int32_t line, int32_t column) override {
    return ask<int32_t>(MessageWriter(MessageKind::pattern_tone).put(pattern).put(line).put(column));
  }

  void warn(const char* message) override;

 private:
  // Sends a call and returns poet's answer. Ends this process once poet is gone: there is no one
  // left to write for.
  template <typename T>
  T ask(const MessageWriter& call);
  template <typename T>
  T ask(MessageKind kind, poet_state state) {
    return ask<T>(MessageWriter(kind).put(state));
  }
  void tell(const MessageWriter& call);
  // What poet published of a state (StateBoard), or null when it must be asked.
  const StateBoard* board(poet_state state) const;
  void withdraw(poet_state state);

  int socket_;
  const ModelTables& tables_;
  const PoemOrder& order_;
  Packet reply_;
  // Each state's text, kept here as poet keeps it (the start's, then each token stepped but the
  // end), so that text() needs no question.
  std::unordered_map<poet_state, std::vector<poet_token>> texts_;
};

}  // namespace poet
