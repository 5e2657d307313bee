#pragma once
// What a decoder may ask of poet while it writes one poem, as one C++ interface: poet_host's
// callbacks and every extension of poet/decoder_ext.h. The host answers it in process (writing.cpp)
// and, for an isolated decoder, in poet's process on behalf of the plugin's (isolation.cpp);
// HostTable turns any DecoderCalls into the C tables a plugin is handed, so a plugin sees the
// same ABI wherever it runs. Internal to the engine; no LibTorch.

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "poet/decoder.h"
#include "poet/decoder_ext.h"

namespace poet {

class DecoderCalls {
 public:
  virtual ~DecoderCalls() = default;

  // poet_host
  virtual int32_t vocabulary_size() = 0;
  virtual poet_token end_token() = 0;
  virtual const float* log_probs(poet_state state) = 0;
  virtual void position(poet_state state, poet_position* position) = 0;
  virtual std::size_t text(poet_state state, poet_token* tokens, std::size_t capacity) = 0;
  virtual const char* token_text(poet_token token) = 0;
  virtual poet_state clone(poet_state state) = 0;
  virtual void release(poet_state state) = 0;
  virtual int32_t step(const poet_state* states, const poet_token* tokens, std::size_t count) = 0;
  virtual double random() = 0;
  virtual int32_t cancelled() = 0;
  virtual int32_t show(poet_state state) = 0;
  virtual void fail(const char* message) = 0;

  // poet.form/1
  virtual void form_shape(poet_form* form) = 0;
  virtual void form_place(poet_state state, poet_form_place* place) = 0;

  // poet.vocabulary/1 (token_text above is its `text` too)
  virtual poet_token token_of(std::string_view utf8) = 0;
  virtual int32_t is_mark(poet_token token) = 0;

  // poet.metre/1, offered only where has_metre(): a metre lexicon is loaded
  virtual bool has_metre() = 0;
  virtual const char* metre_book() = 0;
  virtual int32_t group_count() = 0;
  virtual const char* group_name(int32_t group) = 0;
  virtual int32_t tone(poet_token token) = 0;
  virtual std::size_t groups(poet_token token, int32_t* groups, std::size_t capacity) = 0;
  // `only_before_a_character`: poet.metre/2's ask, inactive where no character can come next;
  // poet.metre/1's answers there as it always has.
  virtual void metre_ask(poet_state state, poet_metre_ask* ask, bool only_before_a_character) = 0;
  // poet.metre/2 adds these (its tone_table needs no more than tone() above)
  virtual int32_t tones_rule() = 0;
  virtual int32_t strict_tone(poet_state state) = 0;
  virtual void metre_pattern(poet_state state, poet_metre_pattern* pattern) = 0;
  virtual int32_t pattern_tone(const poet_metre_pattern& pattern, int32_t line, int32_t column) = 0;

  // poet.log/1
  virtual void warn(const char* message) = 0;
};

// The C face of a DecoderCalls: the poet_host a plugin gets and the extensions its
// get_extension() hands out. Holds a reference; `calls` outlives it.
class HostTable {
 public:
  explicit HostTable(DecoderCalls& calls);
  HostTable(const HostTable&) = delete;
  HostTable& operator=(const HostTable&) = delete;

  const poet_host* host() const { return &host_; }

 private:
  const void* extension(const char* id) const;

  DecoderCalls& calls_;
  poet_host host_{};
  poet_ext_form form_{};
  poet_ext_vocabulary vocabulary_{};
  poet_ext_metre metre_{};
  poet_ext_metre_2 metre_2_{};
  poet_ext_log log_{};
};

// A decoder's descriptor as poet keeps it: the plugin's own struct copied into a struct of this
// ABI's size, the fields its version lacks left empty, so nothing past what the plugin defined
// is ever read.
poet_decoder normalised_descriptor(const poet_decoder& descriptor);

// One decoder's instance and the model it last saw: what runs create(), model_changed() and
// destroy() around decode() at the right moments, alike in poet's process and an isolated one.
class DecoderInstance {
 public:
  explicit DecoderInstance(const poet_decoder& descriptor) : descriptor_(descriptor) {}
  ~DecoderInstance();
  DecoderInstance(const DecoderInstance&) = delete;
  DecoderInstance& operator=(const DecoderInstance&) = delete;

  // Before a poem: creates the instance if need be (a create() that fails returns POET_ERROR
  // with its message given to host->fail) and tells it of a model other than the last one
  // (`model_serial` tells models apart).
  int32_t prepare(const poet_host* host, std::uint64_t model_serial);
  // Writes one poem: decode() with request->instance set.
  int32_t decode(const poet_host* host, poet_request* request, poet_state* result) const;
  // prepare(), then decode(): one poem where no other is written at once.
  int32_t prepare_and_decode(const poet_host* host, poet_request* request,
                             std::uint64_t model_serial, poet_state* result) {
    const int32_t status = prepare(host, model_serial);
    return status == POET_OK ? decode(host, request, result) : status;
  }

 private:
  const poet_decoder& descriptor_;  // outlives the instance
  void* instance_ = nullptr;
  bool created_ = false;
  std::uint64_t model_serial_ = 0;
};

class Decoder;

// Writes one poem with `decoder`, its questions answered by `calls`: in poet's process, where the
// decoder's instance is made, told of a new model and handed over in request.instance as
// DecoderInstance says, or in its own process (IsolatedDecoder), which Ctrl-C (`cancel`) can stop
// even when the plugin never asks.
int32_t run_decoder(const Decoder& decoder, DecoderCalls& calls, poet_request& request,
                    std::uint64_t model_serial, poet_state* result,
                    const std::atomic<bool>* cancel);
// Where an isolated decoder reads the row of `state` during run_decoder(), for the host to write
// it there at once; null in process, or for a state without a slot.
float* row_slot(const Decoder& decoder, poet_state state);

}  // namespace poet
