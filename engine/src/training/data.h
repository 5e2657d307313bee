#pragma once
// What a training run reads and in which order (internal to the engine): the corpus's splits, one
// epoch's batches, each worker's share of a batch, the schedule. Every source of randomness is a
// function of (seed, epoch) or (seed, step), so a resumed run sees what the uninterrupted one
// would.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "model/model.h"
#include "poet/engine/model/vocabulary.h"
#include "poet/engine/training/trainer.h"

namespace poet {

struct Dataset {
  Vocabulary vocabulary{{}};  // empty for a worker other than rank 0, which only trains
  Poems train;
  Poems valid;
};

// The corpus's train and validation splits (never its test split), encoded with `vocabulary`, or
// with a vocabulary built from the train split when it is null. `note` hears of lines skipped
// and of what was read.
Dataset load_dataset(const std::filesystem::path& corpus, const TrainConfig& config,
                     const std::vector<char32_t>* vocabulary,
                     const std::function<void(const std::string&)>& note);

using PoemIndices = std::vector<std::size_t>;  // a batch's poems, by their index
// One epoch's batches, as make_batch (model/model.h) takes their poems.
std::vector<PoemIndices> epoch_batches(const Poems& poems, int batch_size, std::uint64_t seed,
                                       std::int64_t epoch);
// The contiguous share of a batch that worker `rank` of `size` trains on.
PoemIndices share_of(const PoemIndices& batch, int rank, int size);
// The next-character predictions in these poems: the denominator of the batch's mean loss.
std::int64_t targets_of(const Poems& poems, const PoemIndices& batch);
std::int64_t token_count(const Poems& poems);
// The dropout masks of a step: a function of (seed, step), and of the rank with several workers.
std::uint64_t dropout_seed(const TrainConfig& config, std::int64_t step, int rank);
// Which of a step's poems read blank metre inputs (metre_dropout).
std::vector<bool> metre_blanks(const TrainConfig& config, std::int64_t step,
                               const PoemIndices& batch);
// A linear warm-up to the peak, then a cosine down to the final rate at the last step.
double learning_rate_at(const TrainConfig& config, std::int64_t step, std::int64_t total_steps);
// LibTorch's intra-op threads for the training thread.
int intra_op_threads(int configured);

}  // namespace poet
