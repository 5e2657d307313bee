#include "poet/engine/plugins/decoders.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <system_error>
#include <thread>

#include "plugins/decoder_calls.h"
#include "plugins/decoder_descriptor.h"
#include "plugins/isolation.h"
#include "poet/engine/error.h"
#include "poet/engine/text/names.h"
#include "poet/engine/text/text.h"

namespace poet {
namespace {

bool valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find(separator, start)) != std::string_view::npos;
       start = end + 1) {
    parts.emplace_back(text.substr(start, end - start));
  }
  parts.emplace_back(text.substr(start));
  return parts;
}

DecoderParam read_param(const poet_param_info& info, std::string_view decoder) {
  if (info.name == nullptr || !valid_name(info.name)) {
    throw Error::plugin(fmt::format("decoder '{}' has a parameter with an invalid name", decoder));
  }
  DecoderParam param;
  param.name = info.name;
  param.help = printable(info.help != nullptr ? info.help : "");
  param.default_value = info.default_value;
  param.min_value = info.min_value;
  param.max_value = info.max_value;
  switch (info.type) {
    case POET_PARAM_INT:
      param.type = ParamType::integer;
      break;
    case POET_PARAM_REAL:
      param.type = ParamType::real;
      break;
    case POET_PARAM_BOOL:
      param.type = ParamType::boolean;
      param.min_value = 0;
      param.max_value = 1;
      break;
    case POET_PARAM_CHOICE:
      param.type = ParamType::choice;
      if (info.choices == nullptr || *info.choices == '\0') {
        throw Error::plugin(fmt::format("parameter '{}' is a choice with no choices", param.name));
      }
      param.choices = split(info.choices, '|');
      for (auto it = param.choices.begin(); it != param.choices.end(); ++it) {
        // A choice is typed and shown as it is: it must be one printable word.
        if (it->empty() || std::find(param.choices.begin(), it, *it) != it ||
            printable(*it) != *it || it->find(' ') != std::string::npos) {
          throw Error::plugin(fmt::format(
              "parameter '{}' has an empty, repeated or unprintable choice in '{}'", param.name,
              printable(info.choices)));
        }
      }
      param.min_value = 0;
      param.max_value = static_cast<double>(param.choices.size() - 1);
      break;
    default:
      throw Error::plugin(
          fmt::format("parameter '{}' has an unknown type {}", param.name, info.type));
  }
  // Only a finite number can be typed to `set` (and a plugin can do nothing sane with the rest).
  if (!std::isfinite(param.default_value) || !std::isfinite(param.min_value) ||
      !std::isfinite(param.max_value)) {
    throw Error::plugin(
        fmt::format("parameter '{}' has a default or a bound that is not finite", param.name));
  }
  if (!(param.min_value <= param.max_value) || !(param.default_value >= param.min_value) ||
      !(param.default_value <= param.max_value)) {
    throw Error::plugin(fmt::format("parameter '{}' has its default {} outside its range {} to {}",
                                    param.name, info.default_value, param.min_value,
                                    param.max_value));
  }
  // Only a whole number is shown and typed for these, so only one may be the default; up to
  // 2^53, where a double still holds every whole number.
  const auto whole = [](double value) {
    return value == std::floor(value) && std::fabs(value) <= 0x1p53;
  };
  if (param.type != ParamType::real &&
      !(whole(param.default_value) && whole(param.min_value) && whole(param.max_value))) {
    throw Error::plugin(
        fmt::format("parameter '{}' is a whole number, but its default {} or range {} to {} is not",
                    param.name, info.default_value, param.min_value, param.max_value));
  }
  return param;
}

}  // namespace

