#pragma once
// Splitting a command line into words, and finding the name a user probably meant.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace poet::repl {

// A command that cannot run; its message is one line, shown to the user as is.
struct CommandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Splits on blanks, the way a shell does: '...' and "..." keep blanks inside a word, a backslash
// escapes the next character. Throws CommandError on an unterminated quote.
std::vector<std::string> split_words(std::string_view line);

// The candidate closest to `typed` by edit distance (a swap of neighbours counts as one edit),
// if it is close enough to be a likely typo.
std::optional<std::string> closest_name(std::string_view typed,
                                        const std::vector<std::string_view>& candidates);

}  // namespace poet::repl
