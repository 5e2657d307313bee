// The host's side of one decode() call: poet_host and its extensions (DecoderCalls) answered from
// the poem's state table, a stream of what the decoder settles, and the checks of what comes back.
// No call lets an exception cross into the plugin: a misuse is recorded and reported after
// decode().

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>
#include <optional>
#include <utility>

#include "plugins/decoder_calls.h"
#include "poet/decoder.h"
#include "poet/engine/error.h"
#include "poet/engine/model/runtime.h"
#include "poet/engine/text/text.h"
#include "poet/engine/writing/writing.h"
#include "writing/constraints.h"
#include "writing/state_table.h"

namespace poet {
namespace {

// Batches of at least this many poems are written in two lanes (write_poems).
constexpr std::size_t kLanedBatch = 8;

// Warnings a decoder gives in one poem beyond these are counted, not shown.
constexpr std::size_t kWarningsShown = 3;

bool regulated(const FormRule& rule) {
  return rule.regulated_marks && !rule.line_lengths.empty() &&
         std::all_of(rule.line_lengths.begin(), rule.line_lengths.end(),
                     [](int length) { return length == 5 || length == 7; });
}

class Host final : public DecoderCalls {
 public:
  Host(Generation& generation, const Decoder& decoder, const FormRule& rule,
       const PoemRequest& request, const std::vector<int>& heads)
      : generation_(generation),
        decoder_(decoder),
        vocabulary_(generation.vocabulary()),
        rule_(rule),
        request_(request),
        constraints_(vocabulary_, rule,
                     regulated(rule) && request.metre.active() ? &request.metre : nullptr, heads),
        table_(
            generation, constraints_, [&decoder](StateId id) { return row_slot(decoder, id); },
            !decoder.steps_heads()) {
    // A model with position inputs is told how many characters a line has left once the form
    // fixes it: after the first line, when every line must be as long as it.
    generation_.set_lines_alike(rule.same_length);
    line_lengths_.assign(rule.line_lengths.begin(), rule.line_lengths.end());
    line_counts_.assign(rule.line_counts.begin(), rule.line_counts.end());
  }

  StateId start(const std::vector<int>& mood, const std::vector<int>& beginning) {
    return table_.start(mood, beginning);
  }