DecoderDescription read_descriptor(const poet_decoder& descriptor) {
  if (descriptor.abi_version < POET_DECODER_ABI_OLDEST ||
      descriptor.abi_version > POET_DECODER_ABI_VERSION) {
    throw Error::plugin(fmt::format(
        "it was built for decoder ABI version {}, but this poet speaks versions {} to {}",
        descriptor.abi_version, POET_DECODER_ABI_OLDEST, POET_DECODER_ABI_VERSION));
  }
  if (descriptor.name == nullptr || !valid_name(descriptor.name)) {
    throw Error::plugin("its name is missing or not made of a-z, 0-9 and '-'");
  }
  if (descriptor.decode == nullptr)
    throw Error::plugin(fmt::format("decoder '{}' has no decode()", descriptor.name));
  if (descriptor.param_count > 0 && descriptor.params == nullptr) {
    throw Error::plugin(fmt::format("decoder '{}' declares {} parameters but no table",
                                    descriptor.name, descriptor.param_count));
  }
  DecoderDescription description;
  description.name = descriptor.name;
  // Shown at the prompt: cleaned as a plugin's messages are.
  description.version = printable(descriptor.version != nullptr ? descriptor.version : "", 40);
  description.help = printable(descriptor.help != nullptr ? descriptor.help : "");
  description.streams = (descriptor.capabilities & POET_CAP_STREAMS) != 0;
  description.steps_heads = (descriptor.capabilities & POET_CAP_HEADS) != 0;
  // Bits that meant nothing before ABI 3 mean nothing from an older plugin.
  const std::uint32_t abi_3 = descriptor.abi_version >= 3 ? descriptor.capabilities : 0u;
  description.batches = (abi_3 & POET_CAP_BATCHES) != 0;
  description.seedless = (abi_3 & POET_CAP_SEEDLESS) != 0;
  for (std::size_t i = 0; i < descriptor.param_count; ++i) {
    DecoderParam param = read_param(descriptor.params[i], description.name);
    // `set NAME` could reach only the first of two.
    if (std::any_of(description.params.begin(), description.params.end(),
                    [&](const DecoderParam& earlier) { return earlier.name == param.name; })) {
      throw Error::plugin(fmt::format("decoder '{}' declares the parameter '{}' twice",
                                      description.name, param.name));
    }
    description.params.push_back(std::move(param));
  }
  return description;
}

DecoderDescription check_description(const DecoderDescription& description) {
  // Back into a descriptor as a plugin would give it, and through the one set of checks.
  std::vector<std::string> choices;
  for (const auto& param : description.params) {
    std::string joined;
    for (const auto& choice : param.choices) joined += (joined.empty() ? "" : "|") + choice;
    choices.push_back(std::move(joined));
  }
  std::vector<poet_param_info> params;
  for (std::size_t i = 0; i < description.params.size(); ++i) {
    const DecoderParam& param = description.params[i];
    params.push_back({param.name.c_str(), static_cast<int32_t>(param.type), param.default_value,
                      param.min_value, param.max_value, choices[i].c_str(), param.help.c_str()});
  }
  poet_decoder descriptor{};
  descriptor.abi_version = POET_DECODER_ABI_VERSION;
  descriptor.name = description.name.c_str();
  descriptor.version = description.version.c_str();
  descriptor.help = description.help.c_str();
  descriptor.capabilities = (description.streams ? POET_CAP_STREAMS : 0u) |
                            (description.steps_heads ? POET_CAP_HEADS : 0u) |
                            (description.batches ? POET_CAP_BATCHES : 0u) |
                            (description.seedless ? POET_CAP_SEEDLESS : 0u);
  descriptor.params = params.data();
  descriptor.param_count = params.size();
  // Never called: the checks only look at whether there is one.
  descriptor.decode = [](const poet_host*, const poet_request*, poet_state*) -> int32_t {
    return POET_ERROR;
  };
  DecoderDescription checked = read_descriptor(descriptor);
  checked.aliases = description.aliases;
  check_aliases(checked);
  for (std::size_t i = 0; i < checked.params.size(); ++i) checked.params[i].id = description.params[i].id;
  check_param_ids(checked);
  return checked;
}

void check_aliases(const DecoderDescription& description) {
  for (auto it = description.aliases.begin(); it != description.aliases.end(); ++it) {
    const auto refuse = [&](std::string_view why) {
      return Error::plugin(
          fmt::format("decoder '{}' has an alias '{}' {}", description.name, it->option, why));
    };
    if (!valid_name(it->option)) throw refuse("that is not made of a-z, 0-9 and '-'");
    const auto named = [&](const std::string& name) {
      return [&name](const DecoderParam& param) { return param.name == name; };
    };
    const auto& params = description.params;
    if (std::any_of(params.begin(), params.end(), named(it->option)))
      throw refuse("that is one of its parameters");
    if (std::none_of(params.begin(), params.end(), named(it->param)))
      throw refuse(fmt::format("for '{}', which is not one of its parameters", it->param));
    if (std::any_of(description.aliases.begin(), it,
                    [&](const OptionAlias& a) { return a.option == it->option; }))
      throw refuse("twice");
  }
}

