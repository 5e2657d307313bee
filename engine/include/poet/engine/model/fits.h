#pragma once
// Whether training a model of a shape fits poet's memory limit (poet/engine/files/limits.h),
// checked before anything is allocated.

#include <cstdint>

#include "poet/engine/model/model_config.h"

namespace poet {

// Throws Error::limit unless training a model of this shape fits the limit: its weights, gradients
// and optimizer moments and the activations of a batch of `batch_size` poems of `length`
// characters (roughly: the message says "about").
void check_training_fits(const ModelConfig& config, std::int64_t vocabulary_size, int batch_size,
                         int length);

}  // namespace poet
