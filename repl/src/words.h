#pragma once
// Splitting a command line into words.

#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "poet/engine/corpus.h"

namespace poet::repl {

// A command that cannot run; its message is one line, shown to the user as is.
struct CommandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An option a command does not take, as parse_options reports it.
struct UnknownOption : CommandError {
  UnknownOption(std::string option, const std::string& message)
      : CommandError(message), option(std::move(option)) {}
  std::string option;
};

// A command's arguments once its options are taken out: `train --steps 100 --out a.ckpt`.
struct ParsedArgs {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // in the order given
  const std::string* option(std::string_view name) const;    // the last value given, or null
};

// Takes `--name value` pairs for the names in `options` out of `args`; an unknown option throws
// UnknownOption naming it (with the closest known option), one without its value CommandError.
ParsedArgs parse_options(const std::vector<std::string>& args,
                         const std::vector<std::string_view>& options);

// The split an option names (--split test); throws CommandError for another word.
Split split_option(std::string_view name);

// A whole number of type T written out in full ("12", not "12x" or "1e3"), or nothing.
template <typename T>
std::optional<T> whole_number(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Splits on blanks, the way a shell does: '...' and "..." keep blanks inside a word, a backslash
// escapes the next character. Throws CommandError on an unterminated quote.
std::vector<std::string> split_words(std::string_view line);

}  // namespace poet::repl
