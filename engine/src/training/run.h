#pragma once
// One training run under way (internal to the engine): the model, its optimizer, the data and the
// counters, stepped by the loop in trainer.cpp. With several workers each has one; rank 0's also
// validates, keeps the history and writes the checkpoints.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "poet/engine/training/trainer.h"
#include "training/distributed.h"
#include "training/optimizer.h"
#include "training/plan.h"

namespace poet {

class TrainingRun {
 public:
  // With a lead (rank 0, or one process) the run starts from its data and checkpoints; without
  // one, from what rank 0 hands over through `group`.
  // `stop` asks the run to stop after the current step (with several workers, any one's stops them
  // all after the same step).
  TrainingRun(TrainPlan plan, std::optional<Lead> lead, const TrainRequest& request,
              const TrainEvents& events, const std::atomic<bool>& stop, WorkerGroup* group);

  bool leader() const { return lead_.has_value(); }
  // At the last step, or stopping: the step after a stop was asked for.
  bool finished() const { return step_ >= plan_.total_steps || stopping_; }
  // One optimizer step, every worker together. Throws Error::training when a value stops being a
  // finite number (before it can spoil the weights) or a worker is lost.
  void step();
  // Rank 0, after a step: the history row and the validation due then, and the best checkpoint.
  void validate_and_log();
  // Rank 0: the latest checkpoint, when one is due.
  void save_if_due();
  // Rank 0: the latest checkpoint, if the last step has none (a run stopped between them).
  void finish();
  TrainResult result() const;

 private:
  void note(const std::string& text) const;
  void start_from_lead();
  void hand_over();
  double backward(const PoemIndices& share, std::int64_t targets);
  void count(double loss, std::int64_t targets);
  void save(const std::filesystem::path& path);
  [[noreturn]] void diverged(std::string_view what, double value) const;
  double epoch_of(std::int64_t step) const;
  const FormTables* form_tables() const;
  std::string last_checkpoint() const;
  bool last_step() const { return step_ == plan_.total_steps || stopping_; }

  TrainPlan plan_;
  std::optional<Lead> lead_;
  const TrainRequest& request_;
  const TrainEvents& events_;
  const std::atomic<bool>& stop_;
  WorkerGroup* group_;
  Poems train_;  // rank 0's, or what it handed over
  FormTables tables_;
  CharRnn model_{nullptr};
  std::optional<Optimizer> optimizer_;

  std::int64_t step_ = 0;
  std::int64_t first_step_ = 0;
  std::int64_t saved_at_ = -1;
  double wall_seconds_ = 0;
  bool stopping_ = false;
  std::vector<PoemIndices> batches_;  // of the epoch batches_epoch_
  std::int64_t batches_epoch_ = -1;
  double window_loss_ = 0, rate_ = 0;  // since the last history row, and chars/s smoothed
  std::int64_t window_targets_ = 0;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace poet
