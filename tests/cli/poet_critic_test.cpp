// The critic through poet: `train --critic`, `critic`, `check` beside the metre, and gen
// --best-of, which writes its candidates in one batch and keeps the critic's choice.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "poet_runs.h"

namespace poet {
namespace {

using test::poet;

std::vector<nlohmann::json> replies(const std::string& out) {
  std::vector<nlohmann::json> objects;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) objects.push_back(nlohmann::json::parse(line));
  return objects;
}

const std::string kPoem = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。";

// The session trains a critic on the tiny model's poems, then uses it.
TEST(PoetCritic, TrainCriticWritesACriticThatTheSessionThenUses) {
  const auto dir = test::fresh_dir("critic_train");
  const auto file = (dir / "critic.ckpt").string();
  const auto run = poet({"--model", test::tiny_model().string(), "--json"},
                        "train --critic " + file + " --corpus " + POET_CORPORA_DIR +
                            "/fixture.tsv --poems 16 --epochs 2\ncritic " + kPoem + "\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto objects = replies(run.out);
  ASSERT_EQ(objects.size(), 2u) << run.out;
  EXPECT_EQ(objects[0]["critic"], file);
  EXPECT_EQ(objects[0]["train_poems"], 32);
  EXPECT_GE(objects[0]["test_auc"].get<double>(), 0.0);
  EXPECT_LE(objects[0]["test_auc"].get<double>(), 1.0);
  const auto& scored = objects[1];
  EXPECT_GT(scored["critic"].get<double>(), 0.0);
  EXPECT_LT(scored["critic"].get<double>(), 1.0);
  ASSERT_EQ(scored["least_real"].size(), 3u);
  for (const auto& blame : scored["least_real"])
    EXPECT_NE(kPoem.find(blame["character"].get<std::string>()), std::string::npos) << blame;
  // Its progress: each epoch's held-out figure.
  EXPECT_NE(run.err.find("epoch 2/2: loss "), std::string::npos) << run.err;
}

TEST(PoetCritic, CriticAndCheckSayHowRealAPoemReads) {
  const auto run = poet({"--no-model"}, "critic " + kPoem + "\ncheck " + kPoem + "\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto first = run.out.find("critic 0.");
  ASSERT_NE(first, std::string::npos) << run.out;
  EXPECT_NE(run.out.find("least real: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("critic 0.", first + 1), std::string::npos) << run.out;  // check's
}

TEST(PoetCritic, BestOfKeepsACandidateAndSaysTheCriticsScore) {
  const auto model = test::tiny_model().string();
  const auto run = poet({"--model", model, "--json"},
                        "gen 月 --best-of 4 --seed 3\ngen 月 --best-of 1 --seed 3\ngen 月 --seed 3\n"
                        "gen 月 -n 2 --best-of 3 --seed 8\ngen 月 --best-of 3 --seed 9\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto objects = replies(run.out);
  ASSERT_EQ(objects.size(), 6u) << run.out;
  EXPECT_EQ(objects[0]["best_of"], 4);
  EXPECT_GT(objects[0]["critic"].get<double>(), 0.0);
  EXPECT_EQ(objects[0]["seed"], 3);
  // --best-of 1 is gen as it was: no critic, one poem; by default the critic chooses from 8.
  EXPECT_FALSE(objects[1].contains("critic"));
  EXPECT_FALSE(objects[1].contains("best_of"));
  EXPECT_EQ(objects[2]["best_of"], 8);
  EXPECT_TRUE(objects[2].contains("critic"));
  // Each poem of -n keeps its own seed: the second is the one its seed writes alone.
  EXPECT_EQ(objects[4]["seed"], 9);
  EXPECT_EQ(objects[4]["poem"], objects[5]["poem"]);
  EXPECT_EQ(objects[4]["critic"], objects[5]["critic"]);

  // A script reads the poem alone, as ever; the score is the prompt's, or --json's.
  const auto shown = poet({"--model", model}, "gen 月 --best-of 2 --seed 3 --form 五绝\n");
  EXPECT_EQ(std::count(shown.out.begin(), shown.out.end(), '\n'), 4) << shown.out;
  EXPECT_EQ(shown.out.find("critic"), std::string::npos) << shown.out;
}

// Greedy and beam never draw (POET_CAP_SEEDLESS): their K candidates would be copies, so poet
// writes one, and the poem is the one --best-of 1 writes.
TEST(PoetCritic, ADecoderThatNeverDrawsWritesOneCandidate) {
  const auto run = poet({"--model", test::tiny_model().string(), "--json"},
                        "gen 月 --decoder greedy --seed 3\ngen 月 --decoder greedy --best-of 1\n"
                        "gen 月 --beam 3 --best-of 5\ngen 月 --beam 3 --best-of 1\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto objects = replies(run.out);
  ASSERT_EQ(objects.size(), 4u) << run.out;
  for (const auto& poem : objects) {
    EXPECT_FALSE(poem.contains("best_of")) << poem;
    EXPECT_FALSE(poem.contains("critic")) << poem;
  }
  EXPECT_EQ(objects[0]["poem"], objects[1]["poem"]);
  EXPECT_EQ(objects[2]["poem"], objects[3]["poem"]);
}

TEST(PoetCritic, BestOfTakesOneToThirtyTwo) {
  const auto run = poet({"--model", test::tiny_model().string()}, "gen 月 --best-of 33\nset best-of 0\n");
  EXPECT_NE(run.err.find("--best-of takes a whole number from 1 to 32, not '33'"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("not '0'"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace poet
