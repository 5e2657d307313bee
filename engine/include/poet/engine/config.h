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

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "poet/engine/model_config.h"
#include "poet/engine/trainer.h"

namespace poet {

// "poet.toml:3:14: hidden_size must be 1 to 8192".
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Config {
  ModelConfig model;
  TrainConfig train;
};

// Keys that are absent keep their defaults; unknown sections and keys are errors, with the
// closest known name suggested.
Config parse_config(std::string_view text, const std::string& source_name);
Config load_config(const std::filesystem::path& file);

}  // namespace poet
