// poet_bench_optimizer: one optimizer step on the bundled model's weights (the LSTM of
// corpora/tang-metre.toml over the Tang vocabulary, random gradients), poet's own Adam
// (engine/src/training/optimizer.h) against LibTorch's torch::optim::Adam, in alternating rounds,
// one LibTorch thread as training uses beside OpenBLAS. What decided that poet keeps its own.
//
// usage: poet_bench_optimizer [--quick]   (--quick: a few steps, as a smoke test)

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "model/model.h"
#include "training/optimizer.h"

namespace {

using namespace poet;
using Clock = std::chrono::steady_clock;

constexpr int kTangVocabulary = 6388 + 4;  // the bundled model's, special tokens included

ModelConfig bundled_shape() {
  ModelConfig config;
  config.cell = CellType::lstm;
  config.hidden_size = 384;
  config.embedding_size = 192;
  config.position_inputs = true;
  config.metre_inputs = true;
  return config;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  at::set_num_threads(1);
  torch::manual_seed(1);
  CharRnn model(bundled_shape(), kTangVocabulary);
  std::vector<torch::Tensor> parameters = model->parameters();
  std::int64_t weights = 0;
  for (auto& parameter : parameters) {
    parameter.mutable_grad() = torch::randn_like(parameter);
    weights += parameter.numel();
  }
  TrainConfig config;
  Optimizer own(config, *model);
  torch::optim::Adam libtorch(parameters, torch::optim::AdamOptions(config.learning_rate));
  const int rounds = quick ? 2 : 10, steps = quick ? 2 : 10;
  std::vector<double> own_ms, libtorch_ms, ratios;
  for (int round = 0; round < rounds; ++round) {
    auto start = Clock::now();
    for (int i = 0; i < steps; ++i) own.step(config.learning_rate);
    const double a =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count() / steps;
    start = Clock::now();
    for (int i = 0; i < steps; ++i) libtorch.step();
    const double b =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count() / steps;
    own_ms.push_back(a);
    libtorch_ms.push_back(b);
    ratios.push_back(b / a);
  }
  fmt::print(
      "one Adam step on {} weights, median of {} rounds of {} steps: poet's {:.2f} ms, LibTorch's "
      "{:.2f} ms "
      "({:.2f}x poet's; rounds {:.2f}x to {:.2f}x)\n",
      weights, rounds, steps, median(own_ms), median(libtorch_ms), median(ratios),
      *std::min_element(ratios.begin(), ratios.end()),
      *std::max_element(ratios.begin(), ratios.end()));
  return 0;
}
