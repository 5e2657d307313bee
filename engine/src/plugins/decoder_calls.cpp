#include "plugins/decoder_calls.h"

#include <algorithm>
#include <cstring>

namespace poet {

HostTable::HostTable(DecoderCalls& calls) : calls_(calls) {
  // Every callback finds the calls through the table, the context the plugin passes back.
  static constexpr auto of = [](void* context) -> DecoderCalls& {
    return static_cast<HostTable*>(context)->calls_;
  };
  host_.context = this;
  host_.vocabulary_size = calls_.vocabulary_size();
  host_.end_token = calls_.end_token();
  host_.log_probs = [](void* c, poet_state s) { return of(c).log_probs(s); };
  host_.position = [](void* c, poet_state s, poet_position* p) { of(c).position(s, p); };
  host_.text = [](void* c, poet_state s, poet_token* t, std::size_t n) { return of(c).text(s, t, n); };
  host_.token_text = [](void* c, poet_token t) { return of(c).token_text(t); };
  host_.clone = [](void* c, poet_state s) { return of(c).clone(s); };
  host_.release = [](void* c, poet_state s) { of(c).release(s); };
  host_.step = [](void* c, const poet_state* s, const poet_token* t, std::size_t n) {
    return of(c).step(s, t, n);
  };
  host_.random = [](void* c) { return of(c).random(); };
  host_.cancelled = [](void* c) { return of(c).cancelled(); };
  host_.show = [](void* c, poet_state s) { return of(c).show(s); };
  host_.fail = [](void* c, const char* message) { of(c).fail(message != nullptr ? message : ""); };
  host_.abi_version = POET_DECODER_ABI_VERSION;
  host_.get_extension = [](void* c, const char* id) {
    return static_cast<const HostTable*>(c)->extension(id);
  };

  form_.shape = [](void* c, poet_form* f) { of(c).form_shape(f); };
  form_.place = [](void* c, poet_state s, poet_form_place* p) { of(c).form_place(s, p); };
  vocabulary_.text = [](void* c, poet_token t) { return of(c).token_text(t); };
  vocabulary_.token = [](void* c, const char* utf8, std::size_t length) {
    return utf8 == nullptr ? poet_token{-1} : of(c).token_of({utf8, length});
  };
  vocabulary_.is_mark = [](void* c, poet_token t) { return of(c).is_mark(t); };
  metre_.book = [](void* c) { return of(c).metre_book(); };
  metre_.group_count = [](void* c) { return of(c).group_count(); };
  metre_.group_name = [](void* c, int32_t g) { return of(c).group_name(g); };
  metre_.tone = [](void* c, poet_token t) { return of(c).tone(t); };
  metre_.groups = [](void* c, poet_token t, int32_t* g, std::size_t n) {
    return g == nullptr && n > 0 ? std::size_t{0} : of(c).groups(t, g, n);
  };
  metre_.ask = [](void* c, poet_state s, poet_metre_ask* a) { of(c).metre_ask(s, a, false); };
  metre_2_.book = metre_.book;
  metre_2_.group_count = metre_.group_count;
  metre_2_.group_name = metre_.group_name;
  metre_2_.tone = metre_.tone;
  metre_2_.groups = metre_.groups;
  metre_2_.ask = [](void* c, poet_state s, poet_metre_ask* a) { of(c).metre_ask(s, a, true); };
  metre_2_.tones_rule = [](void* c) { return of(c).tones_rule(); };
  metre_2_.tone_table = [](void* c, int32_t* tones, std::size_t capacity) {
    DecoderCalls& calls = of(c);
    const auto size = static_cast<std::size_t>(calls.vocabulary_size());
    if (tones == nullptr) return size;
    for (std::size_t token = 0; token < std::min(size, capacity); ++token)
      tones[token] = calls.tone(static_cast<poet_token>(token));
    return size;
  };
  metre_2_.strict_tone = [](void* c, poet_state s) { return of(c).strict_tone(s); };
  metre_2_.pattern = [](void* c, poet_state s, poet_metre_pattern* p) { of(c).metre_pattern(s, p); };
  metre_2_.pattern_tone = [](void* c, const poet_metre_pattern* p, int32_t line, int32_t column) {
    return p == nullptr ? int32_t{POET_TONE_UNKNOWN} : of(c).pattern_tone(*p, line, column);
  };
  log_.warn = [](void* c, const char* message) { of(c).warn(message != nullptr ? message : ""); };
}

const void* HostTable::extension(const char* id) const {
  if (id == nullptr) return nullptr;
  const std::string_view name(id);
  if (name == POET_EXT_FORM) return &form_;
  if (name == POET_EXT_VOCABULARY) return &vocabulary_;
  if (name == POET_EXT_METRE) return calls_.has_metre() ? &metre_ : nullptr;
  if (name == POET_EXT_METRE_2) return calls_.has_metre() ? &metre_2_ : nullptr;
  if (name == POET_EXT_LOG) return &log_;
  return nullptr;
}

poet_decoder normalised_descriptor(const poet_decoder& descriptor) {
  poet_decoder copy{};
  // ABI 1 ended at decode() and ABI 2 at model_changed(); a plugin built for either has nothing
  // past that to read.
  const std::size_t size = descriptor.abi_version >= 3   ? sizeof copy
                           : descriptor.abi_version == 2 ? offsetof(poet_decoder, get_extension)
                                                         : offsetof(poet_decoder, create);
  std::memcpy(&copy, &descriptor, size);
  return copy;
}

DecoderInstance::~DecoderInstance() {
  if (created_ && descriptor_.destroy != nullptr) descriptor_.destroy(instance_);
}

int32_t DecoderInstance::prepare(const poet_host* host, std::uint64_t model_serial) {
  if (!created_) {
    if (descriptor_.create != nullptr) {
      instance_ = descriptor_.create(host);
      if (instance_ == nullptr) return POET_ERROR;
    }
    created_ = true;
  } else if (model_serial != model_serial_ && descriptor_.model_changed != nullptr) {
    descriptor_.model_changed(instance_, host);
  }
  model_serial_ = model_serial;
  return POET_OK;
}

int32_t DecoderInstance::decode(const poet_host* host, poet_request* request,
                                poet_state* result) const {
  request->instance = instance_;
  return descriptor_.decode(host, request, result);
}

}  // namespace poet
