#pragma once
// The optimizer of a training run (internal to the engine): Adam, AdamW and RMSprop, written out
// here rather than taken from LibTorch, for two reasons. Their moments are plain named tensors
// that a checkpoint stores in poet's own format (LibTorch's optimizers serialise only to its own
// archives), so a resumed run continues exactly. And they are faster: on the bundled model's shape
// one Adam step takes LibTorch's 1.13 several times as long (tests/bench/optimizer_bench.cpp).

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/checkpoint_file.h"
#include "model/model.h"
#include "poet/engine/training/trainer.h"

namespace poet {

class Optimizer {
 public:
  Optimizer(const TrainConfig& config, torch::nn::Module& module);

  // Zeroes the gradients that exist; a parameter no batch has reached yet keeps none.
  void zero_grad();
  void step(double learning_rate);
  // Steps taken, which the bias corrections depend on.
  std::int64_t steps() const { return steps_; }
  void set_steps(std::int64_t steps) { steps_ = steps; }

  // Its moments as checkpoint tensors: "NAME.exp_avg" and "NAME.exp_avg_sq" (Adam, AdamW),
  // "NAME.square_avg" (RMSprop).
  std::vector<checkpoint::Tensor> state() const;
  // The moments a checkpoint holds, and the steps taken; throws Error::file when they do not fit.
  void restore(const std::vector<checkpoint::Tensor>& tensors, std::int64_t steps,
               const std::filesystem::path& file);
  // The moment tensors themselves, in state()'s order, for another worker to receive in place.
  std::vector<torch::Tensor> moments() const;

 private:
  struct Slot {
    std::string name;
    torch::Tensor parameter;
    std::vector<torch::Tensor> moments;  // Adam: the gradient's moving mean, then its square's
  };

  OptimizerKind kind_;
  double weight_decay_;
  std::vector<Slot> slots_;
  std::int64_t steps_ = 0;
};

}  // namespace poet
