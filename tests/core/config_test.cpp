#include "poet/engine/config/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "poet/engine/error.h"

namespace poet {
namespace {

std::string refusal(std::string_view text) {
  try {
    parse_config(text, "poet.toml");
  } catch (const Error& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(Config, EmptyFileGivesTheDefaults) {
  EXPECT_EQ(parse_config("", "poet.toml").model, ModelConfig{});
}

TEST(Config, ReadsTheModelSection) {
  const Config config = parse_config(
      "[model]\ncell = \"gru\"\nembedding_size = 64\nhidden_size = 512\nlayers = 3\ndropout = "
      "0.25\n",
      "poet.toml");
  EXPECT_EQ(config.model, (ModelConfig{CellType::gru, 64, 512, 3, 0.25}));
  EXPECT_EQ(parse_config("[model]\ndropout = 0\n", "poet.toml").model.dropout,
            0.0);  // an integer is a number
}

TEST(Config, NamesTheLineAndColumnOfEveryMistake) {
  EXPECT_EQ(refusal("[model]\nhiden_size = 3\n"),
            "poet.toml:2:1: unknown key 'hiden_size' in [model] (did you mean 'hidden_size'?)");
  EXPECT_EQ(refusal("[modle]\n"), "poet.toml:1:2: unknown section [modle] (did you mean 'model'?)");
  EXPECT_EQ(refusal("[model]\ncell = \"transformer\"\n"),
            "poet.toml:2:8: cell must be \"rnn\", \"lstm\" or \"gru\", not \"transformer\"");
  EXPECT_EQ(refusal("[model]\nlayers = \"two\"\n"), "poet.toml:2:10: layers must be an integer");
  EXPECT_EQ(refusal("[model]\nlayers = 0\n"), "poet.toml: [model] layers must be 1 to 16");
  EXPECT_EQ(refusal("model = 3\n"), "poet.toml:1:9: model must be a [model] section");
  EXPECT_EQ(refusal("[model]\ncell = \n").rfind("poet.toml:2:", 0), 0u)
      << refusal("[model]\ncell = \n");
}

TEST(Config, PluginsRunOutsidePoetWhenTheyComeFromOutsideByDefault) {
  const PluginConfig plugins = parse_config("", "poet.toml").plugins;
  EXPECT_EQ(plugins.isolate, PluginIsolation::outside);
  EXPECT_EQ(plugins.limits.memory_bytes, 1'000'000'000u);  // "1G"
  EXPECT_EQ(plugins.limits.silence, std::chrono::seconds(60));
  EXPECT_FALSE(plugins.isolates("greedy", true));
  EXPECT_TRUE(plugins.isolates("mine", false));
}

TEST(Config, ReadsThePluginsSection) {
  const PluginConfig plugins =
      parse_config(
          "[plugins]\nisolate = \"all\"\nin_process = [\"greedy\"]\nisolated = [\"beam\"]\n"
          "memory_limit = \"512M\"\nsilence_limit = 2.5\n",
          "poet.toml")
          .plugins;
  EXPECT_EQ(plugins.isolate, PluginIsolation::all);
  EXPECT_EQ(plugins.limits.memory_bytes, 512'000'000u);
  EXPECT_EQ(plugins.limits.silence, std::chrono::milliseconds(2500));
  EXPECT_FALSE(plugins.isolates("greedy", true));
  EXPECT_TRUE(plugins.isolates("beam", true));
  EXPECT_TRUE(plugins.isolates("temperature", true));
  // A size as people write it: a space, a B, either case, powers of two.
  for (const auto& [text, bytes] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"1 GB", 1'000'000'000u}, {"1gb", 1'000'000'000u}, {"512 MiB", 512u << 20},
           {"1.5G", 1'500'000'000u}, {"64 mb", 64'000'000u}}) {
    EXPECT_EQ(parse_config("[plugins]\nmemory_limit = \"" + text + "\"\n", "poet.toml")
                  .plugins.limits.memory_bytes,
              bytes)
        << text;
  }
  EXPECT_EQ(parse_config("[plugins]\nmemory_limit = 300000000\n", "poet.toml")
                .plugins.limits.memory_bytes,
            300'000'000u);

  const PluginConfig none =
      parse_config("[plugins]\nisolate = \"none\"\nisolated = [\"mine\"]\n", "poet.toml").plugins;
  EXPECT_FALSE(none.isolates("other", false));
  EXPECT_TRUE(none.isolates("mine", true));
}

TEST(Config, RefusesPluginSettingsThatMakeNoSense) {
  EXPECT_EQ(refusal("[plugins]\nisolate = \"some\"\n"),
            "poet.toml:2:11: isolate must be \"outside\", \"all\" or \"none\", not \"some\"");
  EXPECT_EQ(refusal("[plugins]\nmemory_limit = \"lots\"\n"),
            "poet.toml:2:16: memory_limit must be a size such as 1000000000, \"1000M\", \"1 GB\" or "
            "\"1GiB\"");
  EXPECT_EQ(refusal("[plugins]\nmemory_limit = 0\n"),
            "poet.toml:2:16: memory_limit must be a size such as 1000000000, \"1000M\", \"1 GB\" or "
            "\"1GiB\"");
  for (const char* odd : {"1 K B", "0x1G", "1  GB", "1..5G", ".G", "-1G"}) {
    EXPECT_EQ(refusal(fmt::format("[plugins]\nmemory_limit = \"{}\"\n", odd)),
              "poet.toml:2:16: memory_limit must be a size such as 1000000000, \"1000M\", \"1 GB\" or "
              "\"1GiB\"")
        << odd;
  }
  EXPECT_EQ(refusal("[plugins]\nmemory_limit = \"1 TB\"\n"),
            "poet.toml:2:16: memory_limit must be a size such as 1000000000, \"1000M\", \"1 GB\" or "
            "\"1GiB\"");
  EXPECT_EQ(refusal("[plugins]\nmemory_limit = \"1K\"\n"),
            "poet.toml:2:16: memory_limit must be at least \"32M\", the least a plugin's process "
            "loads in");
  EXPECT_EQ(refusal("[plugins]\nsilence_limit = -1\n"),
            "poet.toml:2:17: silence_limit must be 0.001 to 1000000 seconds");
  EXPECT_EQ(refusal("[plugins]\nin_process = \"beam\"\n"),
            "poet.toml:2:14: in_process must be an array of decoder names");
  EXPECT_EQ(refusal("[plugins]\nisolated = [3]\n"), "poet.toml:2:13: isolated must be a string");
  EXPECT_EQ(refusal("[plugins]\nin_process = [\"beam\"]\nisolated = [\"beam\"]\n"),
            "poet.toml: [plugins] 'beam' is both in in_process and in isolated");
  EXPECT_EQ(refusal("[plugins]\nmemory_limt = 3\n"),
            "poet.toml:2:1: unknown key 'memory_limt' in [plugins] (did you mean 'memory_limit'?)");
}

TEST(Config, MissingFileIsAnError) { EXPECT_THROW(load_config("/nonexistent/poet.toml"), Error); }

TEST(Config, FormInputKeys) {
  EXPECT_FALSE(parse_config("", "poet.toml").model.metre_inputs);
  const Config metre =
      parse_config("[model]\nposition_inputs = true\nmetre_inputs = true\n", "poet.toml");
  EXPECT_TRUE(metre.model.metre_inputs);
  EXPECT_NE(describe(metre.model).find("position and metre inputs 16"), std::string::npos)
      << describe(metre.model);
  EXPECT_EQ(
      refusal("[model]\nmetre_inputs = true\n"),
      "poet.toml: [model] metre_inputs needs position_inputs: the metre asks by line and column");
  EXPECT_EQ(parse_config("", "poet.toml").train.metre_dropout, 0);
  EXPECT_EQ(
      parse_config(
          "[model]\nposition_inputs = true\nmetre_inputs = true\n[train]\nmetre_dropout = 0.5\n",
          "poet.toml")
          .train.metre_dropout,
      0.5);
  EXPECT_EQ(refusal("[train]\nmetre_dropout = 0.5\n"),
            "poet.toml: [train] metre_dropout needs [model] metre_inputs");
  EXPECT_EQ(
      refusal("[model]\nposition_inputs = true\nmetre_inputs = true\n[train]\nmetre_dropout = 1\n"),
      "poet.toml: [train] metre_dropout must be from 0 to below 1");
  EXPECT_FALSE(parse_config("", "poet.toml").model.position_inputs);
  EXPECT_EQ(parse_config("", "poet.toml").model.position_embedding_size, 16);
  const Config config =
      parse_config("[model]\nposition_inputs = true\nposition_embedding_size = 8\n", "poet.toml");
  EXPECT_TRUE(config.model.position_inputs);
  EXPECT_EQ(config.model.position_embedding_size, 8);
  EXPECT_NE(describe(config.model).find("position inputs 8"), std::string::npos)
      << describe(config.model);
  EXPECT_EQ(refusal("[model]\nposition_inputs = 1\n"),
            "poet.toml:2:19: position_inputs must be true or false");
  EXPECT_EQ(refusal("[model]\nposition_embedding_size = 0\n"),
            "poet.toml: [model] position_embedding_size must be 1 to 1024");
  EXPECT_EQ(refusal("[model]\nposition_embedding_size = \"big\"\n"),
            "poet.toml:2:27: position_embedding_size must be an integer");
}

}  // namespace
}  // namespace poet
