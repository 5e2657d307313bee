#pragma once
// How a model was trained, as its checkpoint keeps it: the loss history, a row every few steps.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace poet {

// One row of the loss history: a training loss, a validation perplexity, or both.
struct HistoryEntry {
  std::int64_t step = 0;
  double epoch = 0;                  // epochs done, fractional
  std::optional<double> train_loss;  // mean per character over the steps since the last entry
  std::optional<double> valid_perplexity;
  double wall_seconds = 0;  // training time since the run first started, across resumes
  double tokens_per_second = 0;
};

// The loss history stored in a checkpoint.
std::vector<HistoryEntry> read_history(const std::filesystem::path& checkpoint);
// The loss history kept beside a checkpoint, as CSV: model.ckpt → model.loss.csv.
std::filesystem::path history_csv_path(const std::filesystem::path& checkpoint);
// Written atomically; never over one of `inputs` (poet/engine/files/files.h).
void write_history_csv(const std::filesystem::path& file, const std::vector<HistoryEntry>& history,
                       const std::vector<std::filesystem::path>& inputs = {});

}  // namespace poet
