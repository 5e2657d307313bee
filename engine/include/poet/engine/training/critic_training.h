#pragma once
// Training the critic (poet/engine/model/critic.h): real poems against poems a model wrote, with
// poet's own optimizer, the epoch with the best held-out area under the ROC curve kept. The
// prompt's `train --critic` gathers the poems (it writes the generated ones) and calls this.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "poet/engine/model/critic.h"

namespace poet {

struct CriticExamples {
  std::vector<std::u32string> real;
  std::vector<std::u32string> generated;
};

struct CriticEpoch {
  int epoch = 0;  // 1-based
  int epochs = 0;
  double train_loss = 0;  // mean binary cross-entropy over the epoch
  double valid_auc = 0;
};

struct CriticTraining {
  CriticConfig config;
  CriticExamples train, valid, test;  // valid chooses the epoch; test is reported
  // The corpus whose characters, pairs and triples the critic counts (the training split's poems);
  // the real poems of `train` are among them, and each is read with its own counts taken out.
  std::vector<std::u32string> corpus;
  // The model that wrote the generated poems: the critic reads its vocabulary, starts from its
  // embedding where the sizes agree, and records its configuration.
  std::filesystem::path generator;
  int epochs = 10;
  int batch_size = 64;
  double learning_rate = 2e-3;
  std::uint64_t seed = 1;
  std::filesystem::path out;
  std::function<void(const CriticEpoch&)> on_epoch;
  const std::atomic<bool>* cancel = nullptr;  // Ctrl-C: Error::stopped between batches
};

struct CriticResult {
  double valid_auc = 0;
  double test_auc = 0;  // on the test poems, with the kept epoch's weights
  int best_epoch = 0;
  std::int64_t parameters = 0;
};

// Trains a critic and writes it to `training.out` (atomically, as every checkpoint). Throws
// Error::input without poems of both kinds in each set, Error::stopped on Ctrl-C (nothing
// written), Error::file when the file cannot be written.
CriticResult train_critic(const CriticTraining& training);

}  // namespace poet