  // What went wrong on the host's side (a misuse of the ABI), if anything.
  const std::optional<std::string>& misuse() const { return misuse_; }
  const std::string& decoder_message() const { return decoder_message_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  std::size_t unshown_warnings() const { return warning_count_ - warnings_.size(); }
  bool interrupted() const { return request_.cancel != nullptr && request_.cancel->load(); }

  // The finished poem in `state`, after the rest of its text is shown; throws Error::plugin
  // naming the decoder when it is not one.
  WrittenPoem finish(poet_state state);

  // ---- poet_host --------------------------------------------------------------------------
  int32_t vocabulary_size() override { return generation_.vocabulary_size(); }
  poet_token end_token() override { return Vocabulary::kEnd; }

  const float* log_probs(poet_state state) override {
    if (find(state, "log_probs() of") == nullptr) {
      nothing_.assign(static_cast<std::size_t>(generation_.vocabulary_size()), kForbidden);
      return nothing_.data();
    }
    return table_.row(state);
  }

  void position(poet_state state, poet_position* position) override {
    const auto* found = find(state, "position() of");
    *position = {};
    if (found == nullptr) return;
    position->line = found->cursor.line();
    position->column = found->cursor.column();
    position->finished = found->cursor.finished() ? 1 : 0;
  }

  std::size_t text(poet_state state, poet_token* tokens, std::size_t capacity) override {
    const auto* found = find(state, "text() of");
    if (found == nullptr) return 0;
    std::copy_n(found->text.begin(), std::min(capacity, found->text.size()), tokens);
    return found->text.size();
  }

  const char* token_text(poet_token token) override {
    if (token < 0 || token >= vocabulary_.size() || Vocabulary::is_special(token)) return nullptr;
    return vocabulary_.display(token).c_str();
  }

  poet_state clone(poet_state state) override {
    return find(state, "clone() of") != nullptr ? table_.clone(state) : -1;
  }

  void release(poet_state state) override {
    if (find(state, "release() of") != nullptr) table_.release(state);
  }

  int32_t step(const poet_state* states, const poet_token* tokens, std::size_t count) override;

  double random() override { return generation_.random().uniform(); }
  int32_t cancelled() override { return interrupted() ? 1 : 0; }

  int32_t show(poet_state state) override {
    const auto* found = find(state, "show() of");
    if (found == nullptr) return POET_ERROR;
    if (!stream(found->text)) {
      misuse("show() of a state whose text does not continue the text shown already");
      return POET_ERROR;
    }
    return POET_OK;
  }

  // A plugin's text reaches the terminal only cleaned, as everything from outside poet does.
  void fail(const char* message) override { decoder_message_ = printable(message); }

  // ---- poet.form/1 ------------------------------------------------------------------------
  void form_shape(poet_form* form) override {
    *form = {};
    form->free = rule_.line_lengths.empty() && rule_.line_counts.empty() ? 1 : 0;
    form->same_length = rule_.same_length ? 1 : 0;
    form->regulated = rule_.regulated_marks ? 1 : 0;
    form->longest_line = PoemCursor(rule_).longest_line();
    form->max_characters = rule_.max_characters;
    form->line_lengths = line_lengths_.data();
    form->line_length_count = line_lengths_.size();
    form->line_counts = line_counts_.data();
    form->line_count_count = line_counts_.size();
  }

  void form_place(poet_state state, poet_form_place* place) override {
    const auto* found = find(state, "form place() of");
    *place = {};
    if (found == nullptr) return;
    const PoemCursor& cursor = found->cursor;
    place->line = cursor.line();
    place->column = cursor.column();
    place->line_length = cursor.line_length();
    place->lines_left = cursor.lines_left();
    place->finished = cursor.finished() ? 1 : 0;
    place->line_full =
        !cursor.finished() && cursor.column() > 0 && !cursor.allows_character() ? 1 : 0;
    place->may_end = cursor.allows_end() ? 1 : 0;
  }

  // ---- poet.vocabulary/1 ------------------------------------------------------------------
  poet_token token_of(std::string_view utf8) override {
    std::u32string text;
    try {
      text = decode_utf8(utf8);
    } catch (const Error&) {
      return -1;  // not UTF-8
    }
    if (text.size() != 1) return -1;
    return vocabulary_.find(text[0]).value_or(-1);
  }

  int32_t is_mark(poet_token token) override {
    return token_text(token) != nullptr && is_verse_punctuation(vocabulary_.character(token)) ? 1
                                                                                              : 0;
  }

  // ---- poet.metre/1 -----------------------------------------------------------------------
  bool has_metre() override { return request_.metre.lexicon != nullptr; }
  const char* metre_book() override { return book_name(request_.metre.book).data(); }
  int32_t group_count() override {
    return static_cast<int32_t>(group_names(request_.metre.book).size());
  }
  const char* group_name(int32_t group) override {
    const auto& names = group_names(request_.metre.book);
    return group >= 0 && group < group_count() ? names[static_cast<std::size_t>(group)].c_str()
                                               : nullptr;
  }
  int32_t tone(poet_token token) override {
    if (token_text(token) == nullptr || is_mark(token)) return POET_TONE_UNKNOWN;
    return static_cast<int32_t>(
        request_.metre.lexicon->tone(vocabulary_.character(token), request_.metre.book));
  }
  std::size_t groups(poet_token token, int32_t* groups, std::size_t capacity) override;
  void metre_ask(poet_state state, poet_metre_ask* ask, bool only_before_a_character) override;
  int32_t tones_rule() override {
    switch (request_.metre.tones) {
      case ToneMode::off: return POET_TONES_OFF;
      case ToneMode::loose: return POET_TONES_LOOSE;
      case ToneMode::strict: return POET_TONES_STRICT;
    }
    return POET_TONES_OFF;
  }
  int32_t strict_tone(poet_state state) override;
  void metre_pattern(poet_state state, poet_metre_pattern* pattern) override;
  int32_t pattern_tone(const poet_metre_pattern& p, int32_t line, int32_t column) override {
    if (p.settled == 0 || (p.line_length != 5 && p.line_length != 7) || line < 0 || line >= 1024 ||
        column < 0 || column >= p.line_length)
      return POET_TONE_UNKNOWN;
    const MetrePattern pattern{p.line_length, p.level_start != 0, p.first_line_rhymes != 0};
    return static_cast<int32_t>(pattern.tone(line, column));
  }

  // ---- poet.log/1 -------------------------------------------------------------------------
  void warn(const char* message) override {
    if (warnings_.size() < kWarningsShown) warnings_.emplace_back(printable(message));
    ++warning_count_;
  }

 private:
  StateTable::State* find(poet_state state, std::string_view call) {
    if (auto* found = table_.find(state)) return found;
    misuse(fmt::format("{} state {}, which does not exist or was released", call, state));
    return nullptr;
  }

  void misuse(std::string message) {
    if (!misuse_) misuse_ = std::move(message);
  }

  // Shows what `text` adds to the text shown so far; false if it does not continue it.
  bool stream(const std::vector<int>& text) {
    if (text.size() < shown_.size() || !std::equal(shown_.begin(), shown_.end(), text.begin()))
      return false;
    std::string piece;
    for (std::size_t i = shown_.size(); i < text.size(); ++i) piece += vocabulary_.display(text[i]);
    shown_ = text;
    if (!piece.empty() && request_.on_text) request_.on_text(piece);
    return true;
  }

  Generation& generation_;
  const Decoder& decoder_;
  const Vocabulary& vocabulary_;
  const FormRule& rule_;
  const PoemRequest& request_;
  Constraints constraints_;
  StateTable table_;
  std::vector<int> shown_;                           // the text streamed so far
  std::vector<float> nothing_;                       // what log_probs() of a bad state returns
  std::vector<int32_t> line_lengths_, line_counts_;  // the form's, as poet_form hands them out
  std::vector<std::string> warnings_;                // the first kWarningsShown of warn()
  std::size_t warning_count_ = 0;
  std::optional<std::string> misuse_;
  std::string decoder_message_;
};

int32_t Host::step(const poet_state* states, const poet_token* tokens, std::size_t count) {
  if (interrupted()) return POET_CANCELLED;
  for (std::size_t i = 0; i < count; ++i) {
    if (find(states[i], "step() of") == nullptr) return POET_ERROR;
    if (tokens[i] < 0 || tokens[i] >= generation_.vocabulary_size()) {
      misuse(fmt::format("step() chose token {}, outside the vocabulary of {}", tokens[i],
                         generation_.vocabulary_size()));
      return POET_ERROR;
    }
    if (!(table_.row(states[i])[tokens[i]] > kForbidden)) {
      misuse(fmt::format("step() chose {} where the form does not allow it",
                         vocabulary_.display(tokens[i])));
      return POET_ERROR;
    }
    if (std::find(states, states + i, states[i]) != states + i) {
      misuse(fmt::format("step() got state {} twice", states[i]));
      return POET_ERROR;
    }
  }
  table_.step(states, tokens, count);
  return POET_OK;
}

std::size_t Host::groups(poet_token token, int32_t* groups, std::size_t capacity) {
  if (token_text(token) == nullptr || is_mark(token)) return 0;
  const GroupSet set =
      request_.metre.lexicon->groups(vocabulary_.character(token), request_.metre.book);
  std::size_t count = 0;
  for (int32_t group = 0; group < 32; ++group) {
    if ((set >> group & 1U) == 0) continue;
    if (count < capacity) groups[count] = group;
    ++count;
  }
  return count;
}

void Host::metre_ask(poet_state state, poet_metre_ask* ask, bool only_before_a_character) {
  const auto* found = find(state, "metre ask() of");
  *ask = {};
  ask->group = -1;
  if (found == nullptr || found->cursor.metre() == nullptr || found->cursor.finished()) return;
  // Where no character can come next (a full line, or the last one closed) there is nothing to
  // ask; poet.metre/1 answered there as if the patterns went on, and still does.
  if (only_before_a_character && !found->cursor.allows_character()) return;
  table_.row(state);  // settles how far the metre gives way at this place
  const MetreCursor& metre = *found->cursor.metre();
  const MetreCursor::Next next =
      metre.next(found->cursor.line(), found->cursor.column(), found->relaxation);
  ask->active = 1;
  ask->tones = static_cast<int32_t>(next.tones);
  ask->rhyme = next.rhyme ? 1 : 0;
  ask->group = metre.group().value_or(-1);
}

int32_t Host::strict_tone(poet_state state) {
  const auto* found = find(state, "metre strict_tone() of");
  if (found == nullptr || found->cursor.metre() == nullptr || found->cursor.finished() ||
      !found->cursor.allows_character())
    return POET_TONE_UNKNOWN;
  return static_cast<int32_t>(
      found->cursor.metre()->strict_next(found->cursor.line(), found->cursor.column()));
}

void Host::metre_pattern(poet_state state, poet_metre_pattern* pattern) {
  const auto* found = find(state, "metre pattern() of");
  *pattern = {};
  if (found == nullptr || found->cursor.metre() == nullptr) return;
  if (const auto settled = found->cursor.metre()->pattern()) {
    *pattern = {1, settled->line_length, settled->level_start ? 1 : 0,
                settled->first_line_rhymes ? 1 : 0};
  }
}

WrittenPoem Host::finish(poet_state state) {
  const auto refuse = [&](std::string_view what) {
    return Error::plugin(fmt::format("decoder '{}' {}", decoder_.name(), what));
  };
  const auto* found = find(state, "decode() returned");
  if (found == nullptr) throw refuse(*misuse_);
  if (!found->cursor.finished()) throw refuse("returned a poem that is not finished");
  if (!stream(found->text)) throw refuse("returned a poem that does not continue the text it showed");
  WrittenPoem poem;
  poem.log_prob = found->log_prob;
  poem.notes = found->notes;
  if (found->cursor.metre() != nullptr && request_.metre.rhyme != RhymeMode::off)
    poem.rhyme_group = found->cursor.metre()->group();
  std::u32string line;
  for (const int token : found->text) {
    const char32_t c = vocabulary_.character(token);
    line += c;
    if (is_verse_punctuation(c)) poem.lines.push_back(encode_utf8(std::exchange(line, {})));
  }
  for (const auto& l : poem.lines) poem.text += l;
  return poem;
}

// The form a request is written in: an acrostic has one line per head.
FormRule form_of(const PoemRequest& request) {
  if (request.heads.empty()) return request.form;
  if (!request.start.empty())
    throw Error::input("an acrostic takes head characters, not a beginning");
  const int lines = static_cast<int>(request.heads.size());
  const FormRule& rule = request.form;
  if (rule.line_counts.size() == 1 && rule.line_counts[0] != lines) {
    throw Error::input(fmt::format("{} has {} lines, but {} head characters were given",
                                   rule.describe(), rule.line_counts[0], lines));
  }
  for (const char32_t head : request.heads) {
    if (is_verse_punctuation(head))
      throw Error::input(fmt::format("a head character cannot be '{}'", encode_utf8(head)));
  }
  return rule.with_lines(lines);
}

// What decode() came back with, as the poem or the error the user sees.
WrittenPoem outcome(Host& host, const Decoder& decoder, int32_t status, poet_state result) {
  const auto failure = [&](std::string_view what) {
    return Error::plugin(fmt::format("decoder '{}' {}", decoder.name(), what));
  };
  if (host.misuse()) throw failure(*host.misuse());
  if (status == POET_CANCELLED || (status != POET_OK && host.interrupted())) throw Error::stopped();
  if (status == POET_ERROR) {
    throw failure(fmt::format("failed: {}", host.decoder_message().empty()
                                                ? "it gave no reason"
                                                : host.decoder_message()));
  }
  if (status != POET_OK) throw failure(fmt::format("returned an unknown status {}", status));
  WrittenPoem poem = host.finish(result);
  for (const auto& warning : host.warnings())
    poem.warnings.push_back(fmt::format("decoder '{}': {}", decoder.name(), warning));
  poem.unshown_warnings = host.unshown_warnings();
  return poem;
}

}  // namespace

WrittenPoem write_poem(Generation& generation, const Decoder& decoder, const PoemRequest& request) {
  const FormRule rule = form_of(request);
  const std::vector<int> heads = generation.tokens(request.heads);
  const std::vector<int> mood = generation.tokens(request.mood);
  const std::vector<int> beginning = generation.tokens(request.start);
  const std::vector<double> params =
      request.params.empty() ? decoder.default_values() : request.params;
  if (params.size() != decoder.params().size()) {
    throw Error::input(fmt::format("decoder '{}' takes {} parameters, not {}", decoder.name(),
                                   decoder.params().size(), params.size()));
  }

  Host host(generation, decoder, rule, request, heads);
  poet_request call{};
  call.start = host.start(mood, beginning);
  call.heads = heads.data();
  call.head_count = heads.size();
  call.params = params.data();
  call.poem_index = request.poem_index;
  call.poem_count = request.poem_count;
  poet_state result = -1;
  // An isolated decoder's crash or hang throws here, already naming the decoder.
  const int32_t status =
      run_decoder(decoder, host, call, generation.model_serial(), &result, request.cancel);
  return outcome(host, decoder, status, result);
}

std::vector<WrittenPoem> write_poems(const std::vector<Generation*>& generations,
                                     const Decoder& decoder,
                                     const std::vector<PoemRequest>& requests) {
  if (generations.size() != requests.size())
    throw std::invalid_argument("write_poems: one generation per request");
  std::vector<WrittenPoem> poems(requests.size());
  if (!decoder.batches() || requests.size() < 2) {
    for (std::size_t i = 0; i < requests.size(); ++i)
      poems[i] = write_poem(*generations[i], decoder, requests[i]);
    return poems;
  }
  const BlasThreadsScope one_blas_thread(1);
  // Two lanes, each its own batch, step in turn: while one lane's forward pass runs, the other's
  // poems choose their next characters on the other core.
  const std::size_t lane_count = requests.size() >= kLanedBatch ? 2 : 1;
  std::vector<std::unique_ptr<StepBatch>> lanes;
  for (std::size_t lane = 0; lane < lane_count; ++lane)
    lanes.push_back(std::make_unique<StepBatch>((requests.size() + lane_count - 1 - lane) / lane_count));
  std::vector<std::exception_ptr> errors(requests.size());
  std::vector<std::thread> writers;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    StepBatch& batch = *lanes[i % lane_count];
    generations[i]->join(&batch);
    try {
      writers.emplace_back([&, i] {
        try {
          poems[i] = write_poem(*generations[i], decoder, requests[i]);
        } catch (...) {
          errors[i] = std::current_exception();
        }
        batch.leave();
      });
    } catch (...) {  // no thread for it (the system's limit): the poem fails, the others go on
      errors[i] = std::current_exception();
      batch.leave();
    }
  }
  for (auto& writer : writers) writer.join();
  for (Generation* generation : generations) generation->join(nullptr);
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return poems;
}

int candidate_count(const Decoder& decoder, int best_of) { return decoder.seedless() ? 1 : best_of; }

CriticChoice choose_by_critic(const Critic& critic, const std::vector<WrittenPoem>& candidates) {
  std::vector<std::u32string> texts;
  for (const auto& poem : candidates) texts.push_back(decode_utf8(poem.text));
  const std::vector<double> scores = critic.scores(texts);
  CriticChoice choice;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool better = scores[i] > scores[choice.index] ||
                        (scores[i] == scores[choice.index] &&
                         candidates[i].log_prob > candidates[choice.index].log_prob);
    if (i == 0 || better) choice = {i, scores[i]};
  }
  return choice;
}

}  // namespace poet
