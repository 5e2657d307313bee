#include "poet/engine/training/trainer.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <fstream>
#include <thread>

#include "model/checkpoint_file.h"
#include "model_fixture.h"
#include "poet/engine/error.h"
#include "poet/engine/model/engine.h"
#include "scratch.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

TrainRequest tiny_request(CellType cell, const std::string& name) {
  TrainRequest request = test::tiny_train_request(cell, name);
  request.model.dropout = 0.1;  // so that resuming must also reproduce the dropout masks
  return request;
}

// Trains `request` for its 8 steps straight through, and a copy of it in two halves: stopped
// after step 4 (as Ctrl-C or `train stop` would), then resumed from its checkpoint. Returns the
// two final checkpoints.
std::pair<fs::path, fs::path> straight_and_in_halves(const TrainRequest& request, const std::string& name) {
  const std::atomic<bool> never{false};
  TrainRequest straight = request;
  straight.out = fs::path(test::scratch_dir()) / (name + "_straight.ckpt");
  EXPECT_EQ(train(straight, {}, never).step, 8);

  TrainRequest halves = request;
  halves.out = fs::path(test::scratch_dir()) / (name + "_halves.ckpt");
  std::atomic<bool> stop{false};
  TrainEvents events;
  events.progress = [&](const TrainProgress& p) {
    if (p.step == 4) stop = true;
  };
  const TrainResult first = train(halves, events, stop);
  EXPECT_TRUE(first.stopped);
  EXPECT_EQ(first.step, 4);
  halves.resume = halves.out;
  halves.model = {};  // a resumed run takes its settings from the checkpoint
  halves.train = {};
  const TrainResult second = train(halves, {}, never);
  EXPECT_EQ(second.step, 8);
  EXPECT_FALSE(second.stopped);
  return {straight.out, halves.out};
}

class TrainerCell : public testing::TestWithParam<CellType> {};
INSTANTIATE_TEST_SUITE_P(Cells, TrainerCell, testing::Values(CellType::rnn, CellType::lstm, CellType::gru),
                         [](const auto& info) { return std::string(cell_name(info.param)); });

// Two checkpoints of the same run hold the same weights, optimizer moments and loss history, bit
// for bit.
void expect_same_run(const fs::path& straight, const fs::path& halves) {
  const auto a = checkpoint::read(straight);
  const auto b = checkpoint::read(halves);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].values, b.tensors[i].values) << a.tensors[i].name;
  }
  ASSERT_EQ(a.optimizer_state.size(), b.optimizer_state.size());
  for (std::size_t i = 0; i < a.optimizer_state.size(); ++i) {
    EXPECT_EQ(a.optimizer_state[i].values, b.optimizer_state[i].values) << a.optimizer_state[i].name;
  }
  const auto history_a = read_history(straight);
  const auto history_b = read_history(halves);
  ASSERT_EQ(history_a.size(), history_b.size());
  for (std::size_t i = 0; i < history_a.size(); ++i) {
    EXPECT_EQ(history_a[i].step, history_b[i].step);
    EXPECT_EQ(history_a[i].train_loss, history_b[i].train_loss) << "entry " << i;
    EXPECT_EQ(history_a[i].valid_perplexity, history_b[i].valid_perplexity) << "entry " << i;
  }
}

// N steps straight through, and N/2 steps + stop + resume + N/2 more, give the same run.
TEST_P(TrainerCell, ResumeContinuesExactly) {
  const std::string name(cell_name(GetParam()));
  const auto [straight, halves] = straight_and_in_halves(tiny_request(GetParam(), name), name);
  expect_same_run(straight, halves);
}

// Runs only where LibTorch sees a GPU. A run on it starts from the CPU's weights and learns what
// the CPU's does (the same sums in another order: close, not equal), and resumes exactly there too.
TEST(Trainer, TrainsOnTheGpuAsOnTheCpuAndResumesExactly) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU here";
  TrainRequest request = tiny_request(CellType::gru, "gpu");
  request.model.position_inputs = true;
  request.device = "cuda";
  const auto [straight, halves] = straight_and_in_halves(request, "gpu");
  expect_same_run(straight, halves);

  // Without dropout, whose masks each device draws from its own generator.
  request.model.dropout = 0;
  const std::atomic<bool> never{false};
  const auto history_on = [&](const std::string& device) {
    request.device = device;
    request.out = fs::path(test::scratch_dir()) / ("gpu_compared_on_" + device + ".ckpt");
    train(request, {}, never);
    return read_history(request.out);
  };
  const auto on_gpu = history_on("cuda");
  const auto on_cpu = history_on("cpu");
  ASSERT_EQ(on_gpu.size(), on_cpu.size());
  for (std::size_t i = 0; i < on_gpu.size(); ++i) {
    ASSERT_EQ(on_gpu[i].valid_perplexity.has_value(), on_cpu[i].valid_perplexity.has_value());
    if (on_gpu[i].valid_perplexity) {
      EXPECT_NEAR(*on_gpu[i].valid_perplexity / *on_cpu[i].valid_perplexity, 1.0, 1e-3) << "entry " << i;
    }
  }
}