namespace {

// What an ABI 3 plugin answers for the extension `id`, or null.
template <typename Extension>
const Extension* plugin_extension(const poet_decoder& descriptor, const char* id) {
  if (descriptor.abi_version < 3 || descriptor.get_extension == nullptr) return nullptr;
  return static_cast<const Extension*>(descriptor.get_extension(id));
}

}  // namespace

void read_param_ids(const poet_decoder& descriptor, DecoderDescription& description) {
  const auto* ids =
      plugin_extension<poet_plugin_param_ids>(descriptor, POET_PLUGIN_EXT_PARAM_IDS);
  if (ids == nullptr) return;
  if (ids->id_count != description.params.size() || (ids->id_count > 0 && ids->ids == nullptr)) {
    throw Error::plugin(fmt::format("decoder '{}' gives {} parameter ids for {} parameters",
                                    description.name, ids->id_count, description.params.size()));
  }
  for (std::size_t i = 0; i < ids->id_count; ++i) description.params[i].id = ids->ids[i];
  check_param_ids(description);
}

void check_param_ids(const DecoderDescription& description) {
  const auto& params = description.params;
  if (std::all_of(params.begin(), params.end(), [](const DecoderParam& p) { return p.id == 0; }))
    return;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].id == 0) {
      throw Error::plugin(fmt::format("decoder '{}' gives its parameter '{}' the id 0, which means none",
                                      description.name, params[i].name));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (params[j].id == params[i].id) {
        throw Error::plugin(fmt::format("decoder '{}' gives '{}' and '{}' one id, {}",
                                        description.name, params[j].name, params[i].name,
                                        params[i].id));
      }
    }
  }
}

std::vector<OptionAlias> read_aliases(const poet_decoder& descriptor) {
  const auto* options =
      plugin_extension<poet_plugin_options>(descriptor, POET_PLUGIN_EXT_OPTIONS);
  if (options == nullptr) return {};
  if (options->alias_count > 0 && options->aliases == nullptr)
    throw Error::plugin(fmt::format("decoder '{}' declares {} aliases but no table",
                                    descriptor.name, options->alias_count));
  std::vector<OptionAlias> aliases;
  for (std::size_t i = 0; i < options->alias_count; ++i) {
    const poet_option_alias& alias = options->aliases[i];
    if (alias.option == nullptr || alias.param == nullptr)
      throw Error::plugin(fmt::format("decoder '{}' has an alias without a name", descriptor.name));
    aliases.push_back({alias.option, alias.param});
  }
  return aliases;
}

// ---- parameters ----------------------------------------------------------------------------

std::string DecoderParam::accepted() const {
  switch (type) {
    case ParamType::integer:
      return fmt::format("a whole number from {} to {}", min_value, max_value);
    case ParamType::real:
      return fmt::format("a number from {} to {}", min_value, max_value);
    case ParamType::boolean:
      return "on or off";
    case ParamType::choice: {
      std::string text;
      for (std::size_t i = 0; i < choices.size(); ++i) {
        text += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
      }
      return text;
    }
  }
  return {};
}

double DecoderParam::parse(std::string_view text) const {
  const auto bad = [&] {
    return Error::input(fmt::format("{} must be {}, not '{}'", name, accepted(), text));
  };
  if (type == ParamType::boolean) {
    if (text == "on" || text == "true" || text == "1" || text == "yes") return 1;
    if (text == "off" || text == "false" || text == "0" || text == "no") return 0;
    throw bad();
  }
  if (type == ParamType::choice) {
    const auto it = std::find(choices.begin(), choices.end(), text);
    if (it == choices.end()) throw bad();
    return static_cast<double>(it - choices.begin());
  }
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value) ||
      value < min_value || value > max_value ||
      (type == ParamType::integer && value != std::floor(value))) {
    throw bad();
  }
  return value;
}

std::string DecoderParam::format(double value) const {
  switch (type) {
    case ParamType::integer:
      return fmt::format("{}", static_cast<long long>(value));
    case ParamType::real:
      return fmt::format("{}", value);
    case ParamType::boolean:
      return value != 0 ? "on" : "off";
    case ParamType::choice:
      return choices.at(static_cast<std::size_t>(value));
  }
  return {};
}

