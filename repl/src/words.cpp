#include "words.h"

#include <fmt/format.h>

#include <algorithm>

#include "poet/engine/names.h"


namespace poet::repl {

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
        word += line[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) throw CommandError(std::string("unterminated ") + quote + " quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

const std::string* ParsedArgs::option(std::string_view name) const {
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

ParsedArgs parse_options(const std::vector<std::string>& args, const std::vector<std::string_view>& options) {
  ParsedArgs parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      parsed.positional.push_back(arg);
      continue;
    }
    if (std::find(options.begin(), options.end(), arg) == options.end()) {
      throw UnknownOption(arg, "unknown option '" + arg + "'" + did_you_mean(arg, options));
    }
    if (i + 1 == args.size()) throw CommandError("missing value after '" + arg + "'");
    parsed.options.emplace_back(arg, args[++i]);
  }
  return parsed;
}

Split split_option(std::string_view name) {
  const auto split = parse_split(name);
  if (!split) throw CommandError(fmt::format("unknown split '{}': use train, valid or test", name));
  return *split;
}

}  // namespace poet::repl
