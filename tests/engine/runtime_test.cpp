#include "poet/engine/model/runtime.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace poet {
namespace {

TEST(Runtime, ReportsTheLibTorchItIsBuiltAgainst) {
  const RuntimeInfo info = runtime_info();
  EXPECT_EQ(info.torch_version, TORCH_VERSION);
  EXPECT_GE(info.cpu_threads, 1);
  EXPECT_EQ(info.cuda_devices, static_cast<int>(torch::cuda::device_count()));
}

// The setup script installs OpenBLAS; if this fails, LibTorch silently trains many times slower.
TEST(Runtime, LoadsAnOptimisedBlasNotTheReferenceOne) {
  const RuntimeInfo info = runtime_info();
  EXPECT_FALSE(info.blas.is_reference) << "BLAS library: " << info.blas.library;
  EXPECT_NE(info.blas.name, "unknown");
  EXPECT_EQ(runtime_warning(info), "");
}

TEST(Runtime, WarnsAboutTheReferenceBlas) {
  RuntimeInfo info;
  info.blas = {"reference BLAS", "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", true};
  const std::string warning = runtime_warning(info);
  EXPECT_NE(warning.find("reference BLAS"), std::string::npos);
  EXPECT_NE(warning.find("libopenblas0-pthread"), std::string::npos);
}

// The BLAS that runtime_info names is the one LibTorch's matrix products really go through.
TEST(Runtime, MatrixProductThroughTheLoadedBlasIsCorrect) {
  const auto a = torch::arange(6, torch::kFloat).reshape({2, 3});
  const auto b = torch::arange(6, torch::kFloat).reshape({3, 2});
  const auto expected = torch::tensor({{10.f, 13.f}, {28.f, 40.f}});
  EXPECT_TRUE(torch::equal(torch::mm(a, b), expected));
}

}  // namespace
}  // namespace poet
