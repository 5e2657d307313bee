// poet_bench_allreduce: what the one exchange of a training step costs with two workers over
// loopback: an allreduce (sum) of the model's gradients as one float32 bucket, on the Gloo process
// group the trainer uses (engine/src/distributed.h), for the default model and for one about four
// times larger. This process is rank 0 and starts rank 1 as a copy of itself.
//
// usage: poet_bench_allreduce [--quick]   (--quick: a few exchanges, as a smoke test)

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "poet/engine/model/model_config.h"
#include "poet/engine/training/trainer.h"
#include "training/distributed.h"

namespace {

using namespace poet;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kTangVocabulary = 6233 + 4;  // the bundled model's, special tokens included

struct Model {
  std::string name;
  ModelConfig config;
};

std::vector<Model> models() {
  ModelConfig larger;  // twice the widths and the layers: about four times the weights
  larger.embedding_size *= 2;
  larger.hidden_size *= 2;
  larger.layers *= 2;
  return {{"the default model (GRU 128/256, 2 layers)", ModelConfig{}},
          {"a larger model (GRU 256/512, 4 layers)", larger}};
}

int run(Workers workers, bool quick) {
  WorkerGroup group(workers);
  const int rounds = quick ? 3 : 30;
  for (const auto& model : models()) {
    const auto count = parameter_count(model.config, kTangVocabulary);
    auto bucket = torch::ones({count + 2});  // the gradients, and the step's loss and stop flag
    std::vector<double> milliseconds;
    for (int i = 0; i < rounds + 3; ++i) {
      const auto start = Clock::now();
      group.allreduce_sum(bucket);
      if (i >= 3) milliseconds.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(milliseconds.begin(), milliseconds.end());
    if (group.rank() == 0) {
      fmt::print("allreduce of {}: {} weights ({:.1f} MB of float32): median {:.2f} ms, fastest {:.2f} ms over {} "
                 "exchanges\n",
                 model.name, count, static_cast<double>(count) * 4 / 1e6, milliseconds[milliseconds.size() / 2],
                 milliseconds.front(), milliseconds.size());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    bool quick = false;
    Workers workers;
    workers.timeout_seconds = 60;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      const auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
      if (arg == "--quick") quick = true;
      else if (arg == "--rank") workers.rank = std::stoi(value());
      else if (arg == "--world-size") workers.world_size = std::stoi(value());
      else if (arg == "--store") workers.store = value();
      else if (arg == "--timeout") workers.timeout_seconds = std::stoi(value());
    }
    if (workers.rank == 0) {
      workers.count = 2;
      workers.command = {std::filesystem::read_symlink("/proc/self/exe").string()};
      if (quick) workers.command.push_back("--quick");
    }
    return run(workers, quick);
  } catch (const std::exception& error) {
    fmt::print(stderr, "poet_bench_allreduce: {}\n", error.what());
    return 1;
  }
}