TEST(Trainer, RmspropResumesExactlyToo) {
  TrainRequest request = tiny_request(CellType::gru, "rmsprop");
  request.train.optimizer = OptimizerKind::rmsprop;
  const auto [straight, halves] = straight_and_in_halves(request, "rmsprop");
  const auto a = checkpoint::read(straight);
  const auto b = checkpoint::read(halves);
  for (std::size_t i = 0; i < a.tensors.size(); ++i) EXPECT_EQ(a.tensors[i].values, b.tensors[i].values) << a.tensors[i].name;
  EXPECT_NE(a.optimizer_state.back().name.find(".square_avg"), std::string::npos);
  EXPECT_EQ(a.optimizer_state.back().values, b.optimizer_state.back().values);
}

// AdamW resumes exactly, and its weight decay is at work: the weights differ from Adam's.
TEST(Trainer, AdamwResumesExactlyAndDecaysTheWeights) {
  TrainRequest request = tiny_request(CellType::lstm, "adamw");
  request.train.optimizer = OptimizerKind::adamw;
  request.train.weight_decay = 0.5;
  const auto [straight, halves] = straight_and_in_halves(request, "adamw");
  expect_same_run(straight, halves);
  request.train.optimizer = OptimizerKind::adam;
  const auto [adam, unused] = straight_and_in_halves(request, "adam");
  EXPECT_NE(checkpoint::read(straight).tensors.front().values,
            checkpoint::read(adam).tensors.front().values);
}

// A run takes the training thread's LibTorch threads and LibTorch's default generator only while
// it runs, and gives them back: code beside it that draws from the generator draws as before.
TEST(Trainer, GivesBackTheThreadsAndTheRandomGeneratorItTook) {
  const std::atomic<bool> never{false};
  TrainRequest request = tiny_request(CellType::rnn, "environment");
  request.train.threads = 1;
  request.out = fs::path(test::scratch_dir()) / "environment.ckpt";
  at::set_num_threads(2);
  torch::manual_seed(99);
  train(request, {}, never);
  EXPECT_EQ(at::get_num_threads(), 2);
  const auto after = torch::rand({4});
  torch::manual_seed(99);
  EXPECT_TRUE(torch::rand({4}).equal(after));
}

TEST(Trainer, KeepsTheBestCheckpointApartAndTheHistoryAsCsv) {
  TrainRequest request = tiny_request(CellType::lstm, "history");
  const std::atomic<bool> never{false};
  std::vector<std::pair<fs::path, std::int64_t>> saved;
  TrainEvents events;
  events.checkpoint = [&](const fs::path& path, std::int64_t step) { saved.emplace_back(path, step); };
  const TrainResult result = train(request, events, never);

  const auto history = read_history(request.out);
  std::optional<double> best;
  std::size_t losses = 0;
  for (const auto& entry : history) {
    if (entry.valid_perplexity && (!best || *entry.valid_perplexity < *best)) best = entry.valid_perplexity;
    losses += entry.train_loss.has_value();
  }
  EXPECT_EQ(losses, 4u);  // steps 2, 4, 6, 8
  ASSERT_TRUE(best);
  EXPECT_EQ(result.best_valid_perplexity, best);
  EXPECT_EQ(result.best, request.out.parent_path() / "model.best.ckpt");
  EXPECT_EQ(checkpoint::read(result.best).training["valid_perplexity"].get<double>(), *best);
  EXPECT_TRUE(std::find(saved.begin(), saved.end(), std::make_pair(request.out, std::int64_t{3})) != saved.end());

  std::ifstream csv(request.out.parent_path() / "model.loss.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "step,epoch,train_loss,valid_perplexity,wall_seconds,tokens_per_second");
  std::size_t rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, history.size());
  EXPECT_FALSE(fs::exists(request.out.parent_path() / "model.best.loss.csv")) << "one history, beside the latest";
}

TEST(Trainer, LearnsTheFixtureCorpus) {
  TrainRequest request = tiny_request(CellType::lstm, "learns");
  request.model.dropout = 0;
  request.train.steps = 60;
  request.train.eval_every = 60;
  request.train.log_every = 1;
  request.train.learning_rate = 1e-2;
  const std::atomic<bool> never{false};
  train(request, {}, never);
  const auto history = read_history(request.out);
  ASSERT_GE(history.size(), 2u);
  // From about ln(vocabulary) untrained, the loss must fall by over a nat.
  EXPECT_LT(*history.back().train_loss, *history.front().train_loss - 1.0);
}

