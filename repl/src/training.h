#pragma once
// The `train` command: trains or resumes a model, reporting progress as it goes.

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "poet/engine/trainer.h"

namespace poet::repl {

class Shell;

inline constexpr const char* kTrainUsage =
    "train [--corpus FILE] [--resume CKPT | --from CKPT] [--steps N] [--epochs N] [--config FILE] "
    "[--out CKPT] [--workers N] [--rank R --world-size N --store HOST:PORT] [--timeout SECONDS]";

// `train ...`: at the prompt, in the background; in a script, to completion. `train status`,
// `train stop`.
void run_training(Shell& shell, const std::vector<std::string>& args);

// A training run in a thread of its own, so that the prompt stays usable (and `gen` keeps
// writing with the model loaded). Checkpoints and the end of the run are posted as notices;
// with `set autoreload on`, each checkpoint it writes is loaded.
class BackgroundTraining {
 public:
  BackgroundTraining(TrainRequest request, Shell& shell);
  ~BackgroundTraining();  // stops the run, which saves a checkpoint, and waits for it
  BackgroundTraining(const BackgroundTraining&) = delete;
  BackgroundTraining& operator=(const BackgroundTraining&) = delete;

  bool running() const;
  std::string status() const;
  std::vector<HistoryEntry> history() const;  // the resumed checkpoint's, then this run's
  const std::filesystem::path& out() const { return out_; }
  // Asks the run to stop after its current step and waits; what it ended with. Without
  // `announce`, the caller shows that itself and no notice repeats it.
  std::string stop(bool announce = true);

 private:
  const std::filesystem::path out_;
  const std::string label_;  // what `train status` calls the run: its checkpoint, or the worker
  std::atomic<bool> stop_{false};
  std::atomic<bool> quiet_{false};  // set before stop_: the outcome goes to `train stop` only
  mutable std::mutex mutex_;  // guards what the training thread updates
  std::optional<TrainProgress> progress_;
  std::vector<HistoryEntry> history_;
  std::optional<std::string> outcome_;  // once the run has ended
  std::thread thread_;
};

// `poet --train-worker --rank R --world-size N --store HOST:PORT --timeout S`: one of the workers
// `train --workers N` starts beside itself, with no prompt and no terminal. Its exit status.
int train_worker(const std::vector<std::string>& args);

// `eval FILE [--split S]`: the loaded model's perplexity on a file of poems.
void run_eval(Shell& shell, const std::vector<std::string>& args);

// `export CKPT FILE`: a checkpoint's model without its training state, for generation only.
void run_export(Shell& shell, const std::vector<std::string>& args);

// `loss [--csv FILE]`: the loaded model's training history as charts and numbers, or as CSV.
void run_loss(Shell& shell, const std::vector<std::string>& args);
// The charts and the last values of a loss history, `width` characters wide.
std::string describe_history(const std::vector<HistoryEntry>& history, int width);
std::optional<std::vector<std::string>> complete_training(Shell& shell,
                                                          const std::vector<std::string>& before);

}  // namespace poet::repl
