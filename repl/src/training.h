#pragma once
// The `train` command: trains or resumes a model, reporting progress as it goes.

#include <string>
#include <vector>

namespace poet::repl {

class Shell;

inline constexpr const char* kTrainUsage =
    "train [--corpus FILE] [--resume CKPT] [--steps N] [--epochs N] [--config FILE] [--out CKPT]";

void run_training(Shell& shell, const std::vector<std::string>& args);

}  // namespace poet::repl
