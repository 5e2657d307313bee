#include "shell.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "poet/engine/version.h"
#include "poet/engine/names.h"
#include "training.h"
#include "words.h"

namespace poet::repl {
namespace {

const Command* find_command(std::string_view name) {
  const auto& table = command_table();
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const Command& c) { return c.name == name; });
  return it == table.end() ? nullptr : &*it;
}

// A usage line short enough for the command list: its options folded into "[options]".
std::string brief_usage(std::string_view usage) {
  const auto options = usage.find(" [--");
  return options == std::string_view::npos ? std::string(usage) : std::string(usage.substr(0, options)) + " [options]";
}

}  // namespace

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"help", "help [command]", "list the commands, or explain one",
       "With a command's name, shows its usage and what it does.", 0, 1,
       [](Shell& shell, const std::vector<std::string>& args) {
         shell.terminal().result(help_text(args.empty() ? std::string_view() : args[0]));
       }},
      {"model", "model", "show the loaded model: cell, sizes, vocabulary, device, training",
       "Shows the checkpoint file, the architecture, the vocabulary size, the device, the steps it\n"
       "  was trained for and its last validation perplexity.",
       0, 0,
       [](Shell& shell, const std::vector<std::string>&) {
         const auto info = shell.engine().model_info();
         shell.terminal().result(info ? describe_model(*info) : "no model is loaded; try 'load <checkpoint>'");
       }},
      {"load", "load <checkpoint>", "load a checkpoint, replacing the model without restarting",
       "A poem being written finishes on the model it started with; the next one uses the new\n"
       "  model. If the file cannot be loaded, the model loaded before stays.",
       1, 1,
       [](Shell& shell, const std::vector<std::string>& args) {
         shell.terminal().result("loaded " + describe_model(shell.engine().load(args[0])));
       }},
      {"reload", "reload", "load the current checkpoint file again, after training replaced it",
       "", 0, 0,
       [](Shell& shell, const std::vector<std::string>&) {
         shell.terminal().result("reloaded " + describe_model(shell.engine().reload()));
       }},
      {"decoders", "decoders [reload]", "list the decoder plugins and their parameters",
       "Each decoder with its version and parameters (default, accepted values), then any plugin\n"
       "  refused and why. 'decoders reload' loads them all again, picking up a rebuilt plugin.\n"
       "  poet looks beside itself (lib/poet/decoders), in each --plugin-dir, then in\n"
       "  POET_PLUGIN_PATH (folders separated by ':').",
       0, 1,
       [](Shell& shell, const std::vector<std::string>& args) {
         if (!args.empty()) {
           if (args[0] != "reload") throw CommandError("usage: decoders [reload]");
           shell.decoders().reload();
         }
         shell.terminal().result(describe_decoders(shell.decoders()));
       }},
      {"train", kTrainUsage, "train a model from scratch, or resume one exactly where it stopped",
       "--corpus: a prepared corpus or a file of one poem per line (default: the Tang poems);\n"
       "  --resume: continue a checkpoint's run with its optimizer, schedule and data order;\n"
       "  --steps/--epochs: the length of the run; --config: a TOML file (default ./poet.toml);\n"
       "  --out: the checkpoint to write (default model.ckpt, or the resumed one), with the best\n"
       "  kept beside it as NAME.best.ckpt and the loss history as NAME.loss.csv. Ctrl-C stops\n"
       "  training after the current step and saves a checkpoint.",
       0, 12, run_training},
      {"quit", "quit", "leave poet", "Ctrl-D at the prompt, or the end of a script, does the same.",
       0, 0, [](Shell& shell, const std::vector<std::string>&) { shell.request_quit(); }},
  };
  return table;
}

std::vector<std::string_view> command_names() {
  std::vector<std::string_view> names;
  for (const auto& command : command_table()) names.push_back(command.name);
  return names;
}

