#include "poet/engine/writing.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "decoder_calls.h"
#include "poet/decoder.h"
#include "poet/engine/text.h"

namespace poet {
namespace {

constexpr float kForbidden = -std::numeric_limits<float>::infinity();

// Warnings a decoder gives in one poem beyond these are counted, not shown.
constexpr std::size_t kWarningsShown = 3;

// The host's side of one decode() call: the states a decoder works with, each with its poem so
// far and where that poem stands against the form. Every question of poet_host and its
// extensions lands here (DecoderCalls); none lets an exception cross into the plugin: a misuse is
// recorded and reported after decode().
class Host final : public DecoderCalls {
 public:
  Host(Generation& generation, const Decoder& decoder, const FormRule& rule, const PoemRequest& request)
      : generation_(generation),
        decoder_(decoder),
        vocabulary_(generation.vocabulary()),
        rule_(rule),
        request_(request) {
    // A model with position inputs is told how many characters a line has left once the form
    // fixes it: after the first line, when every line must be as long as it.
    generation_.set_lines_alike(rule.same_length);
    for (const int length : rule.line_lengths) line_lengths_.push_back(length);
    for (const int count : rule.line_counts) line_counts_.push_back(count);
    const bool regulated =
        rule.regulated_marks && !rule.line_lengths.empty() &&
        std::all_of(rule.line_lengths.begin(), rule.line_lengths.end(),
                    [](int length) { return length == 5 || length == 7; });
    if (!regulated || !request.metre.active()) return;
    // Characters of one tone and one set of groups in the book fare alike under the metre: the
    // rule judges each such class once a step, not each of the thousands of characters.
    const int book = static_cast<int>(request.metre.book);
    std::map<std::pair<Tone, GroupSet>, std::uint16_t> classes;
    token_class_.assign(static_cast<std::size_t>(vocabulary_.size()), 0);
    for (int token = Vocabulary::kSpecialCount; token < vocabulary_.size(); ++token) {
      MetreEntry entry = request.metre.lexicon->entry(vocabulary_.character(token));
      const auto [it, added] = classes.try_emplace({entry.tone[book], entry.groups[book]},
                                                   static_cast<std::uint16_t>(metre_classes_.size()));
      if (added) metre_classes_.push_back(entry);
      token_class_[static_cast<std::size_t>(token)] = it->second;
    }
  }

  ~Host() {
    for (std::size_t id = 0; id < tracks_.size(); ++id) {
      if (tracks_[id]) generation_.release(static_cast<StateId>(id));
    }
  }

  // The state that has read the mood and the beginning, and the beginning checked against the form.
  StateId start(const std::vector<int>& mood, const std::vector<int>& beginning) {
    std::vector<int> input = mood;
    if (!mood.empty()) input.insert(input.end(), {Vocabulary::kEnd, Vocabulary::kStart});
    Track track{FormCursor(rule_), {}, 0, false, std::nullopt, Relaxation::none, {}};
    if (!metre_classes_.empty()) track.metre.emplace(request_.metre, rule_.line_lengths);
    for (const int token : beginning) {
      const char32_t c = vocabulary_.character(token);
      if (!(is_verse_punctuation(c) ? track.cursor.allows_mark(c)
                                    : track.cursor.allows_character())) {
        throw EngineError(fmt::format("'{}' does not fit the form: {}", encode_utf8(request_.start),
                                      rule_.describe()));
      }
      add(track, token);  // the user's own beginning is kept even where the metre would not
    }
    input.insert(input.end(), beginning.begin(), beginning.end());
    const StateId id = generation_.start_tokens(input);
    track_slot(id) = std::move(track);
    return id;
  }

  // What went wrong on the host's side (a misuse of the ABI), if anything.
  const std::optional<std::string>& misuse() const { return misuse_; }
  const std::string& decoder_message() const { return decoder_message_; }
  std::vector<std::string> warnings() const {
    std::vector<std::string> shown = warnings_;
    if (warning_count_ > shown.size())
      shown.push_back(fmt::format("and {} more warnings", warning_count_ - shown.size()));
    return shown;
  }
  bool interrupted() const { return request_.cancel != nullptr && request_.cancel->load(); }

