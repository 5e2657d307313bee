#pragma once
// The command table and the shell that runs one input line at a time. Every command lives in one
// table row: its name, usage, help and handler; `help`, error suggestions and completion all read
// that table.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generation_settings.h"
#include "notices.h"
#include "poet/engine/decoders.h"
#include "poet/engine/engine.h"
#include "poet/engine/metre.h"
#include "poet/engine/runtime.h"
#include "terminal.h"

namespace poet::repl {

class Shell;
class BackgroundTraining;

struct Command {
  std::string_view name;
  std::string_view usage;    // e.g. "help [command]"
  std::string_view summary;  // one line for the command list
  std::string_view details;  // the rest of `help <command>`; may be empty
  std::size_t min_args;
  std::size_t max_args;
  // Writes results through shell.terminal(); throws CommandError when the command fails.
  void (*run)(Shell& shell, const std::vector<std::string>& args);
  // Tab completion: the candidates for the word being typed, given the words before it (the
  // command's name first). Null, or nullopt from it: complete file names.
  std::optional<std::vector<std::string>> (*complete)(
      Shell& shell, const std::vector<std::string>& before) = nullptr;
};

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
  GenerationSettings& settings() { return settings_; }
  Notices& notices() { return notices_; }
  std::unique_ptr<BackgroundTraining>& training() { return training_; }
  // The bundled metre lexicon, read the first time a command needs it; throws EngineError.
  const MetreLexicon& metre_lexicon();
  void request_quit() { quit_requested_ = true; }

 private:
  Terminal& terminal_;
  Engine& engine_;
  DecoderSet& decoders_;
  std::optional<std::filesystem::path> config_file_;
  GenerationSettings settings_;
  Notices notices_;
  std::optional<MetreLexicon> metre_lexicon_;
  std::unique_ptr<BackgroundTraining> training_;  // last: it posts to notices_ and reads settings_
  bool quit_requested_ = false;
};

// Tab completion of the word being typed after `before`, the part of the line before it.
std::optional<std::vector<std::string>> completions(Shell& shell, std::string_view before);

// `help` with no topic, or `help <command>`; throws CommandError for an unknown topic.
std::string help_text(std::string_view topic = {});

// What `decoders` prints: each decoder with its parameters, then the plugins refused and why.
std::string describe_decoders(const DecoderSet& decoders);

// What `model` prints about a loaded model.
std::string describe_model(const ModelInfo& info);

// The lines printed when an interactive session starts.
std::string banner(const RuntimeInfo& runtime);

}  // namespace poet::repl
