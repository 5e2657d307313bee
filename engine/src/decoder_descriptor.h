#pragma once
// The checks a plugin's descriptor must pass before poet uses it (internal to the engine): the
// loader runs them on every plugin, and tests/fuzz runs them on arbitrary descriptors.

#include <stdexcept>
#include <string>
#include <vector>

#include "poet/decoder.h"
#include "poet/engine/decoders.h"

namespace poet {

// Why a plugin is refused: one line.
struct PluginRefusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a descriptor says, once checked.
struct DecoderDescription {
  std::string name, version, help;
  bool streams = false;
  bool writes_acrostics = false;
  std::vector<DecoderParam> params;
};

// Checks the ABI version, the name, decode() and the parameter table (each parameter's name,
// type, range, default and choices); throws PluginRefusal naming the first problem. Calls none
// of the plugin's functions.
DecoderDescription read_descriptor(const poet_decoder& descriptor);

}  // namespace poet
