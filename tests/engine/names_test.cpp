#include "poet/engine/names.h"

#include <gtest/gtest.h>

namespace poet {
namespace {

TEST(ClosestName, FindsTyposAndSwaps) {
  const std::vector<std::string_view> names{"help", "quit", "gen", "acrostic"};
  EXPECT_EQ(closest_name("hlep", names), "help");
  EXPECT_EQ(closest_name("qiut", names), "quit");
  EXPECT_EQ(closest_name("acrostc", names), "acrostic");
  EXPECT_EQ(closest_name("gne", names), "gen");
}

TEST(ClosestName, GivesNothingForUnrelatedWords) {
  const std::vector<std::string_view> names{"help", "quit"};
  EXPECT_EQ(closest_name("x", names), std::nullopt);
  EXPECT_EQ(closest_name("train", names), std::nullopt);
}

TEST(DidYouMean, PhrasesTheSuggestionOrNothing) {
  EXPECT_EQ(did_you_mean("hlep", {"help", "quit"}), " (did you mean 'help'?)");
  EXPECT_EQ(did_you_mean("zzz", {"help", "quit"}), "");
}

}  // namespace
}  // namespace poet
