#include "poet/engine/config/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <vector>

#include "poet/engine/error.h"
#include "poet/engine/files/files.h"
#include "poet/engine/files/limits.h"
#include "poet/engine/text/names.h"

namespace poet {
namespace {

std::string where(const std::string& source, const toml::source_region& region) {
  return fmt::format("{}:{}:{}", source, region.begin.line, region.begin.column);
}

template <typename T>
T value_of(const toml::node& node, const std::string& source, std::string_view key) {
  if constexpr (std::is_same_v<T, double>) {
    if (const auto integer = node.value_exact<std::int64_t>()) return static_cast<double>(*integer);
  }
  if (const auto value = node.value_exact<T>()) return *value;
  static constexpr std::string_view kType =
      std::is_same_v<T, std::string> ? "a string"
      : std::is_same_v<T, double>    ? "a number"
      : std::is_same_v<T, bool>      ? "true or false"
                                     : "an integer";
  throw Error::input(fmt::format("{}: {} must be {}", where(source, node.source()), key, kType));
}

// One known key: its name and how it sets the configuration from a TOML value.
struct Key {
  std::string_view name;
  std::function<void(Config&, const toml::node&, const std::string& source)> set;
};

// A number of type T (an integer type or double), checked against T's range.
template <typename T>
T number_of(const toml::node& node, const std::string& source, std::string_view key) {
  if constexpr (std::is_floating_point_v<T>) {
    return value_of<double>(node, source, key);
  } else {
    const auto value = value_of<std::int64_t>(node, source, key);
    if constexpr (std::is_unsigned_v<T>) {
      if (value < 0)
        throw Error::input(
            fmt::format("{}: {} must not be negative", where(source, node.source()), key));
    } else if (value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max()) {
      throw Error::input(fmt::format("{}: {} is out of range", where(source, node.source()), key));
    }
    return static_cast<T>(value);
  }
}

template <typename T>
Key number_key(std::string_view name, T& (*field)(Config&)) {
  return {name, [name, field](Config& config, const toml::node& node, const std::string& source) {
            field(config) = number_of<T>(node, source, name);
          }};
}

// A key whose value is one of a few names.
template <typename T>
Key choice_key(std::string_view name, T& (*field)(Config&), std::optional<T> (*parse)(std::string_view),
               std::string_view choices) {
  return {name, [=](Config& config, const toml::node& node, const std::string& source) {
            const auto text = value_of<std::string>(node, source, name);
            const auto value = parse(text);
            if (!value) {
              throw Error::input(fmt::format("{}: {} must be {}, not \"{}\"",
                                             where(source, node.source()), name, choices, text));
            }
            field(config) = *value;
          }};
}

const std::vector<Key>& model_keys() {
  static const std::vector<Key> keys = {
      choice_key<CellType>("cell", [](Config& c) -> CellType& { return c.model.cell; }, parse_cell,
                           "\"rnn\", \"lstm\" or \"gru\""),
      number_key<int>("embedding_size", [](Config& c) -> int& { return c.model.embedding_size; }),
      number_key<int>("hidden_size", [](Config& c) -> int& { return c.model.hidden_size; }),
      number_key<int>("layers", [](Config& c) -> int& { return c.model.layers; }),
      number_key<double>("dropout", [](Config& c) -> double& { return c.model.dropout; }),
      {"adaptive_cutoffs",
       [](Config& config, const toml::node& node, const std::string& source) {
         const auto* array = node.as_array();
         if (array == nullptr) {
           throw Error::input(fmt::format(
               "{}: adaptive_cutoffs must be an array of integers, [] for a full softmax",
               where(source, node.source())));
         }
         config.model.adaptive_cutoffs.clear();
         for (const auto& element : *array) {
           config.model.adaptive_cutoffs.push_back(number_of<int>(element, source, "adaptive_cutoffs"));
         }
       }},
      {"position_inputs",
       [](Config& config, const toml::node& node, const std::string& source) {
         config.model.position_inputs = value_of<bool>(node, source, "position_inputs");
       }},
      {"metre_inputs",
       [](Config& config, const toml::node& node, const std::string& source) {
         config.model.metre_inputs = value_of<bool>(node, source, "metre_inputs");
       }},
      number_key<int>("position_embedding_size",
                      [](Config& c) -> int& { return c.model.position_embedding_size; }),
  };
  return keys;
}

const std::vector<Key>& train_keys() {
  static const std::vector<Key> keys = {
      choice_key<OptimizerKind>(
          "optimizer", [](Config& c) -> OptimizerKind& { return c.train.optimizer; },
          parse_optimizer, "\"adam\", \"adamw\" or \"rmsprop\""),
      number_key<double>("learning_rate",
                         [](Config& c) -> double& { return c.train.learning_rate; }),
      number_key<double>("final_learning_rate",
                         [](Config& c) -> double& { return c.train.final_learning_rate; }),
      number_key<std::int64_t>("warmup_steps",
                               [](Config& c) -> std::int64_t& { return c.train.warmup_steps; }),
      number_key<double>("clip_norm", [](Config& c) -> double& { return c.train.clip_norm; }),
      number_key<int>("batch_size", [](Config& c) -> int& { return c.train.batch_size; }),
      number_key<int>("max_length", [](Config& c) -> int& { return c.train.max_length; }),
      number_key<int>("min_count", [](Config& c) -> int& { return c.train.min_count; }),
      number_key<int>("epochs", [](Config& c) -> int& { return c.train.epochs; }),
      number_key<std::int64_t>("steps", [](Config& c) -> std::int64_t& { return c.train.steps; }),
      number_key<std::int64_t>("eval_every",
                               [](Config& c) -> std::int64_t& { return c.train.eval_every; }),
      number_key<std::int64_t>("checkpoint_every",
                               [](Config& c) -> std::int64_t& { return c.train.checkpoint_every; }),
      number_key<std::int64_t>("log_every",
                               [](Config& c) -> std::int64_t& { return c.train.log_every; }),
      number_key<std::uint64_t>("seed", [](Config& c) -> std::uint64_t& { return c.train.seed; }),
      number_key<int>("threads", [](Config& c) -> int& { return c.train.threads; }),
      number_key<double>("metre_dropout",
                         [](Config& c) -> double& { return c.train.metre_dropout; }),
      number_key<double>("weight_decay", [](Config& c) -> double& { return c.train.weight_decay; }),
  };
  return keys;
}

std::optional<PluginIsolation> parse_isolation(std::string_view text) {
  if (text == "outside") return PluginIsolation::outside;
  if (text == "all") return PluginIsolation::all;
  if (text == "none") return PluginIsolation::none;
  return std::nullopt;
}

// A list of decoder names.
Key names_key(std::string_view name, std::vector<std::string>& (*field)(Config&)) {
  return {name, [name, field](Config& config, const toml::node& node, const std::string& source) {
            const auto* array = node.as_array();
            if (array == nullptr) {
              throw Error::input(fmt::format("{}: {} must be an array of decoder names",
                                             where(source, node.source()), name));
            }
            field(config).clear();
            for (const auto& element : *array) {
              field(config).push_back(value_of<std::string>(element, source, name));
            }
          }};
}

const std::vector<Key>& plugin_keys() {
  static const std::vector<Key> keys = {
      choice_key<PluginIsolation>("isolate", [](Config& c) -> PluginIsolation& { return c.plugins.isolate; },
                                  parse_isolation, "\"outside\", \"all\" or \"none\""),
      names_key("in_process", [](Config& c) -> std::vector<std::string>& { return c.plugins.in_process; }),
      names_key("isolated", [](Config& c) -> std::vector<std::string>& { return c.plugins.isolated; }),
      {"memory_limit",
       [](Config& config, const toml::node& node, const std::string& source) {
         // Bytes as an integer, or a size as POET_MEMORY_LIMIT takes it.
         const std::optional<std::uint64_t> bytes =
             node.is_integer() ? std::optional<std::uint64_t>(number_of<std::uint64_t>(node, source, "memory_limit"))
             : node.is_string() ? parse_size(*node.value<std::string>())
                                : std::nullopt;
         if (!bytes || *bytes == 0) {
           throw Error::input(fmt::format(
               "{}: memory_limit must be a size such as 1000000000, \"1000M\", \"1 GB\" or "
               "\"1GiB\"",
               where(source, node.source())));
         }
         if (*bytes < kLeastPluginMemory) {
           throw Error::input(fmt::format(
               "{}: memory_limit must be at least \"32M\", the least a plugin's process loads in",
               where(source, node.source())));
         }
         config.plugins.limits.memory_bytes = *bytes;
       }},
      {"silence_limit",
       [](Config& config, const toml::node& node, const std::string& source) {
         const double seconds = number_of<double>(node, source, "silence_limit");
         if (!(seconds >= 0.001 && seconds <= 1e6)) {
           throw Error::input(fmt::format("{}: silence_limit must be 0.001 to 1000000 seconds",
                                          where(source, node.source())));
         }
         config.plugins.limits.silence = std::chrono::milliseconds(std::llround(seconds * 1000));
       }},
  };
  return keys;
}

struct Section {
  std::string_view name;
  const std::vector<Key>& (*keys)();
};

constexpr Section kSections[] = {{"model", model_keys}, {"train", train_keys}, {"plugins", plugin_keys}};

template <typename Named>
std::vector<std::string_view> names_of(const Named& items) {
  std::vector<std::string_view> names;
  for (const auto& item : items) names.push_back(item.name);
  return names;
}

}  // namespace

Config parse_config(std::string_view text, const std::string& source_name) {
  toml::table table;
  try {
    table = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    throw Error::input(
        fmt::format("{}: {}", where(source_name, error.source()), error.description()));
  }
  Config config;
  for (const auto& [section_name, section_node] : table) {
    // By name, not by the binding: C++17 lambdas cannot capture structured bindings.
    const std::string_view wanted_section = section_name.str();
    const auto section = std::find_if(std::begin(kSections), std::end(kSections),
                                      [&](const Section& s) { return s.name == wanted_section; });
    if (section == std::end(kSections)) {
      throw Error::input(fmt::format("{}: unknown section [{}]{}",
                                     where(source_name, section_name.source()), section_name.str(),
                                     did_you_mean(section_name.str(), names_of(kSections))));
    }
    const auto* entries = section_node.as_table();
    if (entries == nullptr) {
      throw Error::input(fmt::format("{}: {} must be a [{}] section",
                                     where(source_name, section_node.source()), section_name.str(),
                                     section_name.str()));
    }
    const auto& keys = section->keys();
    for (const auto& [key_name, value] : *entries) {
      const std::string_view wanted_key = key_name.str();
      const auto key = std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == wanted_key; });
      if (key == keys.end()) {
        throw Error::input(fmt::format(
            "{}: unknown key '{}' in [{}]{}", where(source_name, key_name.source()), key_name.str(),
            section_name.str(), did_you_mean(key_name.str(), names_of(keys))));
      }
      key->set(config, value, source_name);
    }
  }
  if (const auto problem = problem_with(config.model))
    throw Error::input(fmt::format("{}: [model] {}", source_name, *problem));
  if (const auto problem = problem_with(config.train))
    throw Error::input(fmt::format("{}: [train] {}", source_name, *problem));
  if (const auto problem = problem_with(config.model, config.train))
    throw Error::input(fmt::format("{}: {}", source_name, *problem));
  for (const auto& name : config.plugins.in_process) {
    const auto& isolated = config.plugins.isolated;
    if (std::find(isolated.begin(), isolated.end(), name) != isolated.end()) {
      throw Error::input(fmt::format("{}: [plugins] '{}' is both in in_process and in isolated",
                                     source_name, name));
    }
  }
  return config;
}

Config load_config(const std::filesystem::path& file) {
  check_readable(file, "config");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error::file(fmt::format("cannot read config '{}'", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.string());
}

}  // namespace poet
