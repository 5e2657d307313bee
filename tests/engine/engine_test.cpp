// The engine with LibTorch: the three cell types, checkpoints through the model, devices, the
// generation service and hot-loading.

#include "poet/engine/model/engine.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "model_fixture.h"
#include "poet/engine/error.h"
#include "poet/engine/files/corpus.h"
#include "poet/engine/text/text.h"
#include "scratch.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

// Samples `length` tokens from the model's distribution with the generation's random source.
std::vector<int> sample(Generation& generation, std::u32string_view prefix, int length) {
  StateId state = generation.start(prefix);
  std::vector<int> tokens;
  for (int i = 0; i < length; ++i) {
    const float* log_probs = generation.log_probs(state);
    double u = generation.random().uniform();
    int token = generation.vocabulary_size() - 1;
    for (int t = 0; t < generation.vocabulary_size(); ++t) {
      u -= std::exp(log_probs[t]);
      if (u < 0) {
        token = t;
        break;
      }
    }
    tokens.push_back(token);
    generation.step(&state, &token, 1);
  }
  return tokens;
}

std::vector<int> greedy(Generation& generation, int length) {
  StateId state = generation.start(U"春");
  std::vector<int> tokens;
  for (int i = 0; i < length; ++i) {
    const float* log_probs = generation.log_probs(state);
    const int token = static_cast<int>(std::max_element(log_probs, log_probs + generation.vocabulary_size()) - log_probs);
    tokens.push_back(token);
    generation.step(&state, &token, 1);
  }
  return tokens;
}

class EachCell : public testing::TestWithParam<CellType> {};

INSTANTIATE_TEST_SUITE_P(Cells, EachCell, testing::Values(CellType::rnn, CellType::lstm, CellType::gru),
                         [](const auto& info) { return std::string(cell_name(info.param)); });

// More clusters than the hidden size can project to (each a quarter of the one before) are refused
// naming both, before LibTorch would fail with "from is out of bounds for float"; cutoffs past the
// vocabulary do not count.
TEST(ModelShape, RefusesMoreAdaptiveClustersThanTheHiddenSizeHolds) {
  ModelConfig config = test::small_config(CellType::gru);
  config.hidden_size = 32;  // room for 2: 8, then 2
  config.adaptive_cutoffs.clear();
  for (int cutoff = 10; cutoff <= 200; cutoff += 10) config.adaptive_cutoffs.push_back(cutoff);
  try {
    CharRnn model(config, 1000);
    ADD_FAILURE() << "20 clusters were built";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "adaptive_cutoffs gives 20 clusters inside the vocabulary, but hidden_size 32 has "
                 "room for 2 (each cluster's projection is a quarter of the one before): give "
                 "fewer cutoffs or a larger hidden_size");
  }
  config.adaptive_cutoffs = {10, 50, 5000, 6000};  // the last two past a vocabulary of 1000
  EXPECT_NO_THROW(CharRnn(config, 1000));
}

// parameter_count() knows a model's size from its shape alone, as LibTorch builds it: for every
// cell, with a full and an adaptive softmax, with and without position inputs, and for the
// bundled model.
TEST_P(EachCell, ParameterCountMatchesTheModelLibTorchBuilds) {
  for (const bool positions : {false, true}) {
    for (const std::vector<int>& cutoffs : {std::vector<int>{}, std::vector<int>{10, 50}, std::vector<int>{100}}) {
      ModelConfig config = test::small_config(GetParam());
      config.layers = 3;
      config.adaptive_cutoffs = cutoffs;
      config.position_inputs = positions;
      config.position_embedding_size = 5;
      CharRnn model(config, 200);
      std::int64_t built = 0;
      for (const auto& parameter : model->parameters()) built += parameter.numel();
      EXPECT_EQ(parameter_count(config, 200), built) << describe(config);
    }
  }
  Engine engine(DeviceChoice::cpu);
  const ModelInfo bundled = engine.load(std::filesystem::path(POET_CORPORA_DIR) / "tang.ckpt");
  EXPECT_EQ(parameter_count(bundled.config, bundled.vocabulary_size), bundled.parameters);
}

