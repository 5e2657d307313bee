#pragma once
// The command table and the shell that runs one input line at a time. Every command lives in one
// table row (command.h); `help`, usage, error suggestions and completion all read that table.

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"
#include "generation_settings.h"
#include "notices.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/model/critic.h"
#include "poet/engine/model/engine.h"
#include "poet/engine/model/runtime.h"
#include "poet/engine/plugins/decoders.h"
#include "terminal.h"

namespace poet::repl {

class BackgroundTraining;

// Every command, in the order `help` lists them.
const std::vector<Command>& command_table();
std::vector<std::string_view> command_names();

enum class Outcome { ok, failed, quit };

// The longest input line poet takes, in bytes.
inline constexpr std::size_t kLongestLine = 64 * 1024;

class Shell {
 public:
  // `config_file`: poet.toml or --config, for `train` to read its [model] and [train] from.
  Shell(Terminal& terminal, Engine& engine, DecoderSet& decoders,
        std::optional<std::filesystem::path> config_file = std::nullopt);
  ~Shell();  // stops a training run going on in the background, with a checkpoint

  // Runs one input line. Blank lines and lines starting with '#' do nothing.
  Outcome execute(std::string_view line);

  Terminal& terminal() { return terminal_; }
  Engine& engine() { return engine_; }
  DecoderSet& decoders() { return decoders_; }
  const std::optional<std::filesystem::path>& config_file() const { return config_file_; }
  Settings& settings() { return settings_; }
  // Makes settings().autoreload so: the loaded file is watched, and training loads each checkpoint.
  void apply_autoreload();
  // What a training thread reads of settings().autoreload.
  const std::atomic<bool>& autoreload() const { return autoreload_; }
  Notices& notices() { return notices_; }
  std::unique_ptr<BackgroundTraining>& training() { return training_; }
  // The bundled metre lexicon, read the first time a command needs it; throws poet::Error.
  const MetreLexicon& metre_lexicon();
  // The critic gen --best-of and `critic` use: the bundled one, read the first time a command
  // needs it, or the last one `train --critic` wrote; throws poet::Error.
  const Critic& critic();
  void use_critic(std::unique_ptr<Critic> critic) { critic_ = std::move(critic); }
  void request_quit() { quit_requested_ = true; }

 private:
  Terminal& terminal_;
  Engine& engine_;
  DecoderSet& decoders_;
  std::optional<std::filesystem::path> config_file_;
  Settings settings_;
  std::atomic<bool> autoreload_{false};
  Notices notices_;
  std::optional<MetreLexicon> metre_lexicon_;
  std::unique_ptr<Critic> critic_;
  std::unique_ptr<BackgroundTraining>
      training_;  // last: it posts to notices_ and reads autoreload_
  bool quit_requested_ = false;
};

// Tab completion of the word being typed after `before`, the part of the line before it.
Candidates completions(Shell& shell, std::string_view before);

// `help` with no topic, or `help <command>`; throws Error::input for an unknown topic.
std::string help_text(std::string_view topic = {});

// The lines printed when an interactive session starts.
std::string banner(const RuntimeInfo& runtime);

}  // namespace poet::repl
