#pragma once
// What the benchmarks time with (header-only, for tests/bench/ alone).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace poet::bench {

// Timings of several pieces of work, taken in turn, round after round, so that each sees the
// same machine: the figures are compared as ratios, and this machine is shared and noisy.
class Rounds {
 public:
  template <typename Work>
  void time(std::size_t slot, Work&& work) {
    if (times_.size() <= slot) times_.resize(slot + 1);
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    work();
    times_[slot].push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  // The median of one piece's timings, in microseconds.
  double median_us(std::size_t slot) {
    auto& times = times_[slot];
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2),
                     times.end());
    return times[times.size() / 2];
  }

 private:
  std::vector<std::vector<double>> times_;
};

}  // namespace poet::bench
