#pragma once
// Training a character model on a corpus, from scratch or resumed exactly from a checkpoint.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "poet/engine/model/history.h"
#include "poet/engine/model/model_config.h"

namespace poet {

enum class OptimizerKind { adam, adamw, rmsprop };

struct TrainConfig {
  OptimizerKind optimizer = OptimizerKind::adam;
  double learning_rate = 3e-3;        // the peak, reached after the warm-up
  double final_learning_rate = 3e-4;  // cosine decay ends here at the last step
  std::int64_t warmup_steps = 100;
  double clip_norm = 1.0;  // gradients are scaled down to this total norm; 0 turns clipping off
  int batch_size = 64;     // poems per batch
  int max_length = 126;    // longest poem trained on, in characters
  int min_count = 2;       // rarer characters become <unk>
  int epochs = 10;         // the length of a run when `steps` is 0
  std::int64_t steps = 0;  // the length of a run in optimizer steps; 0: use `epochs`
  std::int64_t eval_every = 500;        // steps between validation perplexities
  std::int64_t checkpoint_every = 500;  // steps between checkpoints
  std::int64_t log_every = 50;          // steps between training-loss entries in the history
  std::uint64_t seed = 1;
  int threads = 0;  // LibTorch CPU threads; 0: 1 with OpenBLAS (it threads the matrix products
                    // itself), else one per core
  // With metre inputs: the share of training poems read with those inputs blank (nothing asked),
  // drawn anew every step, so that the model also predicts from positions alone: `eval`'s headline
  // figure for it.
  double metre_dropout = 0;
  double weight_decay = 0.01;  // AdamW's decoupled weight decay, per step and unit of learning rate

  bool operator==(const TrainConfig& other) const;
};

std::string_view optimizer_name(OptimizerKind kind);
std::optional<OptimizerKind> parse_optimizer(std::string_view name);
// The first value out of range, said for the user; nothing when every value is in range.
std::optional<std::string> problem_with(const TrainConfig& config);
// What the two must agree on (metre_dropout needs metre inputs).
std::optional<std::string> problem_with(const ModelConfig& model, const TrainConfig& train);

struct TrainProgress {
  std::int64_t step = 0;
  std::int64_t total_steps = 0;
  double epoch = 0;
  double loss = 0;  // recent mean per character
  double tokens_per_second = 0;
  double seconds_left = 0;
};

// Training on several processes at once, on one machine or many: data parallelism over LibTorch's
// distributed engine, c10d (docs/training.md, "Training on several processes"). Each step's
// batch is split among the processes; their gradients are summed in one exchange, so that every one of them
// steps with the whole batch's gradient. Rank 0 reads the corpus and the checkpoint, hands the
// others the run, validates and writes the checkpoints and the history; the others need nothing
// but the store's address.
// The most processes a run may have, on every machine together: each keeps a connection to
// every other.
inline constexpr int kMostWorkers = 256;

struct Workers {
  int count = 1;  // processes on this machine, this one included (train --workers)
  int rank = 0;   // this process's rank, the first of this machine's (--rank)
  std::optional<int> world_size;  // processes on every machine (--world-size); unset: `count`
  std::string store;  // HOST:PORT where rank 0 listens (--store); empty: 127.0.0.1, a free port
  int timeout_seconds = 60;  // for every rank to join, and for each exchange (--timeout)
  // How to start one of this machine's other workers: a program and its first arguments, to
  // which worker_arguments() are added.
  std::vector<std::string> command;

  int total() const { return world_size.value_or(count); }
  bool distributed() const { return count != 1 || world_size || rank != 0 || !store.empty(); }
};
// The first value out of range, or nothing.
std::optional<std::string> problem_with(const Workers& workers);
// The options that make a worker of this run rank `rank`: --rank R --world-size N --store
// HOST:PORT --timeout S (`train`'s own options).
std::vector<std::string> worker_arguments(const Workers& workers, int rank, const std::string& store);

struct TrainRequest {
  // The poems to train on: for a new run, this or else default_corpus; a resumed run keeps the
  // corpus its checkpoint records unless this names another.
  std::optional<std::filesystem::path> corpus;
  std::filesystem::path default_corpus;
  std::optional<std::filesystem::path> resume;  // continue this checkpoint's run exactly
  // A new run whose weights and vocabulary start from this checkpoint's; inputs its model lacks
  // (metre inputs added to a model with positions, say) start at zero, so that the new model
  // begins by predicting exactly what the old one did.
  std::optional<std::filesystem::path> start_from;
  std::filesystem::path out;                    // the latest checkpoint; the best goes beside it
  ModelConfig model;                            // for a new run; a resumed run keeps its own
  std::filesystem::path metre_lexicon;          // a new run of a model with metre_inputs reads it
  TrainConfig train;                            // likewise, but for the length of the run
  std::optional<std::int64_t> steps;            // overrides the length of the run
  std::optional<int> epochs;
  Workers workers;  // one process unless told otherwise; a rank other than 0 needs nothing else
  // Where one process trains: "cpu" or "cuda" (resolve_device). Several workers train on the CPU.
  std::string device = "cpu";
};

struct TrainEvents {
  std::function<void(const TrainProgress&)> progress;
  std::function<void(const HistoryEntry&)> history;
  std::function<void(const std::filesystem::path&, std::int64_t step)> checkpoint;
  std::function<void(const std::string&)> note;  // corpus problems, the vocabulary, what resumed
};

struct TrainResult {
  std::int64_t step = 0;
  std::int64_t total_steps = 0;
  bool stopped = false;         // stop was asked for before the last step
  bool already_finished = false;  // a resumed run that was at its last step: nothing was written
  std::optional<double> best_valid_perplexity;
  std::filesystem::path latest;
  std::filesystem::path best;
  int rank = 0;        // with several workers: this process's rank (only rank 0 writes files)
  int world_size = 1;
};

// Trains until the last step or until `stop` becomes true (with several workers, any one's stop
// stops them all after the same step), checkpointing on the way and at the
// end, so stopping at any moment leaves a checkpoint to resume from. Throws poet::Error, also when
// the run diverges (a loss or gradient that is not a finite number): it stops before the step
// that would spoil the weights, and the last checkpoint stays as it was.
TrainResult train(const TrainRequest& request, const TrainEvents& events,
                  const std::atomic<bool>& stop);

// The path of the best checkpoint kept beside `latest`: model.ckpt → model.best.ckpt.
std::filesystem::path best_checkpoint_path(const std::filesystem::path& latest);
// Copies a checkpoint for generation only: its model, vocabulary and loss history, without the
// optimizer's state (with Adam, two thirds of the file). The copy cannot be resumed.
void write_inference_checkpoint(const std::filesystem::path& checkpoint,
                                const std::filesystem::path& out);

}  // namespace poet
