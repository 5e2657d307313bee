#include "shell.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "bundled.h"
#include "check.h"
#include "critic.h"
#include "interrupt.h"
#include "models.h"
#include "poems.h"
#include "poet/engine/error.h"
#include "poet/engine/text/names.h"
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

// A usage line short enough for the list of commands: its options folded into "[options]".
std::string brief_usage(const Command& command) {
  std::string text(command.name);
  if (!command.arguments.empty()) text += fmt::format(" {}", command.arguments);
  if (!command.options.empty() || command.decoder_options) text += " [options]";
  return text;
}

Command help_command() {
  Command help{"help",
               "[command]",
               0,
               1,
               "list the commands, or explain one",
               "With a command's name, shows its usage, its options and what it does."};
  help.run = [](Shell& shell, const Args& args) {
    Reply reply;
    if (args.positional.empty()) {
      for (const Command& command : command_table()) {
        reply.fields["commands"].push_back(
            {{"name", command.name}, {"usage", usage(command)}, {"summary", command.summary}});
      }
    } else {
      const Command* command = find_command(args.positional[0]);
      if (command != nullptr) {
        reply.fields = {{"name", command->name},
                        {"usage", usage(*command)},
                        {"summary", command->summary},
                        {"details", command->details},
                        {"options", nlohmann::json::array()}};
        for (const Option& option : command->options)
          reply.fields["options"].push_back(
              {{"name", option.name}, {"value", option.value}, {"help", option.help}});
      }
    }
    reply.text = help_text(args.positional.empty() ? std::string_view() : args.positional[0]);
    shell.terminal().reply(reply);
  };
  help.complete_arguments = [](Shell&, const std::vector<std::string>&) -> Candidates {
    const auto names = command_names();
    return std::vector<std::string>(names.begin(), names.end());
  };
  return help;
}

Command quit_command() {
  Command quit{
      "quit", "",           0,
      0,      "leave poet", "Ctrl-D at the prompt, or the end of a script, does the same."};
  quit.run = [](Shell& shell, const Args&) { shell.request_quit(); };
  return quit;
}

std::vector<Command> make_table() {
  std::vector<Command> table{help_command()};
  for (auto group :
       {poem_commands(), model_commands(), training_commands(), {check_command(), critic_command()}}) {
    for (auto& command : group) table.push_back(std::move(command));
  }
  table.push_back(quit_command());
  return table;
}

// The words of a line, or Error::input naming what makes it one poet does not take.
std::vector<std::string> words_of(std::string_view line) {
  // No command needs more, and every character of a line costs memory as the model reads it.
  if (line.size() > kLongestLine)
    throw Error::input(
        fmt::format("the line is longer than {} bytes, the most poet takes", kLongestLine));
  // A NUL or another control character is never part of a command, and would garble messages.
  const auto control = std::find_if(line.begin(), line.end(), [](char c) {
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
  });
  if (control != line.end()) {
    throw Error::input(fmt::format("the line holds a control character (byte {:#04x}) at byte {}",
                                   static_cast<unsigned char>(*control),
                                   control - line.begin() + 1));
  }
  return split_words(line);
}

}  // namespace

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = make_table();
  return table;
}

std::vector<std::string_view> command_names() {
  std::vector<std::string_view> names;
  for (const auto& command : command_table()) names.push_back(command.name);
  return names;
}

Candidates completions(Shell& shell, std::string_view before) {
  std::vector<std::string> words;
  try {
    words = split_words(before);
  } catch (const Error&) {
    return std::vector<std::string>{};  // inside an open quote
  }
  if (words.empty()) {
    const auto names = command_names();
    return std::vector<std::string>(names.begin(), names.end());
  }
  const Command* command = find_command(words[0]);
  if (command == nullptr) return std::vector<std::string>{};
  return complete(*command, shell, words);
}

std::string help_text(std::string_view topic) {
  if (!topic.empty()) {
    const Command* command = find_command(topic);
    if (command == nullptr)
      throw Error::input(
          fmt::format("no command '{}'{}", topic, did_you_mean(topic, command_names())));
    return help(*command);
  }
  std::size_t width = 0;
  for (const auto& command : command_table()) width = std::max(width, brief_usage(command).size());
  std::string text = "Commands:\n";
  for (const auto& command : command_table())
    text += fmt::format("  {:<{}}  {}\n", brief_usage(command), width, command.summary);
  text += "Type 'help <command>' for more about one.";
  return text;
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

const Critic& Shell::critic() {
  if (!critic_) critic_ = Critic::load(bundled_critic());
  return *critic_;
}

void Shell::apply_autoreload() {
  autoreload_ = settings_.autoreload;
  if (!settings_.autoreload) {
    engine_.stop_watching();
    return;
  }
  engine_.watch(std::chrono::seconds(1),
                [this](const std::optional<ModelInfo>& model, const std::string& error) {
                  notices_.post(model ? fmt::format("reloaded {} (step {})", model->file.string(),
                                                    model->steps_trained)
                                      : fmt::format("could not reload: {}", error));
                });
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
    const auto words = words_of(line);
    if (words.empty()) return Outcome::ok;
    const Command* command = find_command(words[0]);
    if (command == nullptr) {
      throw Error::input(fmt::format("unknown command '{}'{}; type 'help' for the list", words[0],
                                     did_you_mean(words[0], command_names())));
    }
    interrupted() = false;  // a Ctrl-C before this command is not meant for it
    terminal_.set_command(command->name);
    command->run(*this, parse_args(*command, {words.begin() + 1, words.end()}));
  } catch (const std::exception& error) {  // a poet::Error, or any other failure: never fatal
    // One line, whatever a library put in its message.
    const std::string_view message = error.what();
    terminal_.error(message.substr(0, message.find('\n')));
    return Outcome::failed;
  }
  return quit_requested_ ? Outcome::quit : Outcome::ok;
}

}  // namespace poet::repl
