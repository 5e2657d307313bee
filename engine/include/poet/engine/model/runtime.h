#pragma once
// What the engine runs on: the LibTorch build, the BLAS it loaded, threads and GPUs.

#include <string>

namespace poet {

struct BlasInfo {
  std::string name;     // "OpenBLAS", "MKL", "BLIS", "reference BLAS", or "unknown"
  std::string library;  // the shared object that provides sgemm_, when there is one
  bool is_reference = false;  // the netlib reference BLAS: correct but several times slower
};

struct RuntimeInfo {
  std::string torch_version;
  BlasInfo blas;
  int cpu_threads = 0;
  int cuda_devices = 0;  // 0 when LibTorch was built without CUDA or sees no GPU
};

RuntimeInfo runtime_info();

// OpenBLAS's thread pool (it is the process's, not a thread's) resized while this lives and given
// back after; nothing where the BLAS is another. Training on several workers of one machine shares
// the cores this way, and a batch of poems, whose own threads keep the cores busy between model
// steps, keeps a pool that would spin there out of their way.
class BlasThreadsScope {
 public:
  explicit BlasThreadsScope(int threads);
  ~BlasThreadsScope();
  BlasThreadsScope(const BlasThreadsScope&) = delete;
  BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;

 private:
  int before_ = 0;  // 0: not OpenBLAS, nothing to give back
};

// A one-line warning when the runtime will be needlessly slow (today: the reference BLAS is
// loaded), or an empty string.
std::string runtime_warning(const RuntimeInfo& info);

}  // namespace poet