// The prompt trains in a background thread while the user keeps writing poems: generation on
// one thread stays exactly what it is alone while another thread trains.
TEST(Trainer, GenerationIsUndisturbedByTrainingInAnotherThread) {
  Engine engine(DeviceChoice::cpu);
  engine.load(test::write_checkpoint("beside_training.ckpt", CellType::lstm, 9));
  const auto greedy_poem = [&] {
    auto generation = engine.begin_generation(0);
    StateId state = generation->start(U"山");
    std::vector<int> tokens;
    for (int i = 0; i < 24; ++i) {
      const float* p = generation->log_probs(state);
      tokens.push_back(static_cast<int>(std::max_element(p, p + generation->vocabulary_size()) - p));
      generation->step(&state, &tokens.back(), 1);
    }
    return tokens;
  };
  const auto alone = greedy_poem();

  TrainRequest request = tiny_request(CellType::gru, "background");
  request.train.steps = 30;
  const std::atomic<bool> never{false};
  std::atomic<bool> finished{false};
  std::thread trainer([&] {
    train(request, {}, never);
    finished = true;
  });
  int poems = 0;
  while (!finished || poems < 5) {
    ASSERT_EQ(greedy_poem(), alone);
    ++poems;
  }
  trainer.join();
  EXPECT_EQ(read_history(request.out).back().step, 30);
}

TEST(Trainer, RefusesToResumeAnInferenceCheckpoint) {
  TrainRequest request = tiny_request(CellType::lstm, "inference");
  request.resume = test::write_checkpoint("inference.ckpt", CellType::lstm, 1);
  const std::atomic<bool> never{false};
  try {
    train(request, {}, never);
    FAIL() << "a checkpoint without training state cannot be resumed";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), "'" + request.resume->string() +
                                             "' has no training state (an inference checkpoint) and cannot be resumed");
  }
}

TEST(Trainer, ReportsACorpusWithNothingToTrainOn) {
  TrainRequest request = tiny_request(CellType::lstm, "empty");
  request.corpus = request.out.parent_path() / "empty.txt";
  std::ofstream(*request.corpus) << "\n";
  const std::atomic<bool> never{false};
  EXPECT_THROW(train(request, {}, never), Error);
}

TEST(Trainer, ADivergingRunStopsBeforeItSpoilsTheWeightsOrTheCheckpoint) {
  TrainRequest request = tiny_request(CellType::gru, "diverging");
  request.train.optimizer = OptimizerKind::rmsprop;
  request.train.learning_rate = 9.9;
  request.train.clip_norm = 0;
  request.train.checkpoint_every = 1;
  request.train.steps = 200;
  const std::atomic<bool> stop{false};
  try {
    train(request, {}, stop);
    FAIL() << "the run did not diverge";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("training diverged after step ", 0), 0u) << message;
    EXPECT_NE(message.find("the last checkpoint, '" + request.out.string() + "'"), std::string::npos)
        << message;
  }
  // What it left loads, and can be resumed.
  const auto contents = checkpoint::read(request.out);
  EXPECT_GT(contents.training.at("step").get<int>(), 0);
  EXPECT_NO_THROW(read_history(request.out));
}

TEST(Trainer, AResumedRunKeepsItsCorpusAndSaysWhenItHasNothingToDo) {
  TrainRequest request = tiny_request(CellType::rnn, "keeps_corpus");
  request.train.steps = 2;
  const std::atomic<bool> stop{false};
  train(request, {}, stop);
  TrainRequest again;
  again.resume = request.out;
  again.out = request.out;
  again.default_corpus = fs::path(test::scratch_dir()) / "not a corpus";  // never read
  std::vector<std::string> notes;
  TrainEvents events;
  events.note = [&](const std::string& text) { notes.push_back(text); };
  const TrainResult finished = train(again, events, stop);
  EXPECT_TRUE(finished.already_finished);
  EXPECT_EQ(finished.step, 2);
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes.front().find("fixture.tsv"), std::string::npos) << notes.front();
  again.steps = 3;
  const TrainResult longer = train(again, events, stop);
  EXPECT_FALSE(longer.already_finished);
  EXPECT_EQ(longer.step, 3);
}

TEST(Trainer, NeverWritesOverItsCorpusOrASpecialFile) {
  TrainRequest request = tiny_request(CellType::rnn, "outputs");
  const fs::path corpus = request.out.parent_path() / "corpus.tsv";
  fs::copy_file(*request.corpus, corpus);
  request.corpus = corpus;
  const std::atomic<bool> stop{false};
  for (const fs::path& out : {corpus, fs::path("/dev/null"), request.out.parent_path()}) {
    request.out = out;
    try {
      train(request, {}, stop);
      FAIL() << out;
    } catch (const Error& error) {
      EXPECT_EQ(std::string(error.what()).rfind("will not write checkpoint '" + out.string() + "'", 0), 0u)
          << error.what();
    }
  }
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  EXPECT_EQ(fs::file_size(corpus), fs::file_size(fs::path(POET_CORPORA_DIR) / "fixture.tsv"));
}

}  // namespace
}  // namespace poet
