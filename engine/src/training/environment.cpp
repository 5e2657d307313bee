#include "training/environment.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "training/data.h"

namespace poet {

struct TrainingEnvironment::Generator {
  at::Tensor state;
};

TrainingEnvironment::TrainingEnvironment(const TrainConfig& config, int local_workers)
    : threads_(at::get_num_threads()), generator_(std::make_unique<Generator>()) {
  // LibTorch's OpenMP backend keeps the count per thread: this sets the training thread's.
  at::set_num_threads(intra_op_threads(config.threads));
  if (local_workers > 1) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    blas_threads_.emplace(std::max(1, cores / local_workers));
  }
  auto generator = at::detail::getDefaultCPUGenerator();
  const std::lock_guard lock(generator.mutex());
  generator_->state = generator.get_state();
}

TrainingEnvironment::~TrainingEnvironment() {
  auto generator = at::detail::getDefaultCPUGenerator();
  {
    const std::lock_guard lock(generator.mutex());
    generator.set_state(generator_->state);
  }
  blas_threads_.reset();
  at::set_num_threads(threads_);
}

}  // namespace poet
