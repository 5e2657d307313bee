#include "poet/engine/text/names.h"

#include <algorithm>

namespace poet {
namespace {

// Optimal string alignment distance: Levenshtein plus transposition of neighbours.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string> closest_name(std::string_view typed,
                                        const std::vector<std::string_view>& candidates) {
  // Up to two edits for longer words, one for short ones: "hlep" finds "help", "x" finds nothing.
  const std::size_t allowed = std::clamp<std::size_t>(typed.size() / 2, 1, 2);
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const auto candidate : candidates) {
    // The distance is at least the difference in length: a word typed far longer than every name
    // (a stray megabyte on a script's line) is no match, without a table of its length.
    const std::size_t shorter = std::min(typed.size(), candidate.size());
    if (std::max(typed.size(), candidate.size()) - shorter > allowed) continue;
    const std::size_t distance = edit_distance(typed, candidate);
    if (distance < best_distance && distance < candidate.size()) {
      best = std::string(candidate);
      best_distance = distance;
      if (distance == 0) break;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view typed, const std::vector<std::string_view>& candidates) {
  const auto guess = closest_name(typed, candidates);
  return guess ? " (did you mean '" + *guess + "'?)" : std::string();
}

}  // namespace poet
