#include "poet/engine/model/fits.h"

#include <fmt/format.h>

#include "poet/engine/files/limits.h"

namespace poet {

void check_training_fits(const ModelConfig& config, std::int64_t vocabulary_size, int batch_size,
                         int length) {
  // Weights, their gradients and two optimizer moments; then what a batch keeps for the backward
  // pass: each layer's gates and states at every position, and the output layer's scores.
  const auto parameters = static_cast<std::uint64_t>(parameter_count(config, vocabulary_size));
  const auto gates = static_cast<std::uint64_t>(gate_count(config.cell));
  const std::uint64_t positions =
      static_cast<std::uint64_t>(batch_size) * static_cast<std::uint64_t>(length);
  const std::uint64_t head = config.adaptive_cutoffs.empty()
                                 ? static_cast<std::uint64_t>(vocabulary_size)
                                 : static_cast<std::uint64_t>(config.adaptive_cutoffs.front());
  const std::uint64_t per_position = static_cast<std::uint64_t>(config.layers) * (gates + 2) *
                                         static_cast<std::uint64_t>(config.hidden_size) +
                                     static_cast<std::uint64_t>(config.input_size()) + 2 * head;
  const std::uint64_t needs = (4 * parameters + 2 * positions * per_position) * sizeof(float);
  check_fits(fmt::format("training a model of {} on batches of {} poems of {} characters",
                         describe(config), batch_size, length),
             needs);
}

}  // namespace poet
