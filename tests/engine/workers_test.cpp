// Training on several processes (Workers in trainer.h), over loopback: this test process is rank
// 0, and poet itself, in its worker mode, is every other worker.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <regex>
#include <thread>

#include "model/checkpoint_file.h"
#include "model_fixture.h"
#include "poet/engine/error.h"
#include "poet/engine/training/trainer.h"
#include "subprocess.h"

namespace poet {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How long past a timeout a wait may end: the work around the wait, with room for a machine five
// times slower than a quiet one. Well short of a second timeout.
constexpr double kMargin = 8.0;

TrainRequest tiny_request(CellType cell, const std::string& name, int workers) {
  TrainRequest request = test::tiny_train_request(cell, name);
  request.train.steps = 6;
  request.train.eval_every = 3;
  request.train.log_every = 1;
  request.workers.count = workers;
  request.workers.timeout_seconds = 60;  // never reached by a run that passes
  request.workers.command = {POET_EXECUTABLE, "--train-worker"};
  return request;
}

float largest_difference(const std::vector<checkpoint::Tensor>& a, const std::vector<checkpoint::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  float largest = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    EXPECT_EQ(a[i].values.size(), b[i].values.size()) << a[i].name;
    for (std::size_t j = 0; j < std::min(a[i].values.size(), b[i].values.size()); ++j)
      largest = std::max(largest, std::abs(a[i].values[j] - b[i].values[j]));
  }
  return largest;
}

