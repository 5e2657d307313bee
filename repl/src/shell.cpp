#include "shell.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "bundled.h"
#include "check.h"
#include "interrupt.h"
#include "poems.h"
#include "poet/engine/names.h"
#include "poet/engine/version.h"
#include "training.h"
#include "words.h"

namespace poet::repl {
namespace {

const Command* find_command(std::string_view name) {
  const auto& table = command_table();
  const auto it =
      std::find_if(table.begin(), table.end(), [&](const Command& c) { return c.name == name; });
  return it == table.end() ? nullptr : &*it;
}

// A usage line short enough for the command list: its options folded into "[options]".
std::string brief_usage(std::string_view usage) {
  const auto options = usage.find(" [--");
  return options == std::string_view::npos ? std::string(usage)
                                           : std::string(usage.substr(0, options)) + " [options]";
}

}  // namespace

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"help", "help [command]", "list the commands, or explain one",
       "With a command's name, shows its usage and what it does.", 0, 1,
       [](Shell& shell, const std::vector<std::string>& args) {
         shell.terminal().result(help_text(args.empty() ? std::string_view() : args[0]));
       },
       [](Shell&,
          const std::vector<std::string>& before) -> std::optional<std::vector<std::string>> {
         if (before.size() != 1) return std::vector<std::string>{};
         const auto names = command_names();
         return std::vector<std::string>(names.begin(), names.end());
       }},
      {"gen", kGenUsage, "write a poem that begins with <start>",
       "--decoder: the decoder to write with (default: the one 'use' chose); --form: 五绝, 七绝,\n"
       "  五律, 七律 (or 5x4, 7x4, 5x8, 7x8), auto (the first line picks 4 or 8 lines of 5 or 7) "
       "or\n"
       "  free; --rhyme: auto (the first rhyme picks the group; no rhyme character twice), off, or\n"
       "  a group such as 东 or 七阳; --tones: loose (positions 2, 4, 6 and line ends keep the\n"
       "  pattern, and no 孤平 or 三平尾), strict (every position) or off; --rhyme-book: 平水韵\n"
       "  (default) or 中华新韵; when nothing fits, the rule gives way and says where;\n"
       "  free poems have no metre; --mood: a line read into the model first to set the mood, not\n"
       "  printed; --seed: the same seed writes the same poem; -n: how many poems; --beam N: beam\n"
       "  search of width N;\n"
       "  --PARAM VALUE: any parameter of the decoder, e.g. --temperature 0.8 (see 'decoders').\n"
       "  Ctrl-C stops the poem being written.",
       1, 40, run_gen, complete_poem},
      {"acrostic", kAcrosticUsage, "write a 藏头诗: line i begins with the i-th of <heads>",
       "One line per head character, in the form given (its line count must match) or, by\n"
       "  default, lines of 5 or 7 as the first line goes. Writes with the 'acrostic' decoder,\n"
       "  whose --inner strategy (greedy, sample or beam) writes the rest of each line; the other\n"
       "  options are gen's.",
       1, 40, run_acrostic, complete_poem},
      {"use", "use <decoder>", "choose the decoder gen writes with", "'decoders' lists them.", 1, 1,
       run_use, complete_use},
      {"set", "set <key> <value>", "change a generation setting or decoder parameter",
       "Keys: form, rhyme, tones, rhyme-book (as gen's options), seed (a number, or random),\n"
       "  count (poems per gen), any parameter of the\n"
       "  current decoder (set temperature 0.8), or DECODER.PARAM for another (set beam.width 4).\n"
       "  A value outside the parameter's range is refused.",
       2, 2, run_set, complete_set},
      {"settings", "settings", "show the generation settings", "", 0, 0, run_settings},
      {"model", "model", "show the loaded model: cell, sizes, vocabulary, device, training",
       "Shows the checkpoint file, the architecture, the vocabulary size, the device, the steps "
       "it\n"
       "  was trained for and its last validation perplexity.",
       0, 0,
       [](Shell& shell, const std::vector<std::string>&) {
         const auto info = shell.engine().model_info();
         shell.terminal().result(info ? describe_model(*info)
                                      : "no model is loaded; try 'load <checkpoint>'");
       }},
      {"load", "load <checkpoint>", "load a checkpoint, replacing the model without restarting",
       "A poem being written finishes on the model it started with; the next one uses the new\n"
       "  model. If the file cannot be loaded, the model loaded before stays.",
       1, 1,
       [](Shell& shell, const std::vector<std::string>& args) {
         shell.terminal().result("loaded " + describe_model(shell.engine().load(args[0], &interrupted())));
       }},
      {"reload", "reload", "load the current checkpoint file again, after training replaced it", "",
       0, 0,
       [](Shell& shell, const std::vector<std::string>&) {
         shell.terminal().result("reloaded " + describe_model(shell.engine().reload(&interrupted())));
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
       },
       [](Shell&,
          const std::vector<std::string>& before) -> std::optional<std::vector<std::string>> {
         return before.size() == 1 ? std::vector<std::string>{"reload"}
                                   : std::vector<std::string>{};
       }},
      {"train", kTrainUsage,
       "train a model in the background, or resume one exactly where it stopped",
       "--corpus: a prepared corpus or a file of one poem per line (default: the Tang poems);\n"
       "  --resume: continue a checkpoint's run with its optimizer, schedule and data order;\n"
       "  --from: a new run from a checkpoint's weights and vocabulary, inputs the config adds\n"
       "  (metre_inputs, say) starting at zero;\n"
       "  --steps/--epochs: the length of the run; --config: a TOML file (default ./poet.toml);\n"
       "  --out: the checkpoint to write (default model.ckpt, or the resumed one), with the best\n"
       "  kept beside it as NAME.best.ckpt and the loss history as NAME.loss.csv. At the prompt "
       "the\n"
       "  run goes on in the background: 'train status' shows it, 'loss' charts it, 'train stop'\n"
       "  stops it after the current step with a checkpoint, and a notice says when a checkpoint\n"
       "  is written ('set autoreload on' loads each one). In a script, train runs to the end\n"
       "  before the next line, and Ctrl-C stops it with a checkpoint.\n"
       "  --workers N: train on N processes of this machine, each taking a share of every batch;\n"
       "  --rank/--world-size/--store: one of the processes of a run across machines, meeting\n"
       "  rank 0 at HOST:PORT (rank 0 reads the corpus and writes the checkpoints; the others\n"
       "  take the run from it); --timeout: how long to wait for a worker (default 60 s).",
       0, 24, run_training, complete_training},
      {"eval", "eval <file> [--split train|valid|test]",
       "the loaded model's perplexity on a file of poems",
       "Per character (and end of poem), as training measures validation: lower is better, and\n"
       "  the way to compare models. The file is a prepared corpus or one poem per line; --split\n"
       "  takes only that split's poems (a prepared corpus records them; for other files they are\n"
       "  drawn from each poem's text, as for training).",
       1, 3, run_eval,
       [](Shell&,
          const std::vector<std::string>& before) -> std::optional<std::vector<std::string>> {
         if (before.back() == "--split") return std::vector<std::string>{"train", "valid", "test"};
         if (before.size() == 1) return std::nullopt;
         return std::vector<std::string>{"--split"};
       }},
      {"check", kCheckUsage, "a poem's form, tones (平仄) and rhymes against the rules of regulated verse",
       "Shows each line's tones (平 level, 仄 oblique, 中 either, ？ unknown), the standard pattern\n"
       "  the poem follows best (平起 or 仄起, first line rhyming or not), its rhyme group and each\n"
       "  fault: a tone at position 2, 4 or 6 or a line's end against the pattern, 孤平, 三平尾, a\n"
       "  rhyme outside the group, a rhyme character used twice; positions 1, 3 and 5 are free.\n"
       "  --file checks every poem of a file (either corpus format; --split takes one split) and\n"
       "  sums them up; --rhyme-book 中华新韵 judges by Mandarin (default: the 'set' value).",
       1, 40, run_check, complete_check},
      {"export", "export <checkpoint> <file>",
       "write a checkpoint's model for generation only: a smaller file",
       "The model, vocabulary and loss history, without the optimizer's state that resuming\n"
       "  needs (with Adam, two thirds of a training checkpoint). The file loads like any other\n"
       "  and writes the same poems; 'train --resume' refuses it.",
       2, 2, run_export},
      {"loss", "loss [--csv FILE]",
       "chart how the loaded model was trained: loss and validation perplexity",
       "The training loss and the validation perplexity over the steps, as the checkpoint records\n"
       "  them, with the last values; --csv FILE writes the history out instead (step, epoch, "
       "loss,\n"
       "  perplexity, wall time, chars/s).",
       0, 2, run_loss,
       [](Shell&,
          const std::vector<std::string>& before) -> std::optional<std::vector<std::string>> {
         if (before.back() == "--csv") return std::nullopt;
         return std::vector<std::string>{"--csv"};
       }},
      {"quit", "quit", "leave poet", "Ctrl-D at the prompt, or the end of a script, does the same.",
       0, 0, [](Shell& shell, const std::vector<std::string>&) { shell.request_quit(); }},
  };
  return table;
}

