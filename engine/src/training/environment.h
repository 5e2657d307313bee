#pragma once
// What a training run takes of its process while it runs, set in one place and given back after
// (internal to the engine): LibTorch's threads for the training thread, OpenBLAS's pool when this
// machine's workers share its cores, and LibTorch's default random generator, which draws the
// first weights and every step's dropout masks. Nothing else in poet draws from that generator
// (writing draws from its own seeded source), so a poem written beside training is undisturbed.

#include <cstdint>
#include <memory>
#include <optional>

#include "poet/engine/model/runtime.h"

#include "poet/engine/training/trainer.h"

namespace poet {

class TrainingEnvironment {
 public:
  // `local_workers`: this machine's processes of the run, this one included.
  TrainingEnvironment(const TrainConfig& config, int local_workers);
  ~TrainingEnvironment();
  TrainingEnvironment(const TrainingEnvironment&) = delete;
  TrainingEnvironment& operator=(const TrainingEnvironment&) = delete;

 private:
  int threads_ = 0;       // LibTorch's before
  std::optional<BlasThreadsScope> blas_threads_;  // while this machine's workers share its cores
  struct Generator;
  std::unique_ptr<Generator> generator_;  // the default generator's state before
};

}  // namespace poet
