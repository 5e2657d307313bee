#pragma once
// The seeded random source generation draws from: the same seed gives the same poem on every
// machine, whatever the device, because sampling happens here and not in LibTorch.

#include <cstdint>
#include <random>

namespace poet {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  // Uniform in [0, 1).
  double uniform() { return std::generate_canonical<double, 53>(engine_); }
  std::uint64_t next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace poet
