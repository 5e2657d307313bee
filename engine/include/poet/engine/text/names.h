#pragma once
// Finding the name a user probably meant, for "did you mean" in every error about a name.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poet {

// The candidate closest to `typed` by edit distance (a swap of neighbours counts as one edit),
// if it is close enough to be a likely typo.
std::optional<std::string> closest_name(std::string_view typed,
                                        const std::vector<std::string_view>& candidates);

// " (did you mean 'help'?)" or "".
std::string did_you_mean(std::string_view typed, const std::vector<std::string_view>& candidates);

}  // namespace poet