// What an Error says; "" if `work` throws none.
template <typename Work>
std::string error_of(Work&& work) {
  try {
    work();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

class WorkersCell : public testing::TestWithParam<CellType> {};
INSTANTIATE_TEST_SUITE_P(Cells, WorkersCell, testing::Values(CellType::rnn, CellType::lstm, CellType::gru),
                         [](const auto& info) { return std::string(cell_name(info.param)); });

// Two workers, each with half of every batch, train the weights one worker trains with the whole
// batch: the same batches, the gradient of the whole batch's mean loss, the same steps. Only the
// order of float additions differs: every weight and moment within 1e-4 after 6 Adam steps (6
// steps of learning rate 0.003 move a weight by up to 0.018); the test prints the differences it
// measured. Dropout is off: with it, each worker draws its own masks.
void expect_two_workers_train_as_one(const TrainRequest& one, const TrainRequest& two) {
  const std::atomic<bool> never{false};
  EXPECT_EQ(train(one, {}, never).step, 6);
  const TrainResult result = train(two, {}, never);
  EXPECT_EQ(result.step, 6);
  EXPECT_EQ(result.world_size, 2);
  const auto a = checkpoint::read(one.out);
  const auto b = checkpoint::read(two.out);
  const float weights = largest_difference(a.tensors, b.tensors);
  const float moments = largest_difference(a.optimizer_state, b.optimizer_state);
  fmt::print("two workers against one, {}: largest difference {:.1e} in the weights, {:.1e} in the "
             "optimizer moments\n",
             cell_name(one.model.cell), weights, moments);
  EXPECT_LT(weights, 1e-4F);
  EXPECT_LT(moments, 1e-4F);
  EXPECT_EQ(b.training.at("world_size").get<int>(), 2);
  const auto history_a = read_history(one.out), history_b = read_history(two.out);
  ASSERT_EQ(history_a.size(), history_b.size());
  for (std::size_t i = 0; i < history_a.size(); ++i) {
    ASSERT_TRUE(history_a[i].train_loss && history_b[i].train_loss);
    EXPECT_NEAR(*history_a[i].train_loss, *history_b[i].train_loss, 1e-4) << "entry " << i;
    if (history_a[i].valid_perplexity) {
      EXPECT_NEAR(*history_a[i].valid_perplexity, *history_b[i].valid_perplexity, 1e-2) << "entry " << i;
    }
  }
}

TEST_P(WorkersCell, TwoWorkersTrainTheWeightsOfOne) {
  const std::string name(cell_name(GetParam()));
  expect_two_workers_train_as_one(tiny_request(GetParam(), name + "_one", 1),
                                  tiny_request(GetParam(), name + "_two", 2));
}

// A model with position and metre inputs too: the followers, which have no vocabulary, learn
// from the leader which tokens end lines, and take each token's metre with the weights.
TEST(Workers, TwoWorkersTrainAModelWithFormInputsAsOneDoes) {
  TrainRequest one = tiny_request(CellType::gru, "positions_one", 1);
  one.model.position_inputs = true;
  one.model.metre_inputs = true;
  one.model.position_embedding_size = 4;
  one.metre_lexicon = std::filesystem::path(POET_CORPORA_DIR) / "metre.tsv";
  TrainRequest two = tiny_request(CellType::gru, "positions_two", 2);
  two.model = one.model;
  two.metre_lexicon = one.metre_lexicon;
  expect_two_workers_train_as_one(one, two);
}

// Stopped and resumed with two workers, a run continues bit for bit, dropout masks included.
TEST(Workers, ResumeWithTwoWorkersContinuesExactly) {
  TrainRequest request = tiny_request(CellType::lstm, "resume_two", 2);
  request.model.dropout = 0.1;
  request.train.steps = 8;
  const std::atomic<bool> never{false};
  TrainRequest straight = request;
  straight.out = request.out.parent_path() / "straight.ckpt";
  EXPECT_EQ(train(straight, {}, never).step, 8);

  std::atomic<bool> stop{false};
  TrainEvents events;
  events.progress = [&](const TrainProgress& p) {
    if (p.step == 3) stop = true;  // every worker stops after the next step: 4
  };
  const TrainResult first = train(request, events, stop);
  EXPECT_TRUE(first.stopped);
  EXPECT_EQ(first.step, 4);
  TrainRequest rest = request;
  rest.resume = request.out;
  rest.model = {};
  rest.train = {};
  std::vector<std::string> notes;
  events = {};
  events.note = [&](const std::string& text) { notes.push_back(text); };
  EXPECT_EQ(train(rest, events, never).step, 8);
  EXPECT_EQ(std::count_if(notes.begin(), notes.end(),
                          [](const auto& note) { return note.find("trained by") != std::string::npos; }),
            0)
      << "the same number of workers resumes without a note";

  const auto a = checkpoint::read(straight.out);
  const auto b = checkpoint::read(request.out);
  for (std::size_t i = 0; i < a.tensors.size(); ++i) EXPECT_EQ(a.tensors[i].values, b.tensors[i].values) << a.tensors[i].name;
  for (std::size_t i = 0; i < a.optimizer_state.size(); ++i)
    EXPECT_EQ(a.optimizer_state[i].values, b.optimizer_state[i].values) << a.optimizer_state[i].name;
  const auto history_a = read_history(straight.out), history_b = read_history(request.out);
  ASSERT_EQ(history_a.size(), history_b.size());
  for (std::size_t i = 0; i < history_a.size(); ++i)
    EXPECT_EQ(history_a[i].train_loss, history_b[i].train_loss) << "entry " << i;
}

// Another number of workers may resume a run: the batches stay, their split changes; it says so.
TEST(Workers, ResumeWithAnotherNumberOfWorkersIsNoted) {
  TrainRequest request = tiny_request(CellType::gru, "resume_other", 1);
  request.train.steps = 3;
  const std::atomic<bool> never{false};
  train(request, {}, never);
  TrainRequest rest = tiny_request(CellType::gru, "resume_other_two", 2);
  rest.resume = request.out;
  rest.out = request.out;
  rest.steps = 5;
  std::vector<std::string> notes;
  TrainEvents events;
  events.note = [&](const std::string& text) { notes.push_back(text); };
  EXPECT_EQ(train(rest, events, never).step, 5);
  EXPECT_NE(std::find_if(notes.begin(), notes.end(),
                         [](const auto& note) {
                           return note.find("trained by 1 worker, now by 2: the batches stay the same") !=
                                  std::string::npos;
                         }),
            notes.end());
  EXPECT_EQ(checkpoint::read(request.out).training.at("world_size").get<int>(), 2);
}

// A run of two workers, checkpointing every step, in which worker 1 gets `signal` once step 3 is
// saved: the message the run stopped with, the seconds from the signal to it, the worker's pid.
struct SignalledRun {
  std::string message;
  double seconds = 0;
  pid_t worker = 0;
};

SignalledRun signal_a_worker_at_step_3(const TrainRequest& request, int signal) {
  const std::atomic<bool> never{false};
  TrainEvents events;
  SignalledRun run;
  Clock::time_point signalled_at;
  events.checkpoint = [&](const fs::path&, std::int64_t step) {
    if (step != 3 || run.worker) return;
    const auto workers = test::child_processes(getpid());
    ASSERT_EQ(workers.size(), 1u);
    run.worker = workers.front();
    signalled_at = Clock::now();
    kill(run.worker, signal);
  };
  run.message = error_of([&] { train(request, events, never); });
  run.seconds = std::chrono::duration<double>(Clock::now() - signalled_at).count();
  return run;
}

TrainRequest a_long_run_saving_every_step(const std::string& name) {
  TrainRequest request = tiny_request(CellType::gru, name, 2);
  request.train.steps = 100000;
  request.train.checkpoint_every = 1;
  request.train.eval_every = 100000;
  return request;
}

// A worker killed in the middle of a run stops the run on the other within a bounded time, with a
// message naming it, and the last checkpoint loads and resumes.
TEST(Workers, SigkillOfAWorkerStopsTheRunAndTheLastCheckpointLoads) {
  const TrainRequest request = a_long_run_saving_every_step("sigkill");
  const SignalledRun run = signal_a_worker_at_step_3(request, SIGKILL);
  const std::string& message = run.message;
  ASSERT_NE(run.worker, 0);
  EXPECT_LT(run.seconds, 15.0) << "a dead worker is noticed at once, not after the timeout (60 s)";
  EXPECT_TRUE(std::regex_search(
      message, std::regex("^training stopped after step [34]: worker 1 \\(pid " + std::to_string(run.worker) +
                          "\\) was killed by signal 9 \\(Killed\\); the last checkpoint, '.*model\\.ckpt' "
                          "\\(step [34]\\), is intact$")))
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_TRUE(test::child_processes(getpid()).empty()) << "no worker is left behind";

  const auto saved = checkpoint::read(request.out).training.at("step").get<std::int64_t>();
  EXPECT_GE(saved, 3);
  TrainRequest rest = request;
  rest.resume = request.out;
  rest.workers.count = 1;
  rest.steps = saved + 1;
  const std::atomic<bool> never{false};
  EXPECT_EQ(train(rest, {}, never).step, saved + 1);
}

// A worker frozen (SIGSTOP) stops the run within the timeout and the few seconds the workers
// give each other to say why, naming it.
TEST(Workers, AFrozenWorkerStopsTheRunWithinTheTimeout) {
  TrainRequest request = a_long_run_saving_every_step("sigstop");
  request.workers.timeout_seconds = 10;
  const SignalledRun run = signal_a_worker_at_step_3(request, SIGSTOP);
  ASSERT_NE(run.worker, 0);
  EXPECT_GE(run.seconds, 10.0) << "a frozen worker is told from a slow one by the timeout";
  EXPECT_LT(run.seconds, 10 + 3 + kMargin);
  EXPECT_NE(run.message.find("worker 1 stopped answering within 10 s"), std::string::npos)
      << run.message;
  EXPECT_TRUE(test::child_processes(getpid()).empty()) << "the frozen worker is left behind";
}

// Every way of failing to meet is one line, in a bounded time.
TEST(Workers, ABadStoreAddressIsOneLineAtOnce) {
  const std::atomic<bool> never{false};
  for (const std::string store : {"nohost.invalid:29500", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:http"}) {
    TrainRequest request;
    request.workers.rank = 1;
    request.workers.world_size = 2;
    request.workers.store = store;
    const auto start = Clock::now();
    const std::string message = error_of([&] { train(request, {}, never); });
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), kMargin) << store;
    EXPECT_EQ(message.rfind("the store address '" + store + "' ", 0), 0u) << message;
    EXPECT_NE(message.find(": give HOST:PORT"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// A free port on loopback, where nothing listens once this returns.
std::string unused_store() {
  // Ports above the ephemeral range's usual start, picked by the process id so that parallel
  // tests do not collide; bound once to be sure nothing listens there now.
  return "127.0.0.1:" + std::to_string(20000 + getpid() % 10000);
}

TEST(Workers, AStoreNobodyListensAtIsOneLineWithinTheTimeout) {
  const std::atomic<bool> never{false};
  TrainRequest request;
  request.workers.rank = 1;
  request.workers.world_size = 2;
  request.workers.store = unused_store();
  request.workers.timeout_seconds = 2;
  const auto start = Clock::now();
  const std::string message = error_of([&] { train(request, {}, never); });
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2 + kMargin);
  EXPECT_EQ(message, "worker 1 of 2 cannot reach the store at " + request.workers.store +
                         " within 2 s (is rank 0 started there?)");
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// The largest world with nobody joining: one short line, within the timeout.
TEST(Workers, AWorldOf256WithNobodyJoiningIsOneShortLineWithinTheTimeout) {
  const std::atomic<bool> never{false};
  TrainRequest request = tiny_request(CellType::rnn, "nobody_joins", 1);
  request.workers.world_size = 256;
  request.workers.store = unused_store();
  request.workers.timeout_seconds = 2;
  const auto start = Clock::now();
  EXPECT_EQ(error_of([&] { train(request, {}, never); }), "workers 1-255 did not join within 2 s");
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2 + kMargin);
}

TEST(Workers, AWorkerThatNeverJoinsIsNamedWithinTheTimeout) {
  const std::atomic<bool> never{false};
  TrainRequest request = tiny_request(CellType::rnn, "never_joins", 1);
  request.workers.world_size = 2;  // rank 1 is on "another machine" that never starts it
  request.workers.store = unused_store();
  request.workers.timeout_seconds = 2;
  const auto start = Clock::now();
  const std::string message = error_of([&] { train(request, {}, never); });
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2 + kMargin);
  EXPECT_EQ(message, "worker 1 did not join within 2 s");
  EXPECT_FALSE(fs::exists(request.out));
}

// A port another program holds, where rank 0 would listen or where a worker would meet it: each
// says so, and what to change, within the timeout.
TEST(Workers, APortAnotherProgramHoldsIsSaidSo) {
  const int program = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(program, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::listen(program, 8), 0);  // accepts connections (the kernel does), answers nothing
  ::getsockname(program, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);
  const std::atomic<bool> never{false};

  TrainRequest host = tiny_request(CellType::rnn, "port_in_use", 1);
  host.workers.world_size = 2;
  host.workers.store = fmt::format("127.0.0.1:{}", port);
  EXPECT_EQ(error_of([&] { train(host, {}, never); }),
            fmt::format("port {} is in use on this machine (by another program, or a run still "
                        "ending): give --store HOST:PORT another port",
                        port));

  TrainRequest guest;
  guest.workers.rank = 1;
  guest.workers.world_size = 2;
  guest.workers.store = host.workers.store;
  guest.workers.timeout_seconds = 2;
  const auto start = Clock::now();
  EXPECT_EQ(error_of([&] { train(guest, {}, never); }),
            fmt::format("worker 1 of 2 cannot join at 127.0.0.1:{0}: what listens there does not "
                        "answer as poet's store (another program on port {0}?): give rank 0's "
                        "HOST:PORT",
                        port));
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2 + kMargin);
  ::close(program);
}

TEST(Workers, AWorldOfNoWorkersTooManyOrARankOutsideItIsRefused) {
  const std::atomic<bool> never{false};
  TrainRequest request;
  request.workers.world_size = 0;
  EXPECT_EQ(error_of([&] { train(request, {}, never); }), "--world-size must be 1 to 256, not 0");
  request.workers.world_size = 2147483647;
  EXPECT_EQ(error_of([&] { train(request, {}, never); }),
            "--world-size must be 1 to 256, not 2147483647");
  request.workers.world_size = 2;
  request.workers.rank = 2;
  request.workers.store = "127.0.0.1:29500";
  EXPECT_EQ(error_of([&] { train(request, {}, never); }), "rank 2 is outside a world of 2 (ranks 0 to 1)");
  request.workers = {};
  request.workers.count = 0;
  EXPECT_EQ(error_of([&] { train(request, {}, never); }), "--workers must be 1 to 256, not 0");
  request.workers = {};
  request.workers.store = "127.0.0.1:29500";
  EXPECT_EQ(error_of([&] { train(request, {}, never); }),
            "--store is where the workers of a run meet, but this run has one: give --world-size N "
            "(and --rank R on each machine but rank 0's), or --workers N");
}

}  // namespace
}  // namespace poet
