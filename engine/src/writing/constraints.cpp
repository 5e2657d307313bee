#include "writing/constraints.h"

#include <algorithm>
#include <map>
#include <utility>

namespace poet {
namespace {

// Copies the model's row, keeping what the form allows next. Not renormalised: a poem the form
// pushes into an unlikely mark scores as unlikely as the model finds it. Only the few marks and
// special tokens need a look, so this costs one copy of the row.
class FormStage final : public MaskStage {
 public:
  explicit FormStage(const Vocabulary& vocabulary) : vocabulary_(vocabulary) {}

  void narrow(StagePlace& place, const float* raw, float* row) override {
    const PoemCursor& cursor = place.cursor;
    const auto size = static_cast<std::size_t>(vocabulary_.size());
    if (cursor.allows_character()) {
      std::copy_n(raw, size, row);
      std::fill_n(row, Vocabulary::kSpecialCount, kForbidden);
    } else {
      std::fill_n(row, size, kForbidden);
    }
    for (const int mark : vocabulary_.punctuation_tokens()) {
      row[mark] = cursor.allows_mark(vocabulary_.character(mark)) ? raw[mark] : kForbidden;
    }
    if (cursor.allows_end()) row[Vocabulary::kEnd] = raw[Vocabulary::kEnd];
  }

 private:
  const Vocabulary& vocabulary_;
};

// Where a line of an acrostic begins, its head and nothing else; the place is then the user's.
class HeadsStage final : public MaskStage {
 public:
  HeadsStage(std::vector<int> heads, int vocabulary_size)
      : heads_(std::move(heads)), size_(static_cast<std::size_t>(vocabulary_size)) {}

  void narrow(StagePlace& place, const float*, float* row) override {
    const PoemCursor& cursor = place.cursor;
    if (cursor.finished() || cursor.column() != 0 ||
        static_cast<std::size_t>(cursor.line()) >= heads_.size()) {
      return;
    }
    const int head = heads_[static_cast<std::size_t>(cursor.line())];
    const float kept = row[head];
    std::fill_n(row, size_, kForbidden);
    row[head] = kept;
    place.fixed = head;
  }

 private:
  std::vector<int> heads_;
  std::size_t size_;
};

}  // namespace

// The metre of a regulated poem. Characters of one tone and one set of rhyme groups fare alike
// under it, so it judges each such class once a step, not each of the thousands of characters.
class MetreStage final : public MaskStage {
 public:
  MetreStage(const Vocabulary& vocabulary, const MetreRule& rule);
  void narrow(StagePlace& place, const float* raw, float* row) override;
  const MetreEntry& entry(int token) const {
    return classes_[token_class_[static_cast<std::size_t>(token)]];
  }

 private:
  const Vocabulary& vocabulary_;
  std::vector<MetreEntry> classes_;
  std::vector<std::uint16_t> token_class_;     // by token: its class
  std::vector<MetreCursor::Open> class_open_;  // narrow(): the patterns open to each class
  std::vector<char> keep_;                     // narrow(): the verdict per token
};

MetreStage::MetreStage(const Vocabulary& vocabulary, const MetreRule& rule)
    : vocabulary_(vocabulary) {
  const int book = static_cast<int>(rule.book);
  std::map<std::pair<Tone, GroupSet>, std::uint16_t> classes;
  token_class_.assign(static_cast<std::size_t>(vocabulary.size()), 0);
  for (int token = Vocabulary::kSpecialCount; token < vocabulary.size(); ++token) {
    MetreEntry entry = rule.lexicon->entry(vocabulary.character(token));
    const auto [it, added] = classes.try_emplace({entry.tone[book], entry.groups[book]},
                                                 static_cast<std::uint16_t>(classes_.size()));
    if (added) classes_.push_back(entry);
    token_class_[static_cast<std::size_t>(token)] = it->second;
  }
}

// When nothing is left, the metre gives way one step at a time (Relaxation's order) until
// something is. A place the user fixed is left alone: the user's character stays whatever its
// tone.
void MetreStage::narrow(StagePlace& place, const float*, float* row) {
  if (place.fixed) return;
  const MetreCursor& metre = *place.cursor.metre();
  const int line = place.cursor.line(), column = place.cursor.column();
  const int size = vocabulary_.size();
  keep_.resize(static_cast<std::size_t>(size));
  for (const Relaxation relaxation :
       {Relaxation::none, Relaxation::repeat_rhyme, Relaxation::no_tones, Relaxation::no_rhyme}) {
    metre.accepting(classes_, line, column, relaxation, class_open_);
    for (int token = Vocabulary::kSpecialCount; token < size; ++token) {
      const auto t = static_cast<std::size_t>(token);
      keep_[t] = row[t] > kForbidden && class_open_[token_class_[t]] != 0;
    }
    // A rhyme written already may not come again where it would rhyme.
    for (const char32_t c : metre.rhymes()) {
      const std::optional<int> token = vocabulary_.find(c);
      if (!token) continue;
      const auto t = static_cast<std::size_t>(*token);
      keep_[t] = keep_[t] && (class_open_[token_class_[t]] &
                              ~metre.repeating(c, line, column, relaxation)) != 0;
    }
    const bool line_may_end = relaxation == Relaxation::no_rhyme || metre.allows_line_end(column);
    for (const int mark : vocabulary_.punctuation_tokens()) {
      const auto t = static_cast<std::size_t>(mark);
      keep_[t] = row[t] > kForbidden && line_may_end;
    }
    const bool any =
        row[Vocabulary::kEnd] > kForbidden ||
        std::find(keep_.begin() + Vocabulary::kSpecialCount, keep_.end(), 1) != keep_.end();
    if (!any && relaxation != Relaxation::no_rhyme) continue;
    for (int token = Vocabulary::kSpecialCount; token < size; ++token) {
      const auto t = static_cast<std::size_t>(token);
      if (!keep_[t]) row[t] = kForbidden;
    }
    place.relaxation = relaxation;
    return;
  }
}

Constraints::Constraints(const Vocabulary& vocabulary, const FormRule& form, const MetreRule* metre,
                         std::vector<int> heads)
    : form_(form), metre_rule_(metre) {
  stages_.push_back(std::make_unique<FormStage>(vocabulary));
  if (!heads.empty())
    stages_.push_back(std::make_unique<HeadsStage>(std::move(heads), vocabulary.size()));
  if (metre != nullptr) {
    auto stage = std::make_unique<MetreStage>(vocabulary, *metre);
    metre_ = stage.get();
    stages_.push_back(std::move(stage));
  }
}

PoemCursor Constraints::cursor() const {
  PoemCursor cursor(form_);
  if (metre_ != nullptr) cursor.follow_metre(*metre_rule_, form_.line_lengths);
  return cursor;
}

StagePlace Constraints::narrow(const PoemCursor& cursor, const float* raw, float* row) {
  StagePlace place{cursor, std::nullopt, Relaxation::none};
  for (const auto& stage : stages_) stage->narrow(place, raw, row);
  return place;
}

MetreEntry Constraints::entry(int token) const {
  return metre_ != nullptr ? metre_->entry(token) : MetreEntry{};
}

Constraints::~Constraints() = default;

}  // namespace poet
