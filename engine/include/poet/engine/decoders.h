#pragma once
// Decoder plugins: finding, loading and describing the shared libraries that choose a poem's
// characters (plugins/include/poet/decoder.h is their ABI). A plugin that cannot be used is
// refused with a reason, never loaded half-way, and never takes poet down.

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "poet/decoder.h"

namespace poet {

class DecoderInstance;

// The names of gen's and acrostic's own options (--form, -n, ...), in the order their usage shows
// them. A decoder parameter of one of these names could never be given on their command line, so
// a plugin that declares one is refused.
inline constexpr std::string_view kReservedParamNames[] = {
    "decoder", "form", "mood", "seed", "n", "beam", "rhyme", "tones", "rhyme-book"};

enum class ParamType { integer, real, boolean, choice };

struct DecoderParam {
  std::string name;
  ParamType type = ParamType::real;
  double default_value = 0;
  double min_value = 0;
  double max_value = 0;
  std::vector<std::string> choices;  // ParamType::choice: the value is an index into these
  std::string help;

  // Reads a value as typed at the prompt ("0.8", "on", "beam"); throws EngineError saying what
  // this parameter accepts.
  double parse(std::string_view text) const;
  // The value as the prompt shows it.
  std::string format(double value) const;
  // "a number from 0.05 to 5", "on or off", "greedy, sample or beam", ...
  std::string accepted() const;
};

// One loaded plugin. It keeps its library loaded for as long as anyone holds it.
class Decoder {
 public:
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& help() const { return help_; }
  const std::filesystem::path& file() const { return file_; }
  bool streams() const { return streams_; }
  bool writes_acrostics() const { return writes_acrostics_; }
  const std::vector<DecoderParam>& params() const { return params_; }
  const DecoderParam* param(std::string_view name) const;
  std::vector<double> default_values() const;

  // The plugin's descriptor in this ABI's layout (normalised_descriptor in decoder_calls.h).
  const poet_decoder& descriptor() const { return descriptor_; }

  Decoder();
  ~Decoder();

 private:
  friend class DecoderSet;
  friend struct DecoderRun;
  std::shared_ptr<void> library_;  // the dlopen handle; closed after the last holder lets go
  poet_decoder descriptor_{};
  // The plugin's instance: made on its first poem, destroyed before the library is closed. One
  // poem at a time uses it.
  mutable std::unique_ptr<DecoderInstance> instance_;
  mutable std::mutex instance_mutex_;
  std::string name_, version_, help_;
  std::filesystem::path file_;
  bool streams_ = false;
  bool writes_acrostics_ = false;
  std::vector<DecoderParam> params_;
};

struct RefusedPlugin {
  std::filesystem::path file;
  std::string reason;  // one line: "ABI version 2, but this poet speaks version 1"
};

// The decoders found in a list of folders, the first folder first. Every "*.so" in them is
// tried; a name already loaded from an earlier file is refused.
class DecoderSet {
 public:
  explicit DecoderSet(std::vector<std::filesystem::path> folders);

  // Loads (again) every plugin in the folders: a rebuilt plugin is picked up without restarting.
  void reload();

  const std::vector<std::filesystem::path>& folders() const { return folders_; }
  const std::vector<std::shared_ptr<const Decoder>>& decoders() const { return decoders_; }
  const std::vector<RefusedPlugin>& refused() const { return refused_; }
  std::shared_ptr<const Decoder> find(std::string_view name) const;
  std::vector<std::string_view> names() const;

 private:
  void load_file(const std::filesystem::path& file);

  std::vector<std::filesystem::path> folders_;
  std::vector<std::shared_ptr<const Decoder>> decoders_;
  std::vector<RefusedPlugin> refused_;
};

// Where poet looks, in order: the built-in decoders installed beside the executable
// (../lib/poet/decoders from its folder, in the build tree as after installing), each
// --plugin-dir, then each folder of POET_PLUGIN_PATH (separated by ':').
std::vector<std::filesystem::path> decoder_folders(
    const std::vector<std::filesystem::path>& plugin_dirs);

}  // namespace poet
