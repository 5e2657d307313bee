#include "poet/engine/model/positions.h"

#include <algorithm>

#include "poet/engine/model/vocabulary.h"

namespace poet {
namespace {

bool is_mark(std::int64_t token, const std::vector<bool>& marks) {
  return token >= 0 && static_cast<std::size_t>(token) < marks.size() &&
         marks[static_cast<std::size_t>(token)];
}

// The rule the metre inputs follow: what gen's default metre rule asks, in the classical book.
const MetreRule& input_rule() {
  static const MetreRule rule{nullptr, RhymeBook::pingshui, RhymeMode::automatic, -1, ToneMode::loose};
  return rule;
}

constexpr int kPingshui = static_cast<int>(RhymeBook::pingshui);

}  // namespace

void PositionInputs::append_to(std::vector<std::int64_t>& row, bool metre) const {
  row.insert(row.end(), {column, left, line});
  if (metre) row.insert(row.end(), {tone, rhyme});
}

std::vector<bool> mark_tokens(const Vocabulary& vocabulary) {
  std::vector<bool> marks(static_cast<std::size_t>(vocabulary.size()), false);
  for (const int token : vocabulary.punctuation_tokens()) marks[static_cast<std::size_t>(token)] = true;
  return marks;
}

std::vector<MetreEntry> token_metre(const Vocabulary& vocabulary, const MetreLexicon& lexicon) {
  std::vector<MetreEntry> metre(static_cast<std::size_t>(vocabulary.size()));
  for (int token = Vocabulary::kSpecialCount; token < vocabulary.size(); ++token) {
    const MetreEntry entry = lexicon.entry(vocabulary.character(token));
    auto& kept = metre[static_cast<std::size_t>(token)];
    kept.tone[kPingshui] = entry.tone[kPingshui];
    kept.groups[kPingshui] = entry.groups[kPingshui];
  }
  return metre;
}

PositionInputs PositionTracker::feed(std::int64_t token, const FormTables& tables) {
  if (token == Vocabulary::kStart) {
    cursor_ = PoemCursor();
    if (!tables.metre.empty()) cursor_.follow_metre(input_rule(), {5, 7});
  } else if (is_mark(token, tables.marks)) {
    cursor_.add_mark(U'，');  // which mark does not matter where no form is kept
  } else if (token != Vocabulary::kEnd && token != Vocabulary::kPad) {
    // A character, <unk> included. The metre compares characters only for identity (a rhyme used
    // twice), so the token stands for its character.
    const auto t = static_cast<std::size_t>(token);
    cursor_.add_character(static_cast<char32_t>(token),
                          t < tables.metre.size() ? tables.metre[t] : MetreEntry{});
  }
  const int line = cursor_.line(), column = cursor_.column(), first = cursor_.first_length();
  PositionInputs inputs;
  inputs.column = std::min(column, PositionInputs::kCap);
  inputs.line = std::min(line, PositionInputs::kCap);
  if (lines_alike_ && line > 0 && first > 0 && column <= first) {
    inputs.left = 1 + std::min(first - column, PositionInputs::kCap);
  }
  const MetreCursor* metre = cursor_.metre();
  if (metre != nullptr && lines_alike_ && token != Vocabulary::kEnd) {
    const MetreCursor::Next next = metre->next(line, column);
    inputs.tone = static_cast<int>(next.tones);
    if (next.rhyme) inputs.rhyme = metre->group() ? 2 + *metre->group() : 1;
  }
  return inputs;
}

bool lines_alike(const std::vector<std::int64_t>& tokens, const std::vector<bool>& marks) {
  int first = -1, column = 0;
  for (const auto token : tokens) {
    if (is_mark(token, marks)) {
      if (first < 0) first = column;
      if (column != first) return false;
      column = 0;
    } else if (!Vocabulary::is_special(static_cast<int>(token)) || token == Vocabulary::kUnk) {
      ++column;
    }
  }
  return first > 0;
}

std::vector<PositionInputs> poem_positions(const std::vector<std::int64_t>& tokens,
                                           const FormTables& tables) {
  PositionTracker tracker(lines_alike(tokens, tables.marks));
  std::vector<PositionInputs> positions;
  positions.reserve(tokens.size());
  for (const auto token : tokens) positions.push_back(tracker.feed(token, tables));
  return positions;
}

}  // namespace poet
