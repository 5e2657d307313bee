#pragma once
// Splitting a command line into words.

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

}  // namespace poet::repl
