#include "command.h"

#include <fmt/format.h>

#include <algorithm>

#include "poet/engine/error.h"
#include "poet/engine/text/names.h"

namespace poet::repl {
namespace {

const Option* find_option(const Command& command, std::string_view name) {
  const auto it = std::find_if(command.options.begin(), command.options.end(),
                               [&](const Option& option) { return option.name == name; });
  return it == command.options.end() ? nullptr : &*it;
}

std::vector<std::string_view> option_names(const Command& command) {
  std::vector<std::string_view> names;
  for (const Option& option : command.options) names.push_back(option.name);
  return names;
}

}  // namespace

const std::string* Args::option(std::string_view name) const {
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

std::string usage(const Command& command) {
  std::string text(command.name);
  if (!command.arguments.empty()) text += fmt::format(" {}", command.arguments);
  for (const Option& option : command.options)
    text += fmt::format(" [{} {}]", option.name, option.value);
  if (command.decoder_options) text += " [--PARAM VALUE]";
  return text;
}

std::string help(const Command& command) {
  std::string text = fmt::format("usage: {}\n  {}", usage(command), command.summary);
  std::size_t width = 0;
  for (const Option& option : command.options)
    width = std::max(width, option.name.size() + option.value.size() + 1);
  for (const Option& option : command.options) {
    text += fmt::format("\n  {:<{}}  {}", fmt::format("{} {}", option.name, option.value), width,
                        option.help);
  }
  if (command.decoder_options) {
    text +=
        fmt::format("\n  {:<{}}  {}", "--PARAM VALUE", width,
                    "a parameter of the decoder, or an alias one declares ('decoders' lists them)");
  }
  if (!command.details.empty()) text += fmt::format("\n  {}", command.details);
  return text;
}

Args parse_args(const Command& command, const std::vector<std::string>& words) {
  Args args;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    // "-n" is an option, "-1" a value.
    if (word.size() < 2 || word[0] != '-' || (word[1] >= '0' && word[1] <= '9') || word[1] == '.') {
      args.positional.push_back(word);
      continue;
    }
    const bool for_the_decoder = command.decoder_options && word.rfind("--", 0) == 0;
    if (find_option(command, word) == nullptr && !for_the_decoder) {
      throw Error::input(
          fmt::format("unknown option '{}'{}", word, did_you_mean(word, option_names(command))));
    }
    if (i + 1 == words.size()) throw Error::input(fmt::format("missing value after '{}'", word));
    args.options.emplace_back(word, words[++i]);
  }
  if (args.positional.size() < command.min_args || args.positional.size() > command.max_args)
    throw Error::input(fmt::format("usage: {}", usage(command)));
  return args;
}

Candidates complete(const Command& command, Shell& shell, const std::vector<std::string>& before) {
  const std::string& last = before.back();
  if (const Option* option = find_option(command, last)) {
    return option->values ? option->values(shell, before) : std::vector<std::string>{};
  }
  if (command.decoder_options && last.rfind("--", 0) == 0)
    return command.decoder_options(shell, before);
  std::size_t positional = 0;
  for (std::size_t i = 1; i < before.size(); ++i) {
    if (before[i].rfind("-", 0) == 0 && before[i].size() > 1) {
      ++i;  // its value
    } else {
      ++positional;
    }
  }
  std::vector<std::string> candidates;
  if (positional < command.max_args && command.complete_arguments) {
    const Candidates arguments = command.complete_arguments(shell, before);
    if (!arguments) return std::nullopt;
    candidates = *arguments;
  }
  if (positional >= command.min_args || positional > 0) {
    for (const Option& option : command.options) candidates.emplace_back(option.name);
    if (command.decoder_options) {
      const Candidates more = command.decoder_options(shell, before);
      if (more) candidates.insert(candidates.end(), more->begin(), more->end());
    }
  }
  return candidates;
}

}  // namespace poet::repl