  // The finished poem in `state`, after the rest of its text is shown.
  WrittenPoem finish(poet_state state) {
    Track* track = find(state, "decode() returned");
    if (track == nullptr) throw EngineError(*misuse_);
    if (!track->cursor.finished()) throw EngineError("returned a poem that is not finished");
    if (!stream(track->text))
      throw EngineError("returned a poem that does not continue the text it showed");
    WrittenPoem poem;
    poem.log_prob = track->log_prob;
    poem.notes = track->notes;
    if (track->metre && request_.metre.rhyme != RhymeMode::off) poem.rhyme_group = track->metre->group();
    std::u32string line;
    for (const int token : track->text) {
      const char32_t c = vocabulary_.character(token);
      line += c;
      if (is_verse_punctuation(c)) poem.lines.push_back(encode_utf8(std::exchange(line, {})));
    }
    for (const auto& l : poem.lines) poem.text += l;
    return poem;
  }

 private:
  struct Track {
    FormCursor cursor;
    std::vector<int> text;  // the poem's tokens so far
    double log_prob = 0;    // of the tokens stepped, under the form
    bool fresh = false;     // its row (row()) holds its log-probabilities under the form
    std::optional<MetreCursor> metre;  // for a regulated form with a metre rule
    Relaxation relaxation = Relaxation::none;  // how far the metre gave way in `allowed`
    std::vector<std::string> notes;            // where it gave way
  };

  // Moves a track on by one token (not the end): its form, its metre and its text.
  void add(Track& track, int token) {
    const char32_t c = vocabulary_.character(token);
    if (track.metre) {
      const int line = track.cursor.line(), column = track.cursor.column();
      if (is_verse_punctuation(c)) {
        track.metre->end_line(column);
      } else {
        track.metre->add(c, metre_entry(token), line, column, track.relaxation);
        if (track.relaxation != Relaxation::none) {
          track.notes.push_back(fmt::format("line {}: {}", line + 1, relaxation_text(track.relaxation)));
        }
      }
    }
    track.cursor.add(c);
    track.text.push_back(token);
  }

  const MetreEntry& metre_entry(int token) const {
    return metre_classes_[token_class_[static_cast<std::size_t>(token)]];
  }

  // Narrows a row the form has masked to what the metre allows. When nothing is left, the metre
  // gives way one step at a time (Relaxation's order) until something is.
  void apply_metre(Track& track, float* row) {
    const MetreCursor& metre = *track.metre;
    const int line = track.cursor.line(), column = track.cursor.column();
    // An acrostic's head is the user's, and stays whatever its tone.
    const std::optional<int> head =
        column == 0 && static_cast<std::size_t>(line) < request_.heads.size()
            ? vocabulary_.find(request_.heads[static_cast<std::size_t>(line)])
            : std::nullopt;
    const int size = vocabulary_.size();
    keep_.resize(static_cast<std::size_t>(size));
    for (Relaxation relaxation : {Relaxation::none, Relaxation::repeat_rhyme, Relaxation::no_tones,
                                  Relaxation::no_rhyme}) {
      metre.accepting(metre_classes_, line, column, relaxation, class_open_);
      for (int token = Vocabulary::kSpecialCount; token < size; ++token) {
        const auto t = static_cast<std::size_t>(token);
        keep_[t] = row[t] > kForbidden && class_open_[token_class_[t]] != 0;
      }
      if (head) keep_[static_cast<std::size_t>(*head)] = row[static_cast<std::size_t>(*head)] > kForbidden;
      // A rhyme written already may not come again where it would rhyme.
      for (const char32_t c : metre.rhymes()) {
        const std::optional<int> token = vocabulary_.find(c);
        if (!token || token == head) continue;
        const auto t = static_cast<std::size_t>(*token);
        keep_[t] = keep_[t] && (class_open_[token_class_[t]] &
                                ~metre.repeating(c, line, column, relaxation)) != 0;
      }
      const bool line_may_end = relaxation == Relaxation::no_rhyme || metre.allows_line_end(column);
      for (const int mark : vocabulary_.punctuation_tokens()) {
        const auto t = static_cast<std::size_t>(mark);
        keep_[t] = row[t] > kForbidden && line_may_end;
      }
      const bool any = row[Vocabulary::kEnd] > kForbidden ||
                       std::find(keep_.begin() + Vocabulary::kSpecialCount, keep_.end(), 1) != keep_.end();
      if (!any && relaxation != Relaxation::no_rhyme) continue;
      for (int token = Vocabulary::kSpecialCount; token < size; ++token) {
        const auto t = static_cast<std::size_t>(token);
        if (!keep_[t]) row[t] = kForbidden;
      }
      track.relaxation = relaxation;
      return;
    }
  }

  std::optional<Track>& track_slot(StateId id) {
    if (tracks_.size() <= static_cast<std::size_t>(id))
      tracks_.resize(static_cast<std::size_t>(id) + 1);
    return tracks_[static_cast<std::size_t>(id)];
  }

