#include "training/optimizer.h"

#include <fmt/format.h>

#include <cmath>

#include "poet/engine/error.h"

namespace poet {
namespace {

constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kAlpha = 0.99, kEpsilon = 1e-8;

// The names of a parameter's moments in a checkpoint.
std::vector<std::string> moment_names(OptimizerKind kind) {
  if (kind == OptimizerKind::rmsprop) return {".square_avg"};
  return {".exp_avg", ".exp_avg_sq"};
}

}  // namespace

Optimizer::Optimizer(const TrainConfig& config, torch::nn::Module& module)
    : kind_(config.optimizer), weight_decay_(config.weight_decay) {
  for (const auto& item : module.named_parameters()) {
    Slot slot{item.key(), item.value(), {}};
    for (std::size_t i = 0; i < moment_names(kind_).size(); ++i)
      slot.moments.push_back(torch::zeros_like(item.value()));
    slots_.push_back(std::move(slot));
  }
}

void Optimizer::zero_grad() {
  for (auto& slot : slots_) {
    if (slot.parameter.grad().defined()) slot.parameter.mutable_grad().zero_();
  }
}

// Adam (Kingma and Ba), AdamW's decoupled weight decay (Loshchilov and Hutter), and RMSprop as
// LibTorch defines them. A parameter no batch has reached yet has no gradient and is left alone.
void Optimizer::step(double learning_rate) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double correction1 = 1 - std::pow(kBeta1, static_cast<double>(steps_));
  const double correction2 = 1 - std::pow(kBeta2, static_cast<double>(steps_));
  for (auto& slot : slots_) {
    const auto& gradient = slot.parameter.grad();
    if (!gradient.defined()) continue;
    auto& first = slot.moments[0];
    if (kind_ == OptimizerKind::rmsprop) {
      first.mul_(kAlpha).addcmul_(gradient, gradient, 1 - kAlpha);
      slot.parameter.addcdiv_(gradient, first.sqrt().add_(kEpsilon), -learning_rate);
      continue;
    }
    if (kind_ == OptimizerKind::adamw) slot.parameter.mul_(1 - learning_rate * weight_decay_);
    auto& second = slot.moments[1];
    first.mul_(kBeta1).add_(gradient, 1 - kBeta1);
    second.mul_(kBeta2).addcmul_(gradient, gradient, 1 - kBeta2);
    const auto denominator = (second / correction2).sqrt_().add_(kEpsilon);
    slot.parameter.addcdiv_(first, denominator, -learning_rate / correction1);
  }
}

std::vector<torch::Tensor> Optimizer::moments() const {
  std::vector<torch::Tensor> tensors;
  for (const auto& slot : slots_)
    tensors.insert(tensors.end(), slot.moments.begin(), slot.moments.end());
  return tensors;
}

std::vector<checkpoint::Tensor> Optimizer::state() const {
  std::vector<checkpoint::Tensor> tensors;
  const auto names = moment_names(kind_);
  for (const auto& slot : slots_) {
    for (std::size_t i = 0; i < slot.moments.size(); ++i)
      tensors.push_back(to_checkpoint(slot.name + names[i], slot.moments[i]));
  }
  return tensors;
}

void Optimizer::restore(const std::vector<checkpoint::Tensor>& tensors, std::int64_t steps,
                        const std::filesystem::path& file) {
  const auto expected = state();
  if (tensors.size() != expected.size()) {
    throw Error::file(fmt::format("'{}' holds optimizer state for another optimizer than {}",
                                  file.string(), optimizer_name(kind_)));
  }
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].name != expected[i].name || tensors[i].shape != expected[i].shape) {
      throw Error::file(fmt::format("'{}': optimizer state '{}' does not fit the model",
                                    file.string(), tensors[i].name));
    }
  }
  std::size_t next = 0;
  for (auto& slot : slots_) {
    for (auto& moment : slot.moments) copy_from_checkpoint(moment, tensors[next++]);
  }
  steps_ = steps;
}

}  // namespace poet
