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

#include "poet/engine/model/model_config.h"
#include "poet/engine/plugins/decoders.h"
#include "poet/engine/training/trainer.h"

namespace poet {

struct Config {
  ModelConfig model;
  TrainConfig train;
  PluginConfig plugins;
};

// Keys that are absent keep their defaults; unknown sections and keys are errors, with the
// closest known name suggested: Error::input naming the file, line and column ("poet.toml:3:14:
// hidden_size must be 1 to 8192").
Config parse_config(std::string_view text, const std::string& source_name);
Config load_config(const std::filesystem::path& file);

}  // namespace poet
