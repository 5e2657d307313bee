// poet.toml, the configuration a user writes: parsed and checked as `train --config` does.
#include "poet/engine/config/config.h"

#include <cstdint>
#include <string_view>

#include "poet/engine/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    poet::parse_config({reinterpret_cast<const char*>(data), size}, "fuzz.toml");
  } catch (const poet::Error&) {
  }
  return 0;
}