  Track* find(poet_state state, std::string_view call) {
    if (state >= 0 && static_cast<std::size_t>(state) < tracks_.size() &&
        tracks_[static_cast<std::size_t>(state)]) {
      return &*tracks_[static_cast<std::size_t>(state)];
    }
    misuse(fmt::format("{} state {}, which does not exist or was released", call, state));
    return nullptr;
  }

  void misuse(std::string message) {
    if (!misuse_) misuse_ = std::move(message);
  }

  // Where a state's row of log-probabilities under the form is kept: the decoder reads it there
  // until the state is stepped or released.
  float* row(StateId id) {
    if (float* slot = row_slot(decoder_, id)) return slot;
    const auto size = static_cast<std::size_t>(generation_.vocabulary_size());
    if (rows_.size() <= static_cast<std::size_t>(id)) rows_.resize(static_cast<std::size_t>(id) + 1);
    std::vector<float>& row = rows_[static_cast<std::size_t>(id)];
    row.resize(size);
    return row.data();
  }

  // The model's log-probabilities with what the form forbids set to -inf. Not renormalised: a
  // poem the form pushes into an unlikely mark scores as unlikely as the model finds it. Only the
  // few marks and special tokens need a look, so this costs one copy of the row.
  const float* allowed(StateId id, Track& track) {
    float* allowed = row(id);
    if (track.fresh) return allowed;
    const float* raw = generation_.log_probs(id);
    const std::size_t size = static_cast<std::size_t>(generation_.vocabulary_size());
    if (track.cursor.allows_character()) {
      std::copy_n(raw, size, allowed);
      std::fill_n(allowed, Vocabulary::kSpecialCount, kForbidden);
    } else {
      std::fill_n(allowed, size, kForbidden);
    }
    for (const int mark : vocabulary_.punctuation_tokens()) {
      allowed[mark] = track.cursor.allows_mark(vocabulary_.character(mark)) ? raw[mark] : kForbidden;
    }
    if (track.cursor.allows_end()) allowed[Vocabulary::kEnd] = raw[Vocabulary::kEnd];
    if (track.metre) apply_metre(track, allowed);
    track.fresh = true;
    return allowed;
  }

 public:
  // ---- poet_host --------------------------------------------------------------------------
  int32_t vocabulary_size() override { return generation_.vocabulary_size(); }
  poet_token end_token() override { return Vocabulary::kEnd; }

  const float* log_probs(poet_state state) override {
    Track* track = find(state, "log_probs() of");
    if (track == nullptr) {
      nothing_.assign(static_cast<std::size_t>(generation_.vocabulary_size()), kForbidden);
      return nothing_.data();
    }
    return allowed(state, *track);
  }

  void position(poet_state state, poet_position* position) override {
    Track* track = find(state, "position() of");
    *position = {};
    if (track == nullptr) return;
    position->line = track->cursor.line();
    position->column = track->cursor.column();
    position->finished = track->cursor.finished() ? 1 : 0;
  }

  std::size_t text(poet_state state, poet_token* tokens, std::size_t capacity) override {
    Track* track = find(state, "text() of");
    if (track == nullptr) return 0;
    std::copy_n(track->text.begin(), std::min(capacity, track->text.size()), tokens);
    return track->text.size();
  }

  const char* token_text(poet_token token) override {
    if (token < 0 || token >= vocabulary_.size() || Vocabulary::is_special(token)) return nullptr;
    return vocabulary_.display(token).c_str();
  }

  poet_state clone(poet_state state) override {
    Track* track = find(state, "clone() of");
    if (track == nullptr) return -1;
    Track copy = *track;
    const StateId id = generation_.clone(state);
    if (copy.fresh) std::copy_n(row(state), generation_.vocabulary_size(), row(id));
    track_slot(id) = std::move(copy);
    return id;
  }

  void release(poet_state state) override {
    if (find(state, "release() of") == nullptr) return;
    generation_.release(state);
    tracks_[static_cast<std::size_t>(state)].reset();
  }