bool PluginConfig::isolates(std::string_view decoder, bool built_in) const {
  const auto listed = [&](const std::vector<std::string>& names) {
    return std::find(names.begin(), names.end(), decoder) != names.end();
  };
  if (listed(isolated)) return true;
  if (listed(in_process)) return false;
  return isolate == PluginIsolation::all || (isolate == PluginIsolation::outside && !built_in);
}

Decoder::Decoder() = default;
Decoder::~Decoder() = default;

const DecoderParam* Decoder::param(std::string_view name) const {
  const auto it =
      std::find_if(params_.begin(), params_.end(), [&](const auto& p) { return p.name == name; });
  return it == params_.end() ? nullptr : &*it;
}

const DecoderParam* Decoder::option(std::string_view name) const {
  if (const DecoderParam* own = param(name)) return own;
  const auto it = std::find_if(aliases_.begin(), aliases_.end(),
                               [&](const auto& a) { return a.option == name; });
  return it == aliases_.end() ? nullptr : param(it->param);
}

std::vector<double> Decoder::default_values() const {
  std::vector<double> values;
  for (const auto& param : params_) values.push_back(param.default_value);
  return values;
}

// ---- loading -------------------------------------------------------------------------------

DecoderSet::DecoderSet(std::vector<std::filesystem::path> folders,
                       std::optional<PluginPolicy> policy, std::vector<std::string> reserved_names)
    : folders_(std::move(folders)),
      policy_(std::move(policy)),
      reserved_names_(std::move(reserved_names)) {
  reload();
}

DecoderSet::~DecoderSet() = default;

// A "*.so" found in a folder, and what is known of it before it is loaded.
struct DecoderSet::PluginFile {
  std::filesystem::path file;
  bool built_in = false;
  // From outside poet's folder: what its runner read of the library's decoders.
  std::optional<std::vector<DecoderDescription>> probed;
  std::optional<std::string> refusal;        // why it cannot be loaded, known already
};

namespace {

// Why a path cannot be a plugin before it is opened at all (opening a FIFO would wait for a
// writer), or nothing.
std::optional<std::string> unreadable_as_plugin(const std::filesystem::path& file) {
  struct stat found {};
  if (::stat(file.c_str(), &found) != 0)
    return fmt::format("cannot be read: {}", std::generic_category().message(errno));
  if (S_ISREG(found.st_mode)) return std::nullopt;
  const char* kind = S_ISFIFO(found.st_mode)  ? "a FIFO"
                     : S_ISDIR(found.st_mode) ? "a folder"
                     : S_ISSOCK(found.st_mode) ? "a socket"
                                               : "a device";
  return fmt::format("is {}, not a regular file: a plugin is a shared library", kind);
}

constexpr std::size_t kProbesAtOnce = 8;

}  // namespace

// Several at once: each probe mostly waits for its runner.
void DecoderSet::probe_all(std::vector<PluginFile*> files, const PluginPolicy& policy) {
  std::atomic<std::size_t> next{0};
  const auto probe = [&] {
    for (std::size_t i; (i = next++) < files.size();) {
      try {
        files[i]->probed = probe_plugin(policy.runner, files[i]->file, policy.config.limits);
      } catch (const std::exception& refusal) {
        files[i]->refusal = refusal.what();
      }
    }
  };
  std::vector<std::thread> probes;
  try {
    for (std::size_t i = 1; i < std::min(files.size(), kProbesAtOnce); ++i) probes.emplace_back(probe);
  } catch (const std::system_error&) {
    // No more threads to be had: fewer probe at once.
  }
  probe();  // this thread too
  for (auto& thread : probes) thread.join();
}

void DecoderSet::reload() {
  // Let go of the old libraries first, so a rebuilt file at the same path is read afresh.
  decoders_.clear();
  refused_.clear();
  std::vector<PluginFile> found;
  for (std::size_t i = 0; i < folders_.size(); ++i) {
    const auto& folder = folders_[i];
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error)) {
      found.push_back({folder, false, std::nullopt, "no such folder"});
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
      if (entry.path().extension() == ".so") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    const bool built_in = policy_ && i < policy_->built_in_folders;
    for (auto& file : files) {
      auto refusal = unreadable_as_plugin(file);
      found.push_back({std::move(file), built_in, std::nullopt, std::move(refusal)});
    }
  }
  if (policy_) {
    std::vector<PluginFile*> outside;
    for (auto& file : found) {
      if (!file.built_in && !file.refusal) outside.push_back(&file);
    }
    probe_all(std::move(outside), *policy_);
  }
  for (const auto& file : found) load_file(file);
}

