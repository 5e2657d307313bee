// poet.toml, the configuration a user writes: parsed and checked as `train --config` does.
#include <cstdint>
#include <string_view>

#include "poet/engine/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    poet::parse_config({reinterpret_cast<const char*>(data), size}, "fuzz.toml");
  } catch (const poet::ConfigError&) {
  }
  return 0;
}