  int32_t step(const poet_state* states, const poet_token* tokens, std::size_t count) override {
    if (interrupted()) return POET_CANCELLED;
    std::vector<StateId> model_states;
    std::vector<int> model_tokens;
    for (std::size_t i = 0; i < count; ++i) {
      Track* track = find(states[i], "step() of");
      if (track == nullptr) return POET_ERROR;
      if (tokens[i] < 0 || tokens[i] >= generation_.vocabulary_size()) {
        misuse(fmt::format("step() chose token {}, outside the vocabulary of {}", tokens[i],
                           generation_.vocabulary_size()));
        return POET_ERROR;
      }
      if (!(allowed(states[i], *track)[tokens[i]] > kForbidden)) {
        misuse(fmt::format("step() chose {} where the form does not allow it",
                           vocabulary_.display(tokens[i])));
        return POET_ERROR;
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (states[j] == states[i]) {
          misuse(fmt::format("step() got state {} twice", states[i]));
          return POET_ERROR;
        }
      }
      // The end of the poem needs no model step: nothing is read after it.
      if (tokens[i] != Vocabulary::kEnd) {
        model_states.push_back(states[i]);
        model_tokens.push_back(tokens[i]);
      }
    }
    generation_.step(model_states.data(), model_tokens.data(), model_states.size());
    for (std::size_t i = 0; i < count; ++i) {
      Track& track = *tracks_[static_cast<std::size_t>(states[i])];
      track.log_prob += row(states[i])[tokens[i]];
      if (tokens[i] == Vocabulary::kEnd) {
        track.cursor.end();
      } else {
        add(track, tokens[i]);
      }
      track.fresh = false;
    }
    return POET_OK;
  }

  double random() override { return generation_.random().uniform(); }
  int32_t cancelled() override { return interrupted() ? 1 : 0; }

  int32_t show(poet_state state) override {
    Track* track = find(state, "show() of");
    if (track == nullptr) return POET_ERROR;
    if (!stream(track->text)) {
      misuse("show() of a state whose text does not continue the text shown already");
      return POET_ERROR;
    }
    return POET_OK;
  }

  void fail(const char* message) override { decoder_message_ = message; }

  // ---- poet.form/1 ------------------------------------------------------------------------
  void form_shape(poet_form* form) override {
    *form = {};
    form->free = rule_.line_lengths.empty() && rule_.line_counts.empty() ? 1 : 0;
    form->same_length = rule_.same_length ? 1 : 0;
    form->regulated = rule_.regulated_marks ? 1 : 0;
    form->longest_line = FormCursor(rule_).longest_line();
    form->max_characters = rule_.max_characters;
    form->line_lengths = line_lengths_.data();
    form->line_length_count = line_lengths_.size();
    form->line_counts = line_counts_.data();
    form->line_count_count = line_counts_.size();
  }

  void form_place(poet_state state, poet_form_place* place) override {
    Track* track = find(state, "form place() of");
    *place = {};
    if (track == nullptr) return;
    const FormCursor& cursor = track->cursor;
    place->line = cursor.line();
    place->column = cursor.column();
    place->line_length = cursor.line_length();
    place->lines_left = cursor.lines_left();
    place->finished = cursor.finished() ? 1 : 0;
    place->line_full = !cursor.finished() && cursor.column() > 0 && !cursor.allows_character() ? 1 : 0;
    place->may_end = cursor.allows_end() ? 1 : 0;
  }

  // ---- poet.vocabulary/1 ------------------------------------------------------------------
  poet_token token_of(std::string_view utf8) override {
    std::u32string text;
    try {
      text = decode_utf8(utf8);
    } catch (const std::exception&) {
      return -1;  // not UTF-8
    }
    if (text.size() != 1) return -1;
    return vocabulary_.find(text[0]).value_or(-1);
  }

  int32_t is_mark(poet_token token) override {
    return token_text(token) != nullptr && is_verse_punctuation(vocabulary_.character(token)) ? 1 : 0;
  }

  // ---- poet.metre/1 -----------------------------------------------------------------------
  bool has_metre() override { return request_.metre.lexicon != nullptr; }
  const char* metre_book() override { return book_name(request_.metre.book).data(); }
  int32_t group_count() override {
    return static_cast<int32_t>(group_names(request_.metre.book).size());
  }
  const char* group_name(int32_t group) override {
    const auto& names = group_names(request_.metre.book);
    return group >= 0 && group < group_count() ? names[static_cast<std::size_t>(group)].c_str() : nullptr;
  }
  int32_t tone(poet_token token) override {
    if (token_text(token) == nullptr || is_mark(token)) return POET_TONE_UNKNOWN;
    return static_cast<int32_t>(request_.metre.lexicon->tone(vocabulary_.character(token), request_.metre.book));
  }
  std::size_t groups(poet_token token, int32_t* groups, std::size_t capacity) override {
    if (token_text(token) == nullptr || is_mark(token)) return 0;
    const GroupSet set = request_.metre.lexicon->groups(vocabulary_.character(token), request_.metre.book);
    std::size_t count = 0;
    for (int32_t group = 0; group < 32; ++group) {
      if ((set >> group & 1U) == 0) continue;
      if (count < capacity) groups[count] = group;
      ++count;
    }
    return count;
  }
  void metre_ask(poet_state state, poet_metre_ask* ask) override {
    Track* track = find(state, "metre ask() of");
    *ask = {};
    ask->group = -1;
    if (track == nullptr || !track->metre || track->cursor.finished()) return;
    allowed(state, *track);  // settles how far the metre gives way at this place
    const MetreCursor::Next next =
        track->metre->next(track->cursor.line(), track->cursor.column(), track->relaxation);
    ask->active = 1;
    ask->tones = static_cast<int32_t>(next.tones);
    ask->rhyme = next.rhyme ? 1 : 0;
    ask->group = track->metre->group().value_or(-1);
  }