std::optional<std::vector<std::string>> completions(Shell& shell, std::string_view before) {
  std::vector<std::string> words;
  try {
    words = split_words(before);
  } catch (const CommandError&) {
    return std::vector<std::string>{};  // inside an open quote
  }
  if (words.empty()) {
    const auto names = command_names();
    return std::vector<std::string>(names.begin(), names.end());
  }
  const Command* command = find_command(words[0]);
  if (command == nullptr) return std::vector<std::string>{};
  if (command->complete == nullptr) return std::nullopt;
  return command->complete(shell, words);
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
      throw CommandError(
          fmt::format("no command '{}'{}", topic, did_you_mean(topic, command_names())));
    }
    std::string text = fmt::format("usage: {}\n  {}", command->usage, command->summary);
    if (!command->details.empty()) text += fmt::format("\n  {}", command->details);
    return text;
  }
  std::size_t width = 0;
  for (const auto& command : command_table())
    width = std::max(width, brief_usage(command.usage).size());
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
    if (decoder->isolated()) traits.push_back("isolated");
    text += fmt::format("{} {}  {}{}\n", decoder->name(), decoder->version(), decoder->help(),
                        traits.empty() ? "" : fmt::format(" ({})", fmt::join(traits, ", ")));
    std::size_t width = 0;
    for (const auto& param : decoder->params()) width = std::max(width, param.name.size());
    for (const auto& param : decoder->params()) {
      text += fmt::format("    {:<{}}  {:<6}  {}; {}\n", param.name, width,
                          param.format(param.default_value), param.help, param.accepted());
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
      info.parameters < 100'000
          ? std::to_string(info.parameters)
          : fmt::format("{:.2f}M", static_cast<double>(info.parameters) / 1e6),
      info.device, info.steps_trained,
      info.valid_perplexity ? fmt::format(", validation perplexity {:.2f}{}", *info.valid_perplexity,
                                          info.config.metre_inputs ? " (reading its metre inputs)" : "")
                            : "");
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

