#include "poet/engine/text/names.h"

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

TEST(ClosestName, ComparesWordsOfALengthNearTheNames) {
  EXPECT_EQ(closest_name("helpme", {"help"}), "help");
  EXPECT_EQ(closest_name("helpmee", {"help"}), std::nullopt);
  // A stray megabyte on a script's line is no match, found by its length alone: comparing it
  // letter by letter took a table of its length (1.1 GB and 108 s for 3 MB, under the fuzzer).
  EXPECT_EQ(closest_name(std::string(1 << 20, 'h'), {"help"}), std::nullopt);
}

TEST(DidYouMean, PhrasesTheSuggestionOrNothing) {
  EXPECT_EQ(did_you_mean("hlep", {"help", "quit"}), " (did you mean 'help'?)");
  EXPECT_EQ(did_you_mean("zzz", {"help", "quit"}), "");
}

}  // namespace
}  // namespace poet
