// The critic: how it is scored, trained on the fixture corpus against stuttering poems, written,
// read back, and kept apart from models' checkpoints.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "model_fixture.h"
#include "poet/engine/error.h"
#include "poet/engine/files/corpus.h"
#include "poet/engine/model/critic.h"
#include "poet/engine/model/engine.h"
#include "poet/engine/text/text.h"
#include "poet/engine/training/critic_training.h"
#include "scratch.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

TEST(AreaUnderRoc, IsTheShareOfPairsOrderedRightWithTiesCountingHalf) {
  EXPECT_DOUBLE_EQ(area_under_roc({3, 4}, {1, 2}), 1.0);
  EXPECT_DOUBLE_EQ(area_under_roc({1, 2}, {3, 4}), 0.0);
  EXPECT_DOUBLE_EQ(area_under_roc({1, 3}, {2, 2}), 0.5);
  EXPECT_DOUBLE_EQ(area_under_roc({2, 2, 5}, {2, 1}), (1.5 + 1.5 + 2) / 6);
  EXPECT_TRUE(std::isnan(area_under_roc({}, {1})));
}

// A poem whose lines stutter, every character written twice (明明月月...): what a weak model
// does by accident, and what the critic must learn to see from a corpus as small as the
// fixture's, where most of a new poem's words are new to it whoever wrote them.
std::u32string stuttered(std::u32string poem) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < poem.size(); ++i) {
    if (is_verse_punctuation(poem[i])) {
      start = i + 1;
    } else if ((i - start) % 2 == 1) {
      poem[i] = poem[i - 1];
    }
  }
  return poem;
}

struct TrainedCritic {
  CriticResult result;
  fs::path file;
  CriticExamples test;
};

// One critic for the file, trained briefly on the fixture corpus.
const TrainedCritic& trained() {
  static const TrainedCritic critic = [] {
    CriticTraining training;
    // The generator's embedding size: the critic adopts its embedding, <pad> row and all.
    training.config = {16, 16, 2, 3, 12};
    training.epochs = 6;
    training.batch_size = 16;
    training.generator = test::write_checkpoint("critic-generator.ckpt", CellType::lstm, 3);
    training.out = test::scratch_dir() + "critic.ckpt";
    // Two thirds of the fixture's poems train it; the rest, every third, choose the epoch and
    // test it (the fixture's own valid and test splits are too few for a steady figure).
    std::size_t index = 0;
    read_corpus(fs::path(POET_CORPORA_DIR) / "fixture.tsv", [&](Poem&& poem) {
      const std::u32string text = decode_utf8(poem.text);
      const std::size_t place = index++ % 6;
      CriticExamples& set = place < 4 ? training.train : place == 4 ? training.valid : training.test;
      set.real.push_back(text);
      set.generated.push_back(stuttered(text));
      if (place < 4) training.corpus.push_back(text);
    });
    TrainedCritic done{train_critic(training), training.out, training.test};
    return done;
  }();
  return critic;
}

TEST(Critic, LearnsToTellTheCorpusFromStutteringPoems) {
  const auto& critic = trained();
  EXPECT_GT(critic.result.test_auc, 0.9);
  EXPECT_GE(critic.result.best_epoch, 1);
  EXPECT_LE(critic.result.best_epoch, 6);
}

TEST(Critic, ReadsBackAsItWasWrittenAndScoresFromZeroToOne) {
  const auto& written = trained();
  const auto critic = Critic::load(written.file);
  ASSERT_TRUE(critic->info().auc);
  EXPECT_DOUBLE_EQ(*critic->info().auc, written.result.test_auc);
  const auto real = critic->scores(written.test.real);
  const auto generated = critic->scores(written.test.generated);
  for (const double score : real) EXPECT_TRUE(score > 0 && score < 1) << score;
  // What the file holds scores as training measured it.
  EXPECT_NEAR(area_under_roc(real, generated), written.result.test_auc, 1e-6);
  // A poem alone scores as in a batch beside longer ones, whose padding it must not read.
  const auto shortest = std::min_element(
      written.test.real.begin(), written.test.real.end(),
      [](const auto& a, const auto& b) { return a.size() < b.size(); });
  EXPECT_NEAR(critic->score(*shortest), real[static_cast<std::size_t>(shortest - written.test.real.begin())],
              1e-5);
}

TEST(Critic, BlamesEveryCharacterButTheMarksHighestRiseFirst) {
  const auto critic = Critic::load(trained().file);
  const std::u32string poem = trained().test.generated[0];
  const auto [score, blames] = critic->read(poem);
  EXPECT_NEAR(score, critic->score(poem), 1e-5);
  const auto characters = static_cast<std::size_t>(
      std::count_if(poem.begin(), poem.end(), [](char32_t c) { return !is_verse_punctuation(c); }));
  ASSERT_EQ(blames.size(), characters);
  for (std::size_t i = 0; i < blames.size(); ++i) {
    EXPECT_EQ(poem[blames[i].index], blames[i].character);
    if (i > 0) {
      EXPECT_GE(blames[i - 1].rise, blames[i].rise);
    }
  }
}

TEST(Critic, AModelsCheckpointIsNoCriticAndACriticIsNoModel) {
  const fs::path model = test::write_checkpoint("not-a-critic.ckpt", CellType::gru, 5);
  try {
    Critic::load(model);
    FAIL() << "a model's checkpoint loaded as a critic";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::file);
    EXPECT_NE(std::string(error.what()).find("not a critic's"), std::string::npos) << error.what();
  }
  Engine engine(DeviceChoice::cpu);
  try {
    engine.load(trained().file);
    FAIL() << "a critic loaded as a model";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("is a critic's checkpoint, not a model's"),
              std::string::npos)
        << error.what();
  }
}

TEST(Critic, RefusesToTrainWithoutPoemsOfBothKinds) {
  CriticTraining training;
  training.generator = test::write_checkpoint("critic-generator-2.ckpt", CellType::lstm, 3);
  training.train.real = {U"白日依山尽，黄河入海流。"};
  training.valid = training.test = training.train;
  training.out = test::scratch_dir() + "never.ckpt";
  EXPECT_THROW(train_critic(training), Error);
  EXPECT_FALSE(fs::exists(training.out));
}

}  // namespace
}  // namespace poet
