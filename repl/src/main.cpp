// poet: the chat-style prompt in front of the engine, and its script mode.

#include <fmt/format.h>
#include <langinfo.h>
#include <unistd.h>

#include <clocale>
#include <cstring>
#include <string_view>

#include "line_reader.h"
#include "poet/engine/runtime.h"
#include "poet/engine/version.h"
#include "shell.h"
#include "terminal.h"
#include "words.h"

namespace {

constexpr std::string_view kUsage =
    "usage: poet [-c COMMAND]... [--bail] [--help] [--version]\n"
    "\n"
    "Writes classical Chinese poems at a '> ' prompt. When standard input is not a terminal, or\n"
    "with -c, poet runs the commands as a script: results on standard output, diagnostics on\n"
    "standard error as 'line N: message', exit status 1 if any command failed.\n"
    "\n"
    "  -c COMMAND  run COMMAND instead of reading standard input (repeatable)\n"
    "  --bail      stop a script at the first command that fails\n"
    "  --help      show this text\n"
    "  --version   show poet's version\n";

struct Options {
  std::vector<std::string> commands;
  bool bail = false;
};

// CJK line editing needs a UTF-8 locale; a bare "C" environment gets C.UTF-8.
void use_utf8_locale() {
  std::setlocale(LC_ALL, "");
  if (std::strcmp(nl_langinfo(CODESET), "UTF-8") != 0) std::setlocale(LC_CTYPE, "C.UTF-8");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace poet::repl;
  use_utf8_locale();

  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-c" && i + 1 < argc) {
      options.commands.emplace_back(argv[++i]);
    } else if (arg == "--bail") {
      options.bail = true;
    } else if (arg == "--help" || arg == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (arg == "--version") {
      fmt::print("poet {}\n", poet::kVersion);
      return 0;
    } else {
      const auto guess = closest_name(arg, {"-c", "--bail", "--help", "--version"});
      fmt::print(stderr, "poet: {} '{}'{}\n{}", arg == "-c" ? "missing command after" : "unknown option",
                 arg, guess && arg != "-c" ? fmt::format(" (did you mean '{}'?)", *guess) : "",
                 kUsage);
      return 2;
    }
  }

  const bool interactive = options.commands.empty() && isatty(STDIN_FILENO);
  Terminal terminal(stdout, stderr, interactive);
  const poet::RuntimeInfo runtime = poet::runtime_info();
  if (const auto warning = poet::runtime_warning(runtime); !warning.empty()) {
    terminal.warning(warning);
  }
  if (interactive) terminal.result(banner(runtime));

  auto reader = !options.commands.empty() ? list_reader(options.commands)
                : interactive             ? prompt_reader()
                                          : stream_reader();
  Shell shell(terminal);
  bool any_failed = false;
  for (int line_number = 1;; ++line_number) {
    const auto line = reader->next();
    if (!line) break;
    terminal.set_line(line_number);
    const Outcome outcome = shell.execute(*line);
    if (outcome == Outcome::quit) break;
    if (outcome == Outcome::failed) {
      any_failed = true;
      if (options.bail && !interactive) break;
    }
  }
  return any_failed && !interactive ? 1 : 0;
}
