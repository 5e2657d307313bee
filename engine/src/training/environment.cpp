#include "training/environment.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "training/data.h"

namespace poet {
namespace {

// OpenBLAS's pool, resized while this machine's workers share its cores; 0 when the BLAS is not
// OpenBLAS.
int blas_threads(int set = 0) {
  using Get = int (*)();
  using Set = void (*)(int);
  const auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  const auto put = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (get == nullptr || put == nullptr) return 0;
  const int before = get();
  if (set > 0) put(set);
  return before;
}

}  // namespace

struct TrainingEnvironment::Generator {
  at::Tensor state;
};

TrainingEnvironment::TrainingEnvironment(const TrainConfig& config, int local_workers)
    : threads_(at::get_num_threads()), generator_(std::make_unique<Generator>()) {
  // LibTorch's OpenMP backend keeps the count per thread: this sets the training thread's.
  at::set_num_threads(intra_op_threads(config.threads));
  if (local_workers > 1) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    blas_threads_ = blas_threads(std::max(1, cores / local_workers));
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
  if (blas_threads_ > 0) blas_threads(blas_threads_);
  at::set_num_threads(threads_);
}

}  // namespace poet