std::string help_text(std::string_view topic) {
  if (!topic.empty()) {
    const Command* command = find_command(topic);
    if (command == nullptr) {
      throw CommandError(fmt::format("no command '{}'{}", topic, did_you_mean(topic, command_names())));
    }
    std::string text = fmt::format("usage: {}\n  {}", command->usage, command->summary);
    if (!command->details.empty()) text += fmt::format("\n  {}", command->details);
    return text;
  }
  std::size_t width = 0;
  for (const auto& command : command_table()) width = std::max(width, brief_usage(command.usage).size());
  std::string text = "Commands:\n";
  for (const auto& command : command_table()) {
    text += fmt::format("  {:<{}}  {}\n", brief_usage(command.usage), width, command.summary);
  }
  text += "Type 'help <command>' for more about one.";
  return text;
}

std::string describe_decoders(const DecoderSet& decoders) {
  std::string text;
  for (const auto& decoder : decoders.decoders()) {
    std::vector<std::string_view> traits;
    if (decoder->streams()) traits.push_back("streams");
    if (decoder->writes_acrostics()) traits.push_back("writes acrostics");
    text += fmt::format("{} {}  {}{}\n", decoder->name(), decoder->version(), decoder->help(),
                        traits.empty() ? "" : fmt::format(" ({})", fmt::join(traits, ", ")));
    std::size_t width = 0;
    for (const auto& param : decoder->params()) width = std::max(width, param.name.size());
    for (const auto& param : decoder->params()) {
      text += fmt::format("    {:<{}}  {:<6}  {}; {}\n", param.name, width, param.format(param.default_value),
                          param.help, param.accepted());
    }
  }
  if (decoders.decoders().empty()) text += "no decoders loaded\n";
  for (const auto& refused : decoders.refused()) {
    text += fmt::format("refused {}: {}\n", refused.file.string(), refused.reason);
  }
  text.pop_back();
  return text;
}

std::string describe_model(const ModelInfo& info) {
  return fmt::format(
      "{}\n"
      "  model       {}\n"
      "  vocabulary  {} characters (+{} special tokens)\n"
      "  parameters  {}\n"
      "  device      {}\n"
      "  trained     {} steps{}",
      info.file.string(), describe(info.config), info.vocabulary_size - Vocabulary::kSpecialCount,
      Vocabulary::kSpecialCount,
      info.parameters < 100'000 ? std::to_string(info.parameters)
                                : fmt::format("{:.2f}M", static_cast<double>(info.parameters) / 1e6),
      info.device, info.steps_trained,
      info.valid_perplexity ? fmt::format(", validation perplexity {:.2f}", *info.valid_perplexity) : "");
}

std::string banner(const RuntimeInfo& runtime) {
  const std::string device =
      runtime.cuda_devices > 0 ? fmt::format("{} CUDA device(s)", runtime.cuda_devices) : "CPU";
  return fmt::format(
      "poet {}: classical Chinese poems from a character RNN\n"
      "LibTorch {}, {}, {} CPU thread{}, {}\n"
      "Type 'help' for the commands, 'quit' or Ctrl-D to leave.",
      kVersion, runtime.torch_version, runtime.blas.name, runtime.cpu_threads,
      runtime.cpu_threads == 1 ? "" : "s", device);
}

Outcome Shell::execute(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] == '#') return Outcome::ok;
  try {
    const auto words = split_words(line);
    if (words.empty()) return Outcome::ok;
    const Command* command = find_command(words[0]);
    if (command == nullptr) {
      throw CommandError(fmt::format("unknown command '{}'{}; type 'help' for the list", words[0],
                                     did_you_mean(words[0], command_names())));
    }
    const std::vector<std::string> args(words.begin() + 1, words.end());
    if (args.size() < command->min_args || args.size() > command->max_args) {
      throw CommandError(fmt::format("usage: {}", command->usage));
    }
    command->run(*this, args);
  } catch (const std::exception& error) {  // CommandError, or an engine failure: never fatal
    terminal_.error(error.what());
    return Outcome::failed;
  }
  return quit_requested_ ? Outcome::quit : Outcome::ok;
}

}  // namespace poet::repl
