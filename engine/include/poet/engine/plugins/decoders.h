#pragma once
// Decoder plugins: finding, loading and describing the shared libraries that choose a poem's
// characters (plugins/include/poet/decoder.h is their ABI). A plugin that cannot be used is
// refused with a reason, never loaded half-way, and never takes poet down.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "poet/decoder.h"

namespace poet {

class DecoderInstance;
class IsolatedDecoder;
struct DecoderDescription;

// Which decoder plugins run in a process of their own, where a crash, a hang or a runaway
// allocation costs only that process, and what each such process may take.
enum class PluginIsolation {
  outside,  // the plugins of --plugin-dir and POET_PLUGIN_PATH; the built-in ones run in poet
  all,
  none
};

// What each isolated plugin's process may take (memory_limit, silence_limit).
// The least memory_limit a plugin's process can load in: the C library, the runner and a plugin.
inline constexpr std::uint64_t kLeastPluginMemory = 32'000'000;  // "32M"

struct IsolationLimits {
  std::uint64_t memory_bytes = 1'000'000'000;  // address space ("1G")
  std::chrono::milliseconds silence{60'000};   // this long without a call to poet, it is stopped
};

// poet.toml's [plugins].
struct PluginConfig {
  PluginIsolation isolate = PluginIsolation::outside;
  std::vector<std::string> in_process;  // decoders by name, whatever `isolate` says
  std::vector<std::string> isolated;
  IsolationLimits limits;

  // Whether the decoder of this name runs isolated; `built_in`: it was found beside poet.
  bool isolates(std::string_view decoder, bool built_in) const;
};

enum class ParamType { integer, real, boolean, choice };

struct DecoderParam {
  std::string name;
  // The plugin's stable id for it (poet.param-ids/1), or 0: what a setting is kept under, so that
  // a rebuilt plugin may rename or reorder its parameters.
  std::uint32_t id = 0;
  ParamType type = ParamType::real;
  double default_value = 0;
  double min_value = 0;
  double max_value = 0;
  std::vector<std::string> choices;  // ParamType::choice: the value is an index into these
  std::string help;

  // Reads a value as typed at the prompt ("0.8", "on", "beam"); throws poet::Error saying what
  // this parameter accepts.
  double parse(std::string_view text) const;
  // The value as the prompt shows it.
  std::string format(double value) const;
  // "a number from 0.05 to 5", "on or off", "greedy, sample or beam", ...
  std::string accepted() const;
};

// A short option the prompt offers for a parameter: `--beam 8` sets beam's "width" (the plugin's
// poet.options/1 extension).
struct OptionAlias {
  std::string option;  // "beam"
  std::string param;   // "width"
};

// One loaded plugin. It keeps its library loaded for as long as anyone holds it.
class Decoder {
 public:
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& help() const { return help_; }
  const std::filesystem::path& file() const { return file_; }
  bool streams() const { return streams_; }
  // It steps an acrostic's heads itself (POET_CAP_HEADS, from before ABI 3); the host writes them
  // for every other decoder.
  bool steps_heads() const { return steps_heads_; }
  // Runs in poet and may write several poems at once (POET_CAP_BATCHES): write_poems steps them
  // together.
  bool batches() const { return batches_; }
  // Never draws a random number (POET_CAP_SEEDLESS): every seed writes the same poem, so one
  // candidate is all best-of needs.
  bool seedless() const { return seedless_; }
  // In a process of its own (poet-decoder-runner), where a crash or hang costs only its poem.
  bool isolated() const { return isolated_ != nullptr; }
  const std::vector<DecoderParam>& params() const { return params_; }
  const DecoderParam* param(std::string_view name) const;
  const std::vector<OptionAlias>& aliases() const { return aliases_; }
  // The parameter an option sets: the parameter of that name, or the one an alias names.
  const DecoderParam* option(std::string_view name) const;
  std::vector<double> default_values() const;

  Decoder();
  ~Decoder();

 private:
  friend class DecoderSet;
  friend struct DecoderRun;
  std::shared_ptr<void> library_;  // the dlopen handle; closed after the last holder lets go
  // The plugin's descriptor in this ABI's layout (normalised_descriptor in decoder_calls.h);
  // empty for an isolated decoder, whose library poet never loads.
  poet_decoder descriptor_{};
  // The plugin's instance: made on its first poem, destroyed before the library is closed. One
  // poem at a time uses it.
  mutable std::unique_ptr<DecoderInstance> instance_;
  mutable std::mutex instance_mutex_;
  std::unique_ptr<IsolatedDecoder> isolated_;  // instead of library_ and an instance
  std::string name_, version_, help_;
  std::filesystem::path file_;
  bool streams_ = false;
  bool steps_heads_ = false;
  bool batches_ = false;
  bool seedless_ = false;
  std::vector<DecoderParam> params_;
  std::vector<OptionAlias> aliases_;
};

struct RefusedPlugin {
  std::filesystem::path file;
  std::string reason;  // one line: "ABI version 2, but this poet speaks version 1"
};

// Which plugins run in a process of their own, and how that process is held.
struct PluginPolicy {
  PluginConfig config;               // poet.toml's [plugins]
  std::size_t built_in_folders = 1;  // the first folders hold poet's own decoders
  std::filesystem::path runner;      // poet-decoder-runner (decoder_runner())
};

// The decoders found in a list of folders, the first folder first. Every "*.so" in them is
// tried (one that is not a regular file, a FIFO say, is refused unread); a name already loaded
// from an earlier file is refused. Without a policy every plugin is loaded into poet's process;
// with one, every file from outside poet's own folder is first probed in a runner, several at
// once, so a damaged one costs a process, never poet, and a slow one holds up start-up for at
// most the silence limit; the policy says which then stay isolated.
// `reserved_names`: the options of the commands that write with decoders (the prompt's --form,
// --seed, ...), which no parameter or alias may take, since it could never be given there.
class DecoderSet {
 public:
  explicit DecoderSet(std::vector<std::filesystem::path> folders,
                      std::optional<PluginPolicy> policy = std::nullopt,
                      std::vector<std::string> reserved_names = {});
  ~DecoderSet();

  // Loads (again) every plugin in the folders: a rebuilt plugin is picked up without restarting.
  void reload();

  const std::vector<std::filesystem::path>& folders() const { return folders_; }
  const std::vector<std::shared_ptr<const Decoder>>& decoders() const { return decoders_; }
  const std::vector<RefusedPlugin>& refused() const { return refused_; }
  std::shared_ptr<const Decoder> find(std::string_view name) const;
  std::vector<std::string_view> names() const;

 private:
  struct PluginFile;
  static void probe_all(std::vector<PluginFile*> files, const PluginPolicy& policy);
  void load_file(const PluginFile& found);
  void refuse_reserved(const DecoderDescription& description) const;

  std::vector<std::filesystem::path> folders_;
  std::optional<PluginPolicy> policy_;
  std::vector<std::string> reserved_names_;
  std::vector<std::shared_ptr<const Decoder>> decoders_;
  std::vector<RefusedPlugin> refused_;
};

// Where poet looks, in order: the built-in decoders installed beside the executable
// (../lib/poet/decoders from its folder, in the build tree as after installing), each
// --plugin-dir, then each folder of POET_PLUGIN_PATH (separated by ':').
std::vector<std::filesystem::path> decoder_folders(
    const std::vector<std::filesystem::path>& plugin_dirs);

// poet-decoder-runner, the program an isolated plugin runs in: lib/poet/ relative to poet's own
// executable, in the build tree as after installing.
std::filesystem::path decoder_runner();

}  // namespace poet