std::vector<OpenedPlugin> open_library(const std::filesystem::path& file) {
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) throw Error::plugin(fmt::format("cannot be loaded: {}", printable(::dlerror())));
  std::shared_ptr<void> library(handle, [](void* h) { ::dlclose(h); });
  void* symbol = ::dlsym(handle, POET_DECODER_ENTRY_NAME);
  if (symbol == nullptr) {
    throw Error::plugin(
        fmt::format("exports no '{}': it is not a poet decoder", POET_DECODER_ENTRY_NAME));
  }
  const poet_decoder* entry = reinterpret_cast<poet_decoder_entry_fn>(symbol)();
  if (entry == nullptr)
    throw Error::plugin(fmt::format("its {}() returned no decoder", POET_DECODER_ENTRY_NAME));
  std::vector<const poet_decoder*> descriptors{entry};
  if (const auto* factory = plugin_extension<poet_plugin_factory>(*entry, POET_PLUGIN_EXT_FACTORY)) {
    if (factory->decoder_count > kMostInFactory) {
      throw Error::plugin(fmt::format("its factory lists {} decoders, more than the {} a library may hold",
                                      factory->decoder_count, kMostInFactory));
    }
    if (factory->decoder_count > 0 && factory->decoders == nullptr) {
      throw Error::plugin(fmt::format("its factory lists {} decoders but gives no table",
                                      factory->decoder_count));
    }
    descriptors.insert(descriptors.end(), factory->decoders, factory->decoders + factory->decoder_count);
  }
  std::vector<OpenedPlugin> decoders;
  for (std::size_t i = 0; i < descriptors.size(); ++i) {
    if (descriptors[i] == nullptr)
      throw Error::plugin(fmt::format("its factory gives no decoder {} of {}", i + 1, descriptors.size()));
    DecoderDescription description = read_descriptor(*descriptors[i]);
    description.aliases = read_aliases(*descriptors[i]);
    check_aliases(description);
    read_param_ids(*descriptors[i], description);
    decoders.push_back({library, descriptors[i], std::move(description)});
  }
  return decoders;
}

void start_plugin(const OpenedPlugin& plugin) {
  if (plugin.descriptor->init == nullptr) return;
  if (const char* message = plugin.descriptor->init()) {
    throw Error::plugin(
        fmt::format("decoder '{}' could not start: {}", plugin.description.name, printable(message)));
  }
}

// A parameter or alias named like one of the commands' own options could never be given there.
void DecoderSet::refuse_reserved(const DecoderDescription& description) const {
  const auto reserved = [&](const std::string& name) {
    return std::find(reserved_names_.begin(), reserved_names_.end(), name) != reserved_names_.end();
  };
  for (const auto& param : description.params) {
    if (reserved(param.name)) {
      throw Error::plugin(fmt::format(
          "decoder '{}' has a parameter '{}', but that name is one of gen's own options",
          description.name, param.name));
    }
  }
  for (const auto& alias : description.aliases) {
    if (reserved(alias.option)) {
      throw Error::plugin(
          fmt::format("decoder '{}' has an alias '{}', but that name is one of gen's own options",
                      description.name, alias.option));
    }
  }
}

