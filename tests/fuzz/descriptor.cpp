// A decoder plugin's descriptor, built from the bytes, checked as the loader checks every plugin
// it loads. A descriptor that passes must be usable at the prompt: each parameter's default,
// shown as `settings` shows it, reads back as the same value when typed to `set`.
#include <fmt/format.h>
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "plugins/decoder_descriptor.h"
#include "poet/engine/error.h"

namespace {

// Never called: the checks only look at whether a descriptor has one.
std::int32_t decode(const poet_host*, const poet_request*, poet_state*) { return POET_ERROR; }

class DescriptorBuilder {
 public:
  explicit DescriptorBuilder(FuzzedDataProvider& input) : input_(input) {}

  poet_decoder build() {
    poet_decoder descriptor{};
    descriptor.abi_version =
        input_.ConsumeBool() ? POET_DECODER_ABI_VERSION : input_.ConsumeIntegral<std::uint32_t>();
    descriptor.name = text();
    descriptor.version = text();
    descriptor.help = text();
    descriptor.capabilities = input_.ConsumeIntegral<std::uint32_t>();
    descriptor.decode = input_.ConsumeBool() ? decode : nullptr;
    params_.resize(input_.ConsumeIntegralInRange<std::size_t>(0, 8));
    for (auto& param : params_) {
      param.name = text();
      param.type = input_.ConsumeBool() ? input_.ConsumeIntegralInRange<std::int32_t>(0, 3)
                                        : input_.ConsumeIntegral<std::int32_t>();
      param.default_value = number();
      param.min_value = number();
      param.max_value = number();
      param.choices = text();
      param.help = text();
    }
    descriptor.param_count = params_.size();
    descriptor.params = input_.ConsumeBool() ? params_.data() : nullptr;
    return descriptor;
  }

 private:
  // A string, or null.
  const char* text() {
    if (!input_.ConsumeBool()) return nullptr;
    return texts_.emplace_back(input_.ConsumeRandomLengthString(32)).c_str();
  }

  // Whole numbers and fractions near zero, as real ranges have, the edges of what a double
  // holds, and any double at all.
  double number() {
    static constexpr double kEdges[] = {std::numeric_limits<double>::infinity(),
                                        -std::numeric_limits<double>::infinity(),
                                        std::numeric_limits<double>::quiet_NaN(),
                                        0x1p53, 0x1p53 + 2, 0x1p63, -0x1p63, 1e300, -0.0};
    switch (input_.ConsumeIntegralInRange(0, 4)) {
      case 0: return input_.ConsumeIntegralInRange(-10, 10);
      case 1: return input_.ConsumeProbability<double>();
      case 2: return input_.PickValueInArray(kEdges);
      case 3: return input_.ConsumeFloatingPoint<double>();
      default: {
        const auto bits = input_.ConsumeIntegral<std::uint64_t>();
        double value;
        std::memcpy(&value, &bits, sizeof value);
        return value;
      }
    }
  }

  FuzzedDataProvider& input_;
  std::deque<std::string> texts_;  // a deque keeps each string, and its c_str(), in place
  std::vector<poet_param_info> params_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  DescriptorBuilder builder(input);
  const poet_decoder descriptor = builder.build();
  poet::DecoderDescription description;
  try {
    description = poet::read_descriptor(descriptor);
  } catch (const poet::Error&) {
    return 0;
  }
  for (const auto& param : description.params) {
    param.accepted();
    const std::string shown = param.format(param.default_value);
    try {
      if (param.parse(shown) == param.default_value) continue;
    } catch (const poet::Error&) {
    }
    fmt::print(stderr, "parameter '{}': its default {} shows as '{}', which does not read back\n",
               param.name, param.default_value, shown);
    std::abort();
  }
  return 0;
}
