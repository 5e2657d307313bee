#pragma once
// The checks a plugin's descriptor must pass before poet uses it (internal to the engine): the
// loader runs them on every plugin, and tests/fuzz runs them on arbitrary descriptors.

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "poet/decoder.h"
#include "poet/decoder_ext.h"
#include "poet/engine/plugins/decoders.h"

namespace poet {

// What a descriptor says, once checked.
struct DecoderDescription {
  std::string name, version, help;
  bool streams = false;
  bool steps_heads = false;
  bool batches = false;   // POET_CAP_BATCHES, from ABI 3
  bool seedless = false;  // POET_CAP_SEEDLESS, from ABI 3
  std::vector<DecoderParam> params;
  std::vector<OptionAlias> aliases;
};

// Checks the ABI version, the name, decode() and the parameter table (each parameter's name,
// type, range, default and choices); throws Error::plugin naming the first problem. Calls none
// of the plugin's functions, so it leaves the aliases out.
DecoderDescription read_descriptor(const poet_decoder& descriptor);
// The aliases an ABI 3 plugin declares (poet.options/1), unchecked: this calls its
// get_extension().
std::vector<OptionAlias> read_aliases(const poet_decoder& descriptor);
// Throws Error::plugin unless every alias is a name of its own that names one of the parameters.
void check_aliases(const DecoderDescription& description);
// Sets each parameter's id from what an ABI 3 plugin declares (poet.param-ids/1), through its
// get_extension(), and checks them (check_param_ids).
void read_param_ids(const poet_decoder& descriptor, DecoderDescription& description);
// Throws Error::plugin unless the ids are all 0 (none declared) or distinct and none 0.
void check_param_ids(const DecoderDescription& description);
// The same checks on a description that another process read (poet-decoder-runner, where the
// plugin's own code ran and could have spoilt it): poet trusts nothing it did not check itself.
DecoderDescription check_description(const DecoderDescription& description);

// A plugin file loaded and its descriptor checked, its init() not run yet.
struct OpenedPlugin {
  std::shared_ptr<void> library;  // the dlopen handle, closed when the last copy goes
  const poet_decoder* descriptor = nullptr;
  DecoderDescription description;
};

// The most decoders a factory may list beyond its entry's: more is a plugin's mistake.
inline constexpr std::size_t kMostInFactory = 64;

// dlopen()s a plugin and reads the descriptors of its decoders, in order: the one its entry returns,
// then those its factory lists (POET_PLUGIN_EXT_FACTORY); throws Error::plugin saying why the
// library cannot be used, for the first decoder that cannot.
std::vector<OpenedPlugin> open_library(const std::filesystem::path& file);
// Runs the plugin's init(), if it has one; throws Error::plugin with the reason it gives.
void start_plugin(const OpenedPlugin& plugin);

}  // namespace poet