  // ---- poet.log/1 -------------------------------------------------------------------------
  void warn(const char* message) override {
    if (warnings_.size() < kWarningsShown) warnings_.emplace_back(message);
    ++warning_count_;
  }

 private:
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
  const Decoder& decoder_;  // an isolated one keeps the rows where its plugin reads them
  const Vocabulary& vocabulary_;
  const FormRule& rule_;
  const PoemRequest& request_;
  std::vector<std::optional<Track>> tracks_;  // by StateId: the states the decoder may use
  std::vector<int> shown_;                    // the text streamed so far
  std::vector<std::vector<float>> rows_;      // by StateId: row()
  std::vector<float> nothing_;                // what log_probs() of a bad state returns
  std::vector<int32_t> line_lengths_, line_counts_;  // the form's, as poet_form hands them out
  std::vector<std::string> warnings_;         // the first kWarningsShown of warn()
  std::size_t warning_count_ = 0;
  std::vector<MetreEntry> metre_classes_;     // the metre's classes; empty when none applies
  std::vector<std::uint16_t> token_class_;    // by token: its class
  std::vector<MetreCursor::Open> class_open_;  // apply_metre(): the patterns open to each class
  std::vector<char> keep_;                    // apply_metre(): its verdict per token
  std::optional<std::string> misuse_;
  std::string decoder_message_;
};

}  // namespace

WrittenPoem write_poem(Generation& generation, const Decoder& decoder, const PoemRequest& request) {
  FormRule rule = request.form;
  if (!request.heads.empty()) {
    if (!decoder.writes_acrostics()) {
      throw EngineError(fmt::format(
          "decoder '{}' does not write acrostics; use one that does, such as 'acrostic'",
          decoder.name()));
    }
    if (!request.start.empty())
      throw EngineError("an acrostic takes head characters, not a beginning");
    const int lines = static_cast<int>(request.heads.size());
    if (rule.line_counts.size() == 1 && rule.line_counts[0] != lines) {
      throw EngineError(fmt::format("{} has {} lines, but {} head characters were given",
                                    rule.describe(), rule.line_counts[0], lines));
    }
    rule = rule.with_lines(lines);
    for (const char32_t head : request.heads) {
      if (is_verse_punctuation(head))
        throw EngineError(fmt::format("a head character cannot be '{}'", encode_utf8(head)));
    }
  }
  const std::vector<int> heads = generation.tokens(request.heads);
  const std::vector<int> mood = generation.tokens(request.mood);
  const std::vector<int> beginning = generation.tokens(request.start);
  const std::vector<double> params =
      request.params.empty() ? decoder.default_values() : request.params;
  if (params.size() != decoder.params().size()) {
    throw EngineError(fmt::format("decoder '{}' takes {} parameters, not {}", decoder.name(),
                                  decoder.params().size(), params.size()));
  }

  Host host(generation, decoder, rule, request);
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

  const auto failure = [&](std::string_view what) {
    return EngineError(fmt::format("decoder '{}' {}", decoder.name(), what));
  };
  if (host.misuse()) throw failure(*host.misuse());
  if (status == POET_CANCELLED || (status != POET_OK && host.interrupted())) throw Cancelled();
  if (status == POET_ERROR) {
    throw failure(fmt::format("failed: {}", host.decoder_message().empty()
                                                ? "it gave no reason"
                                                : host.decoder_message()));
  }
  if (status != POET_OK) throw failure(fmt::format("returned an unknown status {}", status));
  WrittenPoem poem;
  try {
    poem = host.finish(result);
  } catch (const EngineError& error) {
    throw failure(error.what());
  }
  for (const auto& warning : host.warnings())
    poem.warnings.push_back(fmt::format("decoder '{}': {}", decoder.name(), warning));
  for (std::size_t i = 0; i < heads.size(); ++i) {
    if (i >= poem.lines.size() || decode_utf8(poem.lines[i]).front() != request.heads[i]) {
      throw failure(
          fmt::format("did not begin line {} with '{}'", i + 1, encode_utf8(request.heads[i])));
    }
  }
  return poem;
}

}  // namespace poet
