#pragma once
// Small models and checkpoints for engine tests (internal engine headers, LibTorch).

#include <filesystem>

#include "model/checkpoint_file.h"
#include "model/model.h"
#include "poet/engine/training/trainer.h"

namespace poet::test {

// A vocabulary of the characters of the fixture corpus's first poems.
std::vector<char32_t> fixture_characters();

ModelConfig small_config(CellType cell);

// A run of 8 steps of a small model on the fixture corpus (batches of 16, validation every 4
// steps, checkpoints every 3, one thread), written to a fresh scratch folder `name`.
TrainRequest tiny_train_request(CellType cell, const std::string& name);

// A freshly initialised model (seeded, so the same arguments give the same weights) written as
// a checkpoint; `step` goes into its training state.
checkpoint::Contents make_contents(CellType cell, std::uint64_t seed, std::int64_t step = 0);
std::filesystem::path write_checkpoint(const std::string& name, CellType cell, std::uint64_t seed,
                                       std::int64_t step = 0);

}  // namespace poet::test