TEST_P(EachCell, Trains) {
  const auto contents = test::make_contents(GetParam(), 1);
  CharRnn model(contents.model, static_cast<int>(contents.vocabulary.size()) + Vocabulary::kSpecialCount);
  const Vocabulary vocabulary(contents.vocabulary);
  std::vector<std::int64_t> tokens{Vocabulary::kStart};
  for (const int t : vocabulary.encode(U"床前明月光，疑是地上霜。举头望明月，低头思故乡。")) tokens.push_back(t);
  tokens.push_back(Vocabulary::kEnd);
  const auto sequence = torch::tensor(tokens).unsqueeze(0);
  const auto input = sequence.narrow(1, 0, sequence.size(1) - 1);
  const auto target = sequence.narrow(1, 1, sequence.size(1) - 1);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-2));
  const auto loss_now = [&] {
    auto [outputs, state] = model->forward(input);
    return model->summed_nll(outputs.flatten(0, 1), target.flatten()) / target.numel();
  };
  const double before = loss_now().item<double>();
  for (int i = 0; i < 100; ++i) {
    optimizer.zero_grad();
    loss_now().backward();
    optimizer.step();
  }
  EXPECT_LT(loss_now().item<double>(), before / 3) << "100 steps on one poem must mostly learn it";
}

TEST_P(EachCell, CheckpointRoundTripIsBitIdenticalAndGeneratesTheSameText) {
  const auto path = test::write_checkpoint("cell.ckpt", GetParam(), 7);
  auto contents = checkpoint::read(path);
  auto model = model_from(contents, path, torch::kCPU);
  const auto again = fs::path(test::scratch_dir()) / "cell_again.ckpt";
  contents.tensors = weights_of(model);
  checkpoint::write(again, contents);
  auto reloaded = model_from(checkpoint::read(again), again, torch::kCPU);
  const auto a = model->named_parameters();
  const auto b = reloaded->named_parameters();
  for (const auto& item : a) EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();

  Engine engine(DeviceChoice::cpu);
  engine.load(path);
  const auto first = sample(*engine.begin_generation(2024), U"春", 30);
  engine.load(again);
  EXPECT_EQ(sample(*engine.begin_generation(2024), U"春", 30), first);
  EXPECT_NE(sample(*engine.begin_generation(2025), U"春", 30), first);
}

TEST_P(EachCell, BatchedStepMatchesSingleSteps) {
  Engine engine(DeviceChoice::cpu);
  engine.load(test::write_checkpoint("batch.ckpt", GetParam(), 3));
  auto generation = engine.begin_generation(0);
  const auto& vocabulary = generation->vocabulary();
  const std::vector<std::u32string> prefixes{U"春", U"月明", U"山"};
  const std::vector<int> tokens{vocabulary.token(U'眠'), vocabulary.token(U'，'), vocabulary.token(U'春')};
  std::vector<StateId> batched, single;
  for (const auto& prefix : prefixes) {
    batched.push_back(generation->start(prefix));
    single.push_back(generation->start(prefix));
  }
  for (int round = 0; round < 3; ++round) {
    generation->step(batched.data(), tokens.data(), batched.size());
    for (std::size_t i = 0; i < single.size(); ++i) generation->step(&single[i], &tokens[i], 1);
  }
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    for (int t = 0; t < generation->vocabulary_size(); ++t) {
      ASSERT_NEAR(generation->log_probs(batched[i])[t], generation->log_probs(single[i])[t], 1e-5)
          << "state " << i << " token " << t;
    }
  }
}

// The committed checkpoint was written from a formula, with no LibTorch involved: LibTorch 1.13
// here, or any other build, reads exactly those values into the model.
TEST(Checkpoint, FormatIsIndependentOfLibTorch) {
  const fs::path golden = fs::path(POET_TEST_DATA_DIR) / "formula_v1.ckpt";
  const auto contents = checkpoint::read(golden);
  auto model = model_from(contents, golden, torch::kCPU);
  const auto parameters = model->named_parameters();
  for (const auto& tensor : contents.tensors) {
    const auto value = parameters[tensor.name].contiguous();
    ASSERT_EQ(value.sizes().vec(), tensor.shape) << tensor.name;
    EXPECT_TRUE(std::equal(tensor.values.begin(), tensor.values.end(), value.data_ptr<float>())) << tensor.name;
  }
  Engine engine(DeviceChoice::cpu);
  engine.load(golden);
  EXPECT_EQ(sample(*engine.begin_generation(1), U"春", 10).size(), 10u);
}

