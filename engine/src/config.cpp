#include "poet/engine/config.h"

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <toml++/toml.h>
#include <vector>

#include "poet/engine/names.h"

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
      std::is_same_v<T, std::string> ? "a string" : std::is_same_v<T, double> ? "a number" : "an integer";
  throw ConfigError(fmt::format("{}: {} must be {}", where(source, node.source()), key, kType));
}

// One known key: its name and how it sets the configuration from a TOML value.
struct Key {
  std::string_view name;
  std::function<void(Config&, const toml::node&, const std::string& source)> set;
};

int integer_of(const toml::node& node, const std::string& source, std::string_view key) {
  const auto value = value_of<std::int64_t>(node, source, key);
  if (value < INT32_MIN || value > INT32_MAX) {
    throw ConfigError(fmt::format("{}: {} is out of range", where(source, node.source()), key));
  }
  return static_cast<int>(value);
}

const std::vector<Key>& model_keys() {
  static const std::vector<Key> keys = {
      {"cell",
       [](Config& config, const toml::node& node, const std::string& source) {
         const auto name = value_of<std::string>(node, source, "cell");
         const auto cell = parse_cell(name);
         if (!cell) {
           throw ConfigError(fmt::format("{}: cell must be \"rnn\", \"lstm\" or \"gru\", not \"{}\"",
                                         where(source, node.source()), name));
         }
         config.model.cell = *cell;
       }},
      {"embedding_size", [](Config& c, const toml::node& n, const std::string& s) {
         c.model.embedding_size = integer_of(n, s, "embedding_size");
       }},
      {"hidden_size", [](Config& c, const toml::node& n, const std::string& s) {
         c.model.hidden_size = integer_of(n, s, "hidden_size");
       }},
      {"layers", [](Config& c, const toml::node& n, const std::string& s) { c.model.layers = integer_of(n, s, "layers"); }},
      {"dropout", [](Config& c, const toml::node& n, const std::string& s) {
         c.model.dropout = value_of<double>(n, s, "dropout");
       }},
  };
  return keys;
}

struct Section {
  std::string_view name;
  const std::vector<Key>& (*keys)();
};

constexpr Section kSections[] = {{"model", model_keys}};

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
    throw ConfigError(fmt::format("{}: {}", where(source_name, error.source()), error.description()));
  }
  Config config;
  for (const auto& [section_name, section_node] : table) {
    const auto section = std::find_if(std::begin(kSections), std::end(kSections),
                                      [&](const Section& s) { return s.name == section_name.str(); });
    if (section == std::end(kSections)) {
      throw ConfigError(fmt::format("{}: unknown section [{}]{}", where(source_name, section_name.source()),
                                    section_name.str(), did_you_mean(section_name.str(), names_of(kSections))));
    }
    const auto* entries = section_node.as_table();
    if (entries == nullptr) {
      throw ConfigError(fmt::format("{}: {} must be a [{}] section", where(source_name, section_node.source()),
                                    section_name.str(), section_name.str()));
    }
    const auto& keys = section->keys();
    for (const auto& [key_name, value] : *entries) {
      const auto key = std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == key_name.str(); });
      if (key == keys.end()) {
        throw ConfigError(fmt::format("{}: unknown key '{}' in [{}]{}", where(source_name, key_name.source()),
                                      key_name.str(), section_name.str(), did_you_mean(key_name.str(), names_of(keys))));
      }
      key->set(config, value, source_name);
    }
  }
  try {
    validate(config.model);
  } catch (const std::invalid_argument& error) {
    throw ConfigError(fmt::format("{}: [model] {}", source_name, error.what()));
  }
  return config;
}

Config load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("cannot read config '{}'", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.string());
}

}  // namespace poet
