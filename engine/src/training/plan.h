#pragma once
// What a training run is, settled once before its first step (internal to the engine): a new run,
// the continuation of a checkpoint's (--resume) or a new run from a checkpoint's weights (--from).
// Rank 0 resolves it from the request; with several workers it hands the others the plan, which is
// all they need besides the poems and weights it then broadcasts.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/checkpoint_file.h"
#include "poet/engine/training/trainer.h"
#include "training/data.h"

namespace poet {

struct TrainPlan {
  ModelConfig model;
  TrainConfig config;
  int vocabulary_size = 0;
  std::vector<int> marks;  // the tokens that end lines, for a model with position inputs
  std::int64_t steps_per_epoch = 0;
  std::int64_t total_steps = 0;
  // Where it starts: the step, the optimizer's steps, the training time so far, and how many
  // workers trained the checkpoint it resumes.
  std::int64_t step = 0;
  std::int64_t optimizer_steps = 0;
  double wall_seconds = 0;
  std::int64_t trained_by = 1;
  std::int64_t poems = 0;  // the training poems, and their tokens, which rank 0 hands the others
  std::int64_t tokens = 0;

  nlohmann::json to_json() const;
  // Throws poet::Error for a plan that is not one.
  static TrainPlan from_json(const nlohmann::json& json);
};

// What rank 0 (or the one process) holds beside the plan.
struct Lead {
  Dataset data;
  std::filesystem::path corpus;
  std::vector<std::filesystem::path> inputs;    // what the run reads, which it must never overwrite
  std::optional<checkpoint::Contents> resumed;  // the checkpoint whose run it continues
  std::optional<checkpoint::Contents> started;  // the checkpoint whose weights it starts from
  std::vector<HistoryEntry> history;            // so far, when resumed
  std::optional<double> best;                   // the best validation perplexity so far
  // Where its last good state is, for a message when it diverges or loses a worker.
  std::string last_checkpoint;
};

// Rank 0's plan and lead for a request; `note` hears what is read and resumed. Throws poet::Error
// for a request that cannot be trained (bad settings, files that cannot be read or written).
std::pair<TrainPlan, Lead> resolve_plan(const TrainRequest& request,
                                        const std::function<void(const std::string&)>& note);

// Whether a model can start from the weights of a model of `source`'s configuration: the same
// network (dropout aside, which has no weights), reading the same form inputs or more.
bool starts_from(const ModelConfig& model, const ModelConfig& source);

}  // namespace poet