// An adaptive softmax (the default output layer) through a checkpoint and the batched step.
TEST(AdaptiveSoftmax, RoundTripsAndStepsLikeTheFullOne) {
  auto contents = test::make_contents(CellType::lstm, 3);
  contents.model.adaptive_cutoffs = {50, 200};
  torch::manual_seed(3);
  CharRnn model(contents.model, static_cast<int>(contents.vocabulary.size()) + Vocabulary::kSpecialCount);
  contents.tensors = weights_of(model);
  EXPECT_TRUE(std::any_of(contents.tensors.begin(), contents.tensors.end(),
                          [](const auto& t) { return t.name == "adaptive.tail.1.1.weight"; }));
  const auto path = fs::path(test::scratch_dir()) / "adaptive.ckpt";
  checkpoint::write(path, contents);
  auto loaded = model_from(checkpoint::read(path), path, torch::kCPU);
  for (const auto& item : model->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), loaded->named_parameters()[item.key()])) << item.key();
  }

  Engine engine(DeviceChoice::cpu);
  engine.load(path);
  auto generation = engine.begin_generation(0);
  StateId pair[] = {generation->start(U"春"), generation->start(U"山")};
  const StateId alone = generation->start(U"山");
  const int tokens[] = {generation->vocabulary().token(U'风'), generation->vocabulary().token(U'风')};
  generation->step(pair, tokens, 2);
  generation->step(&alone, &tokens[1], 1);
  double total = 0;
  for (int t = 0; t < generation->vocabulary_size(); ++t) {
    ASSERT_NEAR(generation->log_probs(pair[1])[t], generation->log_probs(alone)[t], 1e-5) << t;
    total += std::exp(generation->log_probs(alone)[t]);
  }
  EXPECT_NEAR(total, 1.0, 1e-4) << "the clusters' probabilities must add up to one";
}

TEST(Generation, ClonesAreIndependent) {
  Engine engine(DeviceChoice::cpu);
  engine.load(test::write_checkpoint("clone.ckpt", CellType::lstm, 3));
  auto generation = engine.begin_generation(0);
  const StateId original = generation->start(U"春");
  const StateId copy = generation->clone(original);
  const std::vector<float> before(generation->log_probs(original), generation->log_probs(original) + generation->vocabulary_size());
  const int token = generation->vocabulary().token(U'风');
  generation->step(&copy, &token, 1);
  EXPECT_EQ(std::vector<float>(generation->log_probs(original), generation->log_probs(original) + generation->vocabulary_size()), before);
  generation->release(copy);
  EXPECT_THROW(generation->log_probs(copy), Error);
  const StateId twice[] = {original, original};
  const int tokens[] = {token, token};
  EXPECT_THROW(generation->step(twice, tokens, 2), Error);
}

TEST(Generation, NamesACharacterOutsideTheVocabulary) {
  Engine engine(DeviceChoice::cpu);
  engine.load(test::write_checkpoint("vocab.ckpt", CellType::gru, 3));
  auto generation = engine.begin_generation(0);
  try {
    generation->start(U"春𠀀");
    FAIL() << "an unknown character must be refused";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "'𠀀' is not in the model's vocabulary");
  }
}

TEST(Engine, ReportsWhatIsLoaded) {
  Engine engine(DeviceChoice::cpu);
  EXPECT_EQ(engine.model_info(), std::nullopt);
  EXPECT_THROW(engine.begin_generation(0), Error);
  const auto path = test::write_checkpoint("info.ckpt", CellType::gru, 3, 1234);
  const ModelInfo info = engine.load(path);
  EXPECT_EQ(info.config, test::small_config(CellType::gru));
  EXPECT_EQ(info.vocabulary_size, static_cast<int>(test::fixture_characters().size()) + Vocabulary::kSpecialCount);
  EXPECT_EQ(info.steps_trained, 1234);
  EXPECT_EQ(info.device, "cpu");
  EXPECT_EQ(info.file, fs::absolute(path));
  EXPECT_GT(info.parameters, 0);
}

TEST(Engine, FailedLoadKeepsTheOldModelServing) {
  Engine engine(DeviceChoice::cpu);
  const auto good = test::write_checkpoint("good.ckpt", CellType::lstm, 3);
  engine.load(good);
  const auto bad = fs::path(test::scratch_dir()) / "bad.ckpt";
  std::ofstream(bad) << "not a checkpoint";
  EXPECT_THROW(engine.load(bad), Error);
  EXPECT_THROW(engine.load(fs::path(test::scratch_dir()) / "missing.ckpt"), Error);
  EXPECT_EQ(engine.model_info()->file, fs::absolute(good));
  EXPECT_EQ(greedy(*engine.begin_generation(0), 5).size(), 5u);
}

