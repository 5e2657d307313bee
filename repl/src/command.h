#pragma once
// A command as the prompt knows it, declared once in one row of the command table: its name, its
// arguments, each option with its value and one help line, and its handler. Parsing, usage,
// `help` and Tab completion all derive from the row, so no option is spelled twice.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace poet::repl {

class Shell;

// Candidates for the word being completed, given the words before it (the command's name first);
// nullopt: file names.
using Candidates = std::optional<std::vector<std::string>>;
using Completer = std::function<Candidates(Shell& shell, const std::vector<std::string>& before)>;

// Every option takes a value: `--steps 100`, `-n 3`.
struct Option {
  std::string_view name;   // "--steps", or "-n"
  std::string_view value;  // what it takes, as usage shows it: "N", "FILE", "auto|off|GROUP"
  std::string_view help;   // one line
  Completer values{};      // its values for Tab; empty: none to offer
};

// A command's words once its options are taken out.
struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // in the order given
  const std::string* option(std::string_view name) const;    // the last value given, or null
};

struct Command {
  std::string_view name;
  std::string_view arguments;  // as usage shows them: "<start>", "[command]"
  std::size_t min_args = 0;
  std::size_t max_args = 0;
  std::string_view summary;  // one line for the list of commands
  std::string_view details{};  // the rest of `help <command>`; may be empty
  std::vector<Option> options{};
  // Writes its replies through shell.terminal(); throws poet::Error when it fails.
  void (*run)(Shell& shell, const Args& args) = nullptr;
  Completer complete_arguments{};  // its positional arguments; empty: nothing to offer
  // Set for a command that also takes a decoder's parameters and aliases as options (--PARAM
  // VALUE), which its handler checks against the decoder it writes with. For Tab: after such an
  // option, its values; elsewhere, the names of those the decoder takes.
  Completer decoder_options{};
};

// "gen <start> [--decoder NAME] ... [--PARAM VALUE]".
std::string usage(const Command& command);
// What `help <command>` shows: the usage, the summary, one line per option, the details.
std::string help(const Command& command);
// Takes the command's options (with their values) out of `words`, which follow its name; throws
// Error::input for an unknown option (naming the closest), one without its value, or the wrong
// number of arguments. A command with decoder options keeps every --NAME VALUE it does not know.
Args parse_args(const Command& command, const std::vector<std::string>& words);
// Tab completion of the word after `before` for this command.
Candidates complete(const Command& command, Shell& shell, const std::vector<std::string>& before);

}  // namespace poet::repl
