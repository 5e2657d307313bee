// poet: the chat-style prompt in front of the engine, and its script mode.

#include <fmt/format.h>
#include <langinfo.h>
#include <unistd.h>

#include <clocale>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <variant>

#include "bundled.h"
#include "generation_settings.h"
#include "interrupt.h"
#include "line_reader.h"
#include "models.h"
#include "poet/engine/config/config.h"
#include "poet/engine/files/limits.h"
#include "poet/engine/model/engine.h"
#include "poet/engine/model/runtime.h"
#include "poet/engine/plugins/decoders.h"
#include "poet/engine/text/names.h"
#include "poet/engine/version.h"
#include "shell.h"
#include "terminal.h"
#include "training.h"
#include "words.h"

namespace {

constexpr std::string_view kUsage =
    "usage: poet [--model CHECKPOINT | --no-model] [--config FILE] [--device auto|cpu|cuda]\n"
    "            [--plugin-dir DIR]... [--json] [-c COMMAND]... [--bail]\n"
    "\n"
    "Writes classical Chinese poems at a '> ' prompt. When standard input is not a terminal, or\n"
    "with -c, poet runs the commands as a script: results on standard output, diagnostics on\n"
    "standard error as 'input line N: message', exit status 1 if any command failed.\n"
    "\n"
    "  --model CHECKPOINT  load this checkpoint at start instead of the bundled Tang model\n"
    "  --no-model          start with no model loaded\n"
    "  --config FILE       the configuration (default: poet.toml here, if there is one): its\n"
    "                      [plugins] now, its [model] and [train] for 'train'\n"
    "  --device DEVICE     where the model runs: auto (a GPU if LibTorch sees one), cpu, cuda\n"
    "  --plugin-dir DIR    also load the decoder plugins in DIR (repeatable)\n"
    "  --json              print each result as one JSON object per line (JSON Lines)\n"
    "  -c COMMAND          run COMMAND instead of reading standard input (repeatable)\n"
    "  --bail              stop a script at the first command that fails\n"
    "  --help              show this text\n"
    "  --version           show poet's version\n";

using poet::repl::LineReader;
using poet::repl::model_reply;
using poet::repl::Outcome;
using poet::repl::reserved_option_names;
using poet::repl::Shell;
using poet::repl::Terminal;

struct Options {
  std::vector<std::string> commands;
  std::optional<std::filesystem::path> model = poet::repl::bundled_model();
  bool model_given = false;
  std::vector<std::filesystem::path> plugin_dirs;
  std::optional<std::filesystem::path> config;
  poet::DeviceChoice device = poet::DeviceChoice::automatic;
  bool bail = false;
  bool json = false;
};

int usage_error(const std::string& message) {
  fmt::print(stderr, "poet: {}\n{}", message, kUsage);
  return 2;
}

// CJK line editing needs a UTF-8 locale; a bare "C" environment gets C.UTF-8.
void use_utf8_locale() {
  std::setlocale(LC_ALL, "");
  if (std::strcmp(nl_langinfo(CODESET), "UTF-8") != 0) std::setlocale(LC_CTYPE, "C.UTF-8");
}

// The command line, or the exit status when it says all there is to do (--help, --version, a
// mistake).
std::variant<Options, int> parse_command_line(int argc, char** argv) {
  static const std::vector<std::string_view> kOptions{
      "-c",           "--model", "--no-model", "--config", "--device",
      "--plugin-dir", "--json",  "--bail",     "--help",   "--version"};
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool takes_value = arg == "-c" || arg == "--model" || arg == "--config" ||
                             arg == "--device" || arg == "--plugin-dir";
    if (takes_value && i + 1 == argc)
      return usage_error(fmt::format("missing value after '{}'", arg));
    if (arg == "-c") {
      options.commands.emplace_back(argv[++i]);
    } else if (arg == "--model") {
      options.model = argv[++i];
      options.model_given = true;
    } else if (arg == "--config") {
      options.config = argv[++i];
    } else if (arg == "--no-model") {
      options.model.reset();
    } else if (arg == "--device") {
      const auto device = poet::parse_device(argv[++i]);
      if (!device)
        return usage_error(fmt::format("unknown device '{}': use auto, cpu or cuda", argv[i]));
      options.device = *device;
    } else if (arg == "--plugin-dir") {
      options.plugin_dirs.emplace_back(argv[++i]);
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--bail") {
      options.bail = true;
    } else if (arg == "--help" || arg == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (arg == "--version") {
      fmt::print("poet {}\n", poet::kVersion);
      return 0;
    } else {
      return usage_error(
          fmt::format("unknown option '{}'{}", arg, poet::did_you_mean(arg, kOptions)));
    }
  }
  return options;
}

// Loads the model poet starts with; false when one was asked for and could not be loaded.
bool load_first_model(poet::Engine& engine, const Options& options, Terminal& terminal) {
  if (!options.model) return true;
  if (!options.model_given && !std::filesystem::exists(*options.model)) {
    terminal.warning(fmt::format("the bundled model {} is missing: 'load' or 'train' one",
                                 options.model->string()));
    return true;
  }
  try {
    const auto info = engine.load(*options.model);
    if (terminal.interactive()) terminal.result(model_reply(info, "loaded").text);
    return true;
  } catch (const std::exception& error) {
    terminal.error(error.what());
    return false;
  }
}

// The configuration file in force: --config, or poet.toml here if there is one.
std::optional<std::filesystem::path> config_file_of(const Options& options) {
  if (options.config) return options.config;
  if (std::filesystem::exists("poet.toml")) return std::filesystem::path("poet.toml");
  return std::nullopt;
}

// The decoder plugins, run as the configuration's [plugins] says; `failed` is set when it cannot
// be read.
poet::DecoderSet load_decoders(const Options& options,
                               const std::optional<std::filesystem::path>& config_file,
                               Terminal& terminal, bool& failed) {
  poet::PluginPolicy plugins{{}, 1, poet::decoder_runner()};
  if (config_file) {
    try {
      plugins.config = poet::load_config(*config_file).plugins;
    } catch (const std::exception& error) {
      // Nothing of a file with a mistake is used: say so, lest its other settings seem in force.
      const poet::IsolationLimits defaults;
      terminal.error(fmt::format(
          "{}; none of {} is in force: plugins run with the defaults (memory_limit {}, "
          "silence_limit {} s), and train refuses the file until it is mended",
          error.what(), config_file->string(), poet::describe_bytes(defaults.memory_bytes),
          defaults.silence.count() / 1000));
      failed = true;
    }
  }
  poet::DecoderSet decoders(poet::decoder_folders(options.plugin_dirs), std::move(plugins),
                            reserved_option_names());
  for (const auto& refused : decoders.refused())
    terminal.warning(
        fmt::format("decoder plugin {} refused: {}", refused.file.string(), refused.reason));
  return decoders;
}

// Runs the lines the reader gives until the end, `quit` or, with --bail in a script, a failure;
// whether any failed.
bool run_lines(Shell& shell, LineReader& reader, Terminal& terminal, bool bail) {
  bool any_failed = false;
  for (int line_number = 1;; ++line_number) {
    shell.notices().flush(terminal);
    const auto line = reader.next();
    if (!line) break;
    terminal.set_line(line_number);
    const Outcome outcome = shell.execute(*line);
    if (outcome == Outcome::quit) break;
    if (outcome == Outcome::failed) {
      any_failed = true;
      if (bail && !terminal.interactive()) break;
    }
  }
  return any_failed;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace poet::repl;
  use_utf8_locale();
  // A worker that `train --workers N` started: no prompt, no model, no plugins.
  if (argc > 1 && std::string_view(argv[1]) == "--train-worker")
    return train_worker(std::vector<std::string>(argv + 2, argv + argc));
  const auto parsed = parse_command_line(argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const Options& options = std::get<Options>(parsed);

  std::optional<poet::Engine> engine;
  try {
    engine.emplace(options.device);
  } catch (const std::exception& error) {
    fmt::print(stderr, "poet: {}\n", error.what());
    return 2;
  }
  const bool interactive = options.commands.empty() && isatty(STDIN_FILENO);
  Terminal terminal(stdout, stderr, interactive);
  terminal.set_json(options.json);
  // At the prompt, Ctrl-C stops the running command and never poet.
  std::optional<InterruptScope> interrupt;
  if (interactive) interrupt.emplace();
  const poet::RuntimeInfo runtime = poet::runtime_info();
  if (const auto warning = poet::runtime_warning(runtime); !warning.empty())
    terminal.warning(warning);
  if (interactive) terminal.result(banner(runtime));
  bool any_failed = !load_first_model(*engine, options, terminal);
  // The plugins' isolation comes from the configuration; [model] and [train] are read by `train`.
  const auto config_file = config_file_of(options);
  poet::DecoderSet decoders = load_decoders(options, config_file, terminal, any_failed);

  Shell shell(terminal, *engine, decoders, config_file);
  auto reader = !options.commands.empty() ? list_reader(options.commands)
                : interactive             ? prompt_reader(shell)
                                          : stream_reader();
  any_failed = run_lines(shell, *reader, terminal, options.bail) || any_failed;
  return any_failed && !interactive ? 1 : 0;
}