TEST(Engine, RefusesWeightsThatDoNotFitTheVocabulary) {
  auto contents = test::make_contents(CellType::lstm, 3);
  contents.vocabulary.pop_back();
  const auto path = fs::path(test::scratch_dir()) / "wrong_vocabulary.ckpt";
  checkpoint::write(path, contents);
  Engine engine(DeviceChoice::cpu);
  try {
    engine.load(path);
    FAIL() << "a vocabulary that does not fit the weights must be refused";
  } catch (const Error& error) {
    const int size = static_cast<int>(contents.vocabulary.size()) + Vocabulary::kSpecialCount;
    EXPECT_EQ(std::string(error.what()), fmt::format("'{}' has a vocabulary of {} tokens but weights for {}",
                                                     path.string(), size, size + 1));
  }
}

TEST(Engine, RefusesWeightsOfAnotherShape) {
  auto contents = test::make_contents(CellType::lstm, 3);
  contents.model.hidden_size = 64;
  const auto path = fs::path(test::scratch_dir()) / "wrong_shape.ckpt";
  checkpoint::write(path, contents);
  Engine engine(DeviceChoice::cpu);
  EXPECT_THROW(engine.load(path), Error);
}

TEST(Device, ChoosesTheCpuWhenThereIsNoGpuAndRefusesCudaClearly) {
  EXPECT_EQ(parse_device("auto"), DeviceChoice::automatic);
  EXPECT_EQ(parse_device("gpu"), std::nullopt);
  EXPECT_EQ(resolve_device(DeviceChoice::cpu), "cpu");
  if (torch::cuda::is_available()) {
    EXPECT_EQ(resolve_device(DeviceChoice::automatic), "cuda");
  } else {
    EXPECT_EQ(resolve_device(DeviceChoice::automatic), "cpu");
    try {
      Engine engine(DeviceChoice::cuda);
      FAIL() << "cuda without a GPU must be refused";
    } catch (const std::runtime_error& error) {
      EXPECT_STREQ(error.what(), "device 'cuda' was asked for, but LibTorch sees no CUDA GPU here");
    }
  }
}

// Runs only where LibTorch sees a GPU: a checkpoint loads onto it and generates what the CPU does.
TEST(Device, CudaGeneratesWhatTheCpuGenerates) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU here";
  const auto path = test::write_checkpoint("cuda.ckpt", CellType::lstm, 5);
  Engine cpu(DeviceChoice::cpu), cuda(DeviceChoice::cuda);
  cpu.load(path);
  EXPECT_EQ(cuda.load(path).device, "cuda");
  EXPECT_EQ(greedy(*cuda.begin_generation(0), 20), greedy(*cpu.begin_generation(0), 20));
}

// Generations running while another thread swaps the model each finish on the model they began
// with: every poem is exactly one model's poem, never a mixture.
TEST(Engine, HotSwapUnderConcurrentGeneration) {
  const auto a = test::write_checkpoint("swap_a.ckpt", CellType::lstm, 11);
  const auto b = test::write_checkpoint("swap_b.ckpt", CellType::lstm, 12);
  Engine engine(DeviceChoice::cpu);
  engine.load(b);
  const auto poem_b = greedy(*engine.begin_generation(0), 24);
  engine.load(a);
  const auto poem_a = greedy(*engine.begin_generation(0), 24);
  ASSERT_NE(poem_a, poem_b);

  std::atomic<bool> done{false};
  std::thread swapper([&] {
    for (int i = 0; i < 40; ++i) engine.load(i % 2 ? a : b);
    done = true;
  });
  int generations = 0;
  while (!done || generations < 10) {
    auto generation = engine.begin_generation(0);
    const bool on_a = generation->model_info().file == fs::absolute(a);
    ASSERT_EQ(greedy(*generation, 24), on_a ? poem_a : poem_b);
    ++generations;
  }
  swapper.join();
}

TEST(Engine, WatchReloadsAReplacedCheckpoint) {
  const auto dir = fs::path(test::scratch_dir()) / "watch";
  fs::create_directories(dir);
  const auto path = dir / "latest.ckpt";
  checkpoint::write(path, test::make_contents(CellType::gru, 1, 100));
  Engine engine(DeviceChoice::cpu);
  engine.load(path);
  std::mutex mutex;
  std::condition_variable reloaded;
  std::optional<ModelInfo> heard;
  engine.watch(std::chrono::milliseconds(10), [&](const std::optional<ModelInfo>& info, const std::string&) {
    std::lock_guard lock(mutex);
    heard = info;
    reloaded.notify_all();
  });
  checkpoint::write(path, test::make_contents(CellType::gru, 1, 200));
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(reloaded.wait_for(lock, std::chrono::seconds(10), [&] { return heard.has_value(); }));
  }
  engine.stop_watching();
  EXPECT_EQ(heard->steps_trained, 200);
  EXPECT_EQ(engine.model_info()->steps_trained, 200);
}

}  // namespace
}  // namespace poet
