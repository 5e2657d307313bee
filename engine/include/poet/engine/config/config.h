#pragma once
// poet.toml: the configuration file. Every key, its default and its range are in the README;
// this header is where they are read. A bad file is refused with the file, line and column.
//
//   [model]
//   cell = "lstm"          # rnn, lstm or gru
//   embedding_size = 128
//   hidden_size = 256
//   layers = 2
//   dropout = 0.0
//
//   [train]                 # see TrainConfig in trainer.h for every key
//   optimizer = "adam"
//   batch_size = 64
//
//   [plugins]               # decoder plugins in processes of their own
//   isolate = "outside"     # outside, all or none
//   in_process = ["greedy"] # by name, whatever isolate says
//   isolated = ["beam"]
//   memory_limit = "1G"     # of each isolated plugin: bytes, or with a K, M or G suffix
//   silence_limit = 60      # seconds an isolated plugin may go without asking poet anything

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "poet/engine/model_config.h"
#include "poet/engine/trainer.h"

namespace poet {

// "poet.toml:3:14: hidden_size must be 1 to 8192".
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Which decoder plugins run in a process of their own, where a crash, a hang or a runaway
// allocation costs only that process, and what each such process may take.
enum class PluginIsolation {
  outside,  // the plugins of --plugin-dir and POET_PLUGIN_PATH; the built-in ones run in poet
  all,
  none
};

// What each isolated plugin's process may take (memory_limit, silence_limit).
struct IsolationLimits {
  std::uint64_t memory_bytes = 1'000'000'000;  // address space ("1G")
  std::chrono::milliseconds silence{60'000};   // this long without a call to poet, it is stopped
};

struct PluginConfig {
  PluginIsolation isolate = PluginIsolation::outside;
  std::vector<std::string> in_process;  // decoders by name, whatever `isolate` says
  std::vector<std::string> isolated;
  IsolationLimits limits;

  // Whether the decoder of this name runs isolated; `built_in`: it was found beside poet.
  bool isolates(std::string_view decoder, bool built_in) const;
};

struct Config {
  ModelConfig model;
  TrainConfig train;
  PluginConfig plugins;
};

// Keys that are absent keep their defaults; unknown sections and keys are errors, with the
// closest known name suggested.
Config parse_config(std::string_view text, const std::string& source_name);
Config load_config(const std::filesystem::path& file);

}  // namespace poet
