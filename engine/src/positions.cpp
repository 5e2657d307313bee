#include "poet/engine/positions.h"

#include <algorithm>

#include "poet/engine/vocabulary.h"

namespace poet {
namespace {

bool is_mark(std::int64_t token, const std::vector<bool>& marks) {
  return token >= 0 && static_cast<std::size_t>(token) < marks.size() &&
         marks[static_cast<std::size_t>(token)];
}

}  // namespace

std::vector<bool> mark_tokens(const Vocabulary& vocabulary) {
  std::vector<bool> marks(static_cast<std::size_t>(vocabulary.size()), false);
  for (const int token : vocabulary.punctuation_tokens()) marks[static_cast<std::size_t>(token)] = true;
  return marks;
}

PositionInputs PositionTracker::feed(std::int64_t token, const std::vector<bool>& marks) {
  if (token == Vocabulary::kStart) {
    line_ = column_ = first_length_ = 0;
  } else if (is_mark(token, marks)) {
    if (line_ == 0) first_length_ = column_;
    ++line_;
    column_ = 0;
  } else if (token != Vocabulary::kEnd && token != Vocabulary::kPad) {
    ++column_;  // a character, <unk> included
  }
  PositionInputs inputs;
  inputs.column = std::min(column_, PositionInputs::kCap);
  inputs.line = std::min(line_, PositionInputs::kCap);
  if (lines_alike_ && line_ > 0 && first_length_ > 0 && column_ <= first_length_) {
    inputs.left = 1 + std::min(first_length_ - column_, PositionInputs::kCap);
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
                                           const std::vector<bool>& marks) {
  PositionTracker tracker(lines_alike(tokens, marks));
  std::vector<PositionInputs> positions;
  positions.reserve(tokens.size());
  for (const auto token : tokens) positions.push_back(tracker.feed(token, marks));
  return positions;
}

}  // namespace poet
