#include "poet/engine/config.h"

#include <gtest/gtest.h>

namespace poet {
namespace {

std::string refusal(std::string_view text) {
  try {
    parse_config(text, "poet.toml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(Config, EmptyFileGivesTheDefaults) { EXPECT_EQ(parse_config("", "poet.toml").model, ModelConfig{}); }

TEST(Config, ReadsTheModelSection) {
  const Config config = parse_config(
      "[model]\ncell = \"gru\"\nembedding_size = 64\nhidden_size = 512\nlayers = 3\ndropout = 0.25\n", "poet.toml");
  EXPECT_EQ(config.model, (ModelConfig{CellType::gru, 64, 512, 3, 0.25}));
  EXPECT_EQ(parse_config("[model]\ndropout = 0\n", "poet.toml").model.dropout, 0.0);  // an integer is a number
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
  EXPECT_EQ(refusal("[model]\ncell = \n").rfind("poet.toml:2:", 0), 0u) << refusal("[model]\ncell = \n");
}

TEST(Config, MissingFileIsAnError) {
  EXPECT_THROW(load_config("/nonexistent/poet.toml"), ConfigError);
}

}  // namespace
}  // namespace poet
