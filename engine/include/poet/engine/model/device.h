#pragma once
// Where the model runs. `automatic` takes the GPU when LibTorch sees one and the CPU otherwise.

#include <optional>
#include <string>
#include <string_view>

namespace poet {

enum class DeviceChoice { automatic, cpu, cuda };

std::optional<DeviceChoice> parse_device(std::string_view name);  // "auto", "cpu", "cuda"

// The device the choice means on this machine: "cpu" or "cuda". Throws std::runtime_error when
// CUDA is asked for and LibTorch has no GPU (a CPU-only build, or no device visible).
std::string resolve_device(DeviceChoice choice);

}  // namespace poet
