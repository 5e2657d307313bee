#include "poet/engine/model/runtime.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <climits>
#include <cstdlib>
#include <string_view>

namespace poet {
namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The library that actually serves sgemm_. Debian links LibTorch to libblas.so.3, an
// alternatives link that points at OpenBLAS, BLIS or the reference BLAS, so the build
// configuration alone cannot tell which one runs.
std::string sgemm_provider() {
  void* symbol = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info info{};
  if (symbol == nullptr || dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) return {};
  char resolved[PATH_MAX];
  return realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
}

// LibTorch builds that link their BLAS statically (the CUDA wheels use MKL) export no sgemm_ of
// a separate library; their build configuration names it instead.
std::string configured_blas() {
  const std::string config = at::show_config();
  const auto start = config.find("BLAS_INFO=");
  if (start == std::string::npos) return "unknown";
  const auto value = start + std::string_view("BLAS_INFO=").size();
  return config.substr(value, config.find_first_of(", \n", value) - value);
}

BlasInfo detect_blas() {
  BlasInfo blas;
  blas.library = sgemm_provider();
  const std::string& lib = blas.library;
  if (contains(lib, "openblas")) {
    blas.name = "OpenBLAS";
  } else if (contains(lib, "blis")) {
    blas.name = "BLIS";
  } else if (contains(lib, "mkl")) {
    blas.name = "MKL";
  } else if (contains(lib, "/blas/libblas") || contains(lib, "libblas.so")) {
    blas.name = "reference BLAS";
    blas.is_reference = true;
  } else {
    blas.name = configured_blas();
  }
  return blas;
}

}  // namespace

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  info.torch_version = TORCH_VERSION;
  info.blas = detect_blas();
  info.cpu_threads = at::get_num_threads();
  info.cuda_devices = static_cast<int>(torch::cuda::device_count());
  return info;
}

std::string runtime_warning(const RuntimeInfo& info) {
  if (!info.blas.is_reference) return {};
  return "LibTorch is using the reference BLAS (" + info.blas.library +
         "): training runs many times slower. Install libopenblas0-pthread (.ci/setup does).";
}

namespace {

// OpenBLAS's pool size, set to `set` when it is positive; 0 when the BLAS is not OpenBLAS.
int openblas_threads(int set) {
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

BlasThreadsScope::BlasThreadsScope(int threads) : before_(openblas_threads(threads)) {}

BlasThreadsScope::~BlasThreadsScope() {
  if (before_ > 0) openblas_threads(before_);
}

}  // namespace poet
