#pragma once
// The commands about training: `train` (with `train status` and `train stop`), `eval`, `loss` and
// `export`.

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "poet/engine/training/trainer.h"
#include "terminal.h"

namespace poet::repl {

class Shell;

std::vector<Command> training_commands();

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
  Reply status() const;
  std::vector<HistoryEntry> history() const;  // the resumed checkpoint's, then this run's
  const std::filesystem::path& out() const { return out_; }
  // Asks the run to stop after its current step and waits; what it ended with. Without
  // `announce`, the caller shows that itself and no notice repeats it.
  Reply stop(bool announce = true);

 private:
  const std::filesystem::path out_;
  const std::string label_;  // what `train status` calls the run: its checkpoint, or the worker
  std::atomic<bool> stop_{false};
  std::atomic<bool> quiet_{false};  // set before stop_: the outcome goes to `train stop` only
  mutable std::mutex mutex_;        // guards what the training thread updates
  std::optional<TrainProgress> progress_;
  std::vector<HistoryEntry> history_;
  std::optional<Reply> outcome_;  // once the run has ended
  std::thread thread_;
};

// `poet --train-worker --rank R --world-size N --store HOST:PORT --timeout S`: one of the workers
// `train --workers N` starts beside itself, with no prompt and no terminal. Its exit status.
int train_worker(const std::vector<std::string>& args);

// The charts and the last values of a loss history, `width` characters wide.
std::string describe_history(const std::vector<HistoryEntry>& history, int width);

}  // namespace poet::repl
