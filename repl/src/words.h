#pragma once
// Splitting a command line into words.

#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "poet/engine/error.h"
#include "poet/engine/files/corpus.h"

namespace poet::repl {

// The split an option names (--split test); throws Error::input for another word.
Split split_option(std::string_view name);

// A whole number of type T written out in full ("12", not "12x" or "1e3"), or nothing.
template <typename T>
std::optional<T> whole_number(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// An option's whole number of at least `least`; throws Error::input saying what it must be.
template <typename T>
T whole_at_least(const std::string& text, std::string_view option, T least) {
  const auto value = whole_number<T>(text);
  if (!value || *value < least) {
    throw Error::input(least == 1 ? std::string(option) + " must be a positive whole number, not '" +
                                        text + "'"
                                  : std::string(option) + " must be a whole number from " +
                                        std::to_string(least) + ", not '" + text + "'");
  }
  return *value;
}

// A perplexity for people: two decimals, or three significant digits past a million (a run that
// diverges reaches 1e+160, which would print as 161 digits).
std::string perplexity_text(double perplexity);

// Splits on blanks, the way a shell does: '...' and "..." keep blanks inside a word, a backslash
// escapes the next character. Throws Error::input on an unterminated quote.
std::vector<std::string> split_words(std::string_view line);

}  // namespace poet::repl