Shell::Shell(Terminal& terminal, Engine& engine, DecoderSet& decoders,
             std::optional<std::filesystem::path> config_file)
    : terminal_(terminal), engine_(engine), decoders_(decoders), config_file_(std::move(config_file)) {}

const MetreLexicon& Shell::metre_lexicon() {
  if (!metre_lexicon_) metre_lexicon_ = MetreLexicon::read(bundled_metre());
  return *metre_lexicon_;
}

Shell::~Shell() {
  if (training_ && training_->running())
    terminal_.note("stopping the training run, with a checkpoint...");
  training_.reset();
  engine_.stop_watching();  // its listener posts to notices_
  notices_.flush(terminal_);
}

Outcome Shell::execute(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] == '#') return Outcome::ok;
  try {
    // No command needs more, and every character of a line costs memory as the model reads it.
    if (line.size() > kLongestLine) {
      throw CommandError(fmt::format("the line is longer than {} bytes, the most poet takes", kLongestLine));
    }
    // A NUL or another control character is never part of a command, and would garble messages.
    if (const auto control = std::find_if(line.begin(), line.end(),
                                          [](char c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f; });
        control != line.end()) {
      throw CommandError(fmt::format("the line holds a control character (byte {:#04x}) at byte {}",
                                     static_cast<unsigned char>(*control), control - line.begin() + 1));
    }
    const auto words = split_words(line);
    if (words.empty()) return Outcome::ok;
    const Command* command = find_command(words[0]);
    if (command == nullptr) {
      throw CommandError(fmt::format("unknown command '{}'{}; type 'help' for the list", words[0],
                                     did_you_mean(words[0], command_names())));
    }
    const std::vector<std::string> args(words.begin() + 1, words.end());
    interrupted() = false;  // a Ctrl-C before this command is not meant for it
    terminal_.set_command(command->name);
    if (args.size() < command->min_args || args.size() > command->max_args) {
      throw CommandError(fmt::format("usage: {}", command->usage));
    }
    command->run(*this, args);
  } catch (const std::exception& error) {  // CommandError, or an engine failure: never fatal
    // One line, whatever a library put in its message.
    const std::string_view message = error.what();
    terminal_.error(message.substr(0, message.find('\n')));
    return Outcome::failed;
  }
  return quit_requested_ ? Outcome::quit : Outcome::ok;
}

}  // namespace poet::repl
