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

// A one-line warning when the runtime will be needlessly slow (today: the reference BLAS is
// loaded), or an empty string.
std::string runtime_warning(const RuntimeInfo& info);

}  // namespace poet
