#pragma once
// The `train` command: trains or resumes a model, reporting progress as it goes.

#include <optional>
#include <string>
#include <vector>

#include "poet/engine/trainer.h"

namespace poet::repl {

class Shell;

inline constexpr const char* kTrainUsage =
    "train [--corpus FILE] [--resume CKPT] [--steps N] [--epochs N] [--config FILE] [--out CKPT]";

void run_training(Shell& shell, const std::vector<std::string>& args);

// `loss [--csv FILE]`: the loaded model's training history as charts and numbers, or as CSV.
void run_loss(Shell& shell, const std::vector<std::string>& args);
// The charts and the last values of a loss history, `width` characters wide.
std::string describe_history(const std::vector<HistoryEntry>& history, int width);
std::optional<std::vector<std::string>> complete_training(Shell& shell, const std::vector<std::string>& before);

}  // namespace poet::repl