void DecoderSet::load_file(const PluginFile& found) {
  const auto& file = found.file;
  const bool built_in = found.built_in;
  if (found.refusal) {
    refused_.push_back({file, *found.refusal});
    return;
  }
  try {
    std::vector<DecoderDescription> descriptions;
    std::vector<OpenedPlugin> opened;  // the library's decoders, once read in poet's process
    if (found.probed) {
      // A file from outside poet's folder was read first where a crash costs nothing.
      descriptions = *found.probed;
    } else {
      opened = open_library(file);
      for (const OpenedPlugin& plugin : opened) descriptions.push_back(plugin.description);
    }
    // A probed library some of whose decoders run in poet's process after all ([plugins]).
    const auto in_process = [&](std::size_t index) -> const OpenedPlugin& {
      if (opened.empty()) opened = open_library(file);
      if (index >= opened.size()) throw Error::plugin("it has changed since it was probed");
      return opened[index];
    };
    // A library's decoders load together or not at all.
    std::vector<std::shared_ptr<const Decoder>> library;
    for (std::size_t index = 0; index < descriptions.size(); ++index) {
      DecoderDescription& description = descriptions[index];
      for (const auto* loaded : {&decoders_, &library}) {
        for (const auto& decoder : *loaded) {
          if (decoder->name() == description.name) {
            throw Error::plugin(fmt::format("a decoder named '{}' is already loaded from {}",
                                            description.name, decoder->file().string()));
          }
        }
      }
      refuse_reserved(description);
      auto decoder = std::make_shared<Decoder>();
      if (policy_ && policy_->config.isolates(description.name, built_in)) {
        decoder->isolated_ = std::make_unique<IsolatedDecoder>(policy_->runner, file, index,
                                                               description.name, description.params,
                                                               policy_->config.limits);
      } else {
        const OpenedPlugin& plugin = in_process(index);
        start_plugin(plugin);
        decoder->descriptor_ = normalised_descriptor(*plugin.descriptor);
        decoder->batches_ = description.batches;  // only in poet's process
        decoder->library_ = plugin.library;
      }
      decoder->name_ = std::move(description.name);
      decoder->version_ = std::move(description.version);
      decoder->help_ = std::move(description.help);
      decoder->file_ = file;
      decoder->streams_ = description.streams;
      decoder->steps_heads_ = description.steps_heads;
      decoder->seedless_ = description.seedless;
      decoder->params_ = std::move(description.params);
      decoder->aliases_ = std::move(description.aliases);
      library.push_back(std::move(decoder));
    }
    decoders_.insert(decoders_.end(), library.begin(), library.end());
  } catch (const Error& refusal) {
    refused_.push_back({file, refusal.what()});
  }
}

// Reaches the instance a Decoder keeps for run_decoder.
struct DecoderRun {
  static int32_t run(const Decoder& decoder, DecoderCalls& calls, poet_request& request,
                     std::uint64_t model_serial, poet_state* result,
                     const std::atomic<bool>* cancel) {
    if (decoder.isolated_) {
      return decoder.isolated_->decode(calls, request, model_serial, result, cancel);
    }
    const HostTable table(calls);
    std::unique_lock lock(decoder.instance_mutex_);
    if (!decoder.instance_) decoder.instance_ = std::make_unique<DecoderInstance>(decoder.descriptor_);
    const int32_t status = decoder.instance_->prepare(table.host(), model_serial);
    if (status != POET_OK) return status;
    // A decoder that batches writes several poems at once with one instance; any other, one.
    if (decoder.batches_) lock.unlock();
    return decoder.instance_->decode(table.host(), &request, result);
  }

  static float* row_slot(const Decoder& decoder, poet_state state) {
    return decoder.isolated_ ? decoder.isolated_->row_slot(state) : nullptr;
  }
};

int32_t run_decoder(const Decoder& decoder, DecoderCalls& calls, poet_request& request,
                    std::uint64_t model_serial, poet_state* result,
                    const std::atomic<bool>* cancel) {
  return DecoderRun::run(decoder, calls, request, model_serial, result, cancel);
}

float* row_slot(const Decoder& decoder, poet_state state) {
  return DecoderRun::row_slot(decoder, state);
}

std::shared_ptr<const Decoder> DecoderSet::find(std::string_view name) const {
  const auto it = std::find_if(decoders_.begin(), decoders_.end(),
                               [&](const auto& d) { return d->name() == name; });
  return it == decoders_.end() ? nullptr : *it;
}

std::vector<std::string_view> DecoderSet::names() const {
  std::vector<std::string_view> names;
  for (const auto& decoder : decoders_) names.push_back(decoder->name());
  return names;
}

std::vector<std::filesystem::path> decoder_folders(
    const std::vector<std::filesystem::path>& plugin_dirs) {
  std::vector<std::filesystem::path> folders;
  std::error_code error;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error)
    folders.push_back((executable.parent_path() / POET_DECODER_RELATIVE_DIR).lexically_normal());
  folders.insert(folders.end(), plugin_dirs.begin(), plugin_dirs.end());
  if (const char* path = std::getenv("POET_PLUGIN_PATH"); path != nullptr && *path != '\0') {
    for (const auto& folder : split(path, ':')) {
      if (!folder.empty()) folders.emplace_back(folder);
    }
  }
  return folders;
}

}  // namespace poet
