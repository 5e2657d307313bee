// Decoder plugins in processes of their own (engine/src/isolation.h): the runner's probe, poems
// written through it, and every way a plugin can end its process. A small fake model answers
// the plugin's questions, so no LibTorch model is needed.

#include "plugins/isolation.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <thread>

#include "poet/engine/error.h"
#include "poet/engine/plugins/decoders.h"
#include "scratch.h"
#include "subprocess.h"

namespace poet {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const fs::path kRunner = POET_DECODER_RUNNER;
const fs::path kTestPlugins = POET_TEST_PLUGINS;
const fs::path kCrashy = kTestPlugins / "isolation" / "test_crashy.so";

constexpr IsolationLimits kLimits{256'000'000, milliseconds(10'000)};
constexpr float kForbidden = -std::numeric_limits<float>::infinity();

// A model of its own: the end (0), '，' (1), '。' (2) and eight characters (3 to 10); poems of
// two lines of five; each state's row differs with its id and its length, so that a row read
// from another state's slot would change the poem.
class FakeModel final : public DecoderCalls {
 public:
  static constexpr int kVocabulary = 11;

  // With `slots`, rows are written straight into the isolated decoder's shared slots, as the
  // host does.
  explicit FakeModel(IsolatedDecoder* slots = nullptr, const std::atomic<bool>* cancel = nullptr)
      : slots_(slots), cancel_(cancel) {}

  poet_state start() {
    states_.push_back({});
    return static_cast<poet_state>(states_.size() - 1);
  }
  std::string text_of(poet_state state) {
    std::string text;
    for (const poet_token token : at(state).text) text += kTexts[token];
    return text;
  }
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::string& failure() const { return failure_; }
  int rows_written_in_place() const { return rows_written_in_place_; }

  int32_t vocabulary_size() override { return kVocabulary; }
  poet_token end_token() override { return 0; }
  const float* log_probs(poet_state state) override {
    State& s = at(state);
    float* slot = slots_ != nullptr ? slots_->row_slot(state) : nullptr;
    s.row.assign(kVocabulary, kForbidden);
    const int line = static_cast<int>(s.text.size()) / 6,
              column = static_cast<int>(s.text.size()) % 6;
    if (s.finished) {
    } else if (line == 2) {
      s.row[0] = 0;
    } else if (column == 5) {
      s.row[line == 0 ? 1 : 2] = 0;
    } else {
      for (poet_token token = 3; token < kVocabulary; ++token)
        s.row[token] =
            -1.0f - static_cast<float>((token + 3 * state + static_cast<int>(s.text.size())) % 8);
    }
    if (slot == nullptr) return s.row.data();
    std::copy(s.row.begin(), s.row.end(), slot);
    ++rows_written_in_place_;
    return slot;
  }
  void position(poet_state state, poet_position* position) override {
    const State& s = at(state);
    *position = {static_cast<int32_t>(s.text.size() / 6), static_cast<int32_t>(s.text.size() % 6),
                 s.finished};
  }
  std::size_t text(poet_state state, poet_token* tokens, std::size_t capacity) override {
    const State& s = at(state);
    std::copy_n(s.text.begin(), std::min(capacity, s.text.size()), tokens);
    return s.text.size();
  }
  const char* token_text(poet_token token) override {
    return token > 0 && token < kVocabulary ? kTexts[token] : nullptr;
  }
  poet_state clone(poet_state state) override {
    states_.push_back(at(state));
    return static_cast<poet_state>(states_.size() - 1);
  }
  void release(poet_state state) override { at(state).live = false; }
  int32_t step(const poet_state* states, const poet_token* tokens, std::size_t count) override {
    for (std::size_t i = 0; i < count; ++i) {
      State& s = at(states[i]);
      const std::vector<float> row(log_probs(states[i]), log_probs(states[i]) + kVocabulary);
      if (tokens[i] < 0 || tokens[i] >= kVocabulary || !(row[tokens[i]] > kForbidden)) {
        failure_ = fmt::format("step() chose {}", tokens[i]);
        return POET_ERROR;
      }
      if (tokens[i] == 0) {
        s.finished = true;
      } else {
        s.text.push_back(tokens[i]);
      }
    }
    return POET_OK;
  }
  double random() override { return 0.25; }
  int32_t cancelled() override { return cancel_ != nullptr && cancel_->load(); }
  int32_t show(poet_state) override { return POET_OK; }
  void fail(const char* message) override { failure_ = message; }

  void form_shape(poet_form* form) override {
    *form = {0, 1, 1, 5, 0, &kLineLength, 1, &kLineCount, 1};
  }
  void form_place(poet_state state, poet_form_place* place) override {
    const State& s = at(state);
    const auto line = static_cast<int32_t>(s.text.size() / 6),
               column = static_cast<int32_t>(s.text.size() % 6);
    *place = {line, column, 5, 1 - line, column == 5, line == 2, s.finished};
  }

  poet_token token_of(std::string_view utf8) override {
    for (poet_token token = 1; token < kVocabulary; ++token)
      if (utf8 == kTexts[token]) return token;
    return -1;
  }
  int32_t is_mark(poet_token token) override { return token == 1 || token == 2; }

  bool has_metre() override { return true; }
  const char* metre_book() override { return "平水韵"; }
  int32_t group_count() override { return 2; }
  const char* group_name(int32_t group) override {
    return group == 0 ? "一东" : group == 1 ? "二冬" : nullptr;
  }
  int32_t tone(poet_token token) override {
    return token < 3 ? POET_TONE_UNKNOWN : token % 2 != 0 ? POET_TONE_LEVEL : POET_TONE_OBLIQUE;
  }
  std::size_t groups(poet_token token, int32_t* groups, std::size_t capacity) override {
    if (token < 3 || token % 2 == 0) return 0;
    const int32_t mine[] = {0, 1};
    const std::size_t count = token == 5 ? 2 : 1;
    std::copy_n(mine, std::min(count, capacity), groups);
    return count;
  }
  void metre_ask(poet_state, poet_metre_ask* ask, bool only_before_a_character) override {
    *ask = {1, only_before_a_character ? POET_TONE_LEVEL : POET_TONE_EITHER, 0, -1};
  }
  int32_t tones_rule() override { return POET_TONES_STRICT; }
  int32_t strict_tone(poet_state) override { return POET_TONE_OBLIQUE; }
  int32_t pattern_tone(const poet_metre_pattern& pattern, int32_t line, int32_t column) override {
    return pattern.settled != 0 && line == 1 && column == 1 ? POET_TONE_OBLIQUE : POET_TONE_UNKNOWN;
  }
  void metre_pattern(poet_state, poet_metre_pattern* pattern) override { *pattern = {1, 5, 1, 0}; }

  void warn(const char* message) override { warnings_.emplace_back(message); }

 private:
  static constexpr const char* kTexts[kVocabulary] = {nullptr, "，", "。", "春", "花", "秋",
                                                      "月",    "山", "水", "风", "雨"};
  static constexpr int32_t kLineLength = 5, kLineCount = 2;

  struct State {
    std::vector<poet_token> text;
    bool finished = false;
    bool live = true;
    std::vector<float> row;
  };
  State& at(poet_state state) {
    State& s = states_.at(static_cast<std::size_t>(state));
    if (!s.live) throw std::logic_error(fmt::format("state {} was released", state));
    return s;
  }

  IsolatedDecoder* slots_;
  const std::atomic<bool>* cancel_;
  std::vector<State> states_;
  std::vector<std::string> warnings_;
  std::string failure_;
  int rows_written_in_place_ = 0;
};

enum Mode {
  kWrite, kSegfault, kAbort, kAllocate, kHang, kWaitForCancel, kHoard, kLiftLimit, kChatter, kSpawn
};

struct Poem {
  int32_t status = POET_ERROR;
  std::string text;
  std::string report;  // what the plugin warned, its process's mark left out
  std::string process;  // the mark crashy drew when it loaded: which process wrote the poem
};

Poem poem_of(FakeModel& model, int32_t status, poet_state result) {
  Poem poem;
  poem.status = status;
  if (status == POET_OK) poem.text = model.text_of(result);
  if (!model.warnings().empty()) {
    std::smatch process;
    const std::string& report = model.warnings().front();
    if (std::regex_search(report, process, std::regex("^process=([0-9a-f]+) ")))
      poem.process = process[1];
    poem.report = process.suffix();
  }
  return poem;
}

poet_request request_for(poet_state start, const std::vector<double>& params) {
  poet_request request{};
  request.start = start;
  request.params = params.data();
  request.poem_index = 0;
  request.poem_count = 1;
  return request;
}

Poem write(IsolatedDecoder& decoder, Mode mode, std::uint64_t model_serial = 1,
           const std::atomic<bool>* cancel = nullptr) {
  FakeModel model(nullptr, cancel);
  const std::vector<double> params{static_cast<double>(mode), 8};
  const poet_request request = request_for(model.start(), params);
  poet_state result = -1;
  const int32_t status =
      decoder.decode(model, request, model_serial, &result, cancel);
  EXPECT_EQ(model.failure(), "");
  return poem_of(model, status, result);
}

std::string crash_of(IsolatedDecoder& decoder, Mode mode) {
  try {
    write(decoder, mode);
  } catch (const Error& crash) {
    return crash.what();
  }
  return "(no crash)";
}

IsolatedDecoder crashy(IsolationLimits limits = kLimits) {
  return IsolatedDecoder(kRunner, kCrashy, 0, "crashy", open_library(kCrashy).front().description.params,
                         limits);
}

TEST(IsolatedDecoder, WritesThePoemThePluginWritesInProcess) {
  const OpenedPlugin plugin = open_library(kCrashy).front();
  const poet_decoder descriptor = normalised_descriptor(*plugin.descriptor);
  Poem in_process;
  {
    DecoderInstance instance(descriptor);
    FakeModel model;
    const HostTable table(model);
    const std::vector<double> params{kWrite, 8};
    poet_request request = request_for(model.start(), params);
    poet_state result = -1;
    const int32_t status = instance.prepare_and_decode(table.host(), &request, 1, &result);
    in_process = poem_of(model, status, result);
  }
  ASSERT_EQ(in_process.status, POET_OK);
  EXPECT_EQ(in_process.text, "水山月秋花，雨风水山月。");
  EXPECT_EQ(in_process.report,
            "creates=1 changes=0 poem=0/1 params=0,8 form=2x5 place=5 ask=3 text=12:水 "
            "book=平水韵 group=二冬 tone=1 groups=1 token=6 mark=1 random=0.25 rule=2 "
            "table=11:001 pattern=1510 strict=2 asks=2");

  IsolatedDecoder decoder = crashy();
  const Poem isolated = write(decoder, kWrite);
  EXPECT_EQ(isolated.status, POET_OK);
  EXPECT_EQ(isolated.text, in_process.text);
  EXPECT_EQ(isolated.report, in_process.report);
  EXPECT_NE(isolated.process, in_process.process);
}

// A file rebuilt with other parameters since it was loaded (here: another range) gets no values
// meant for the old ones.
TEST(IsolatedDecoder, RefusesAFileThatNowHoldsOtherParameters) {
  auto params = open_library(kCrashy).front().description.params;
  params.back().max_value += 1;
  IsolatedDecoder decoder(kRunner, kCrashy, 0, "crashy", params, kLimits);
  EXPECT_NE(crash_of(decoder, kWrite).find("has changed since decoder 'crashy' was loaded from it"),
            std::string::npos);
}

TEST(IsolatedDecoder, ServesRowsTheHostWroteIntoTheSharedSlots) {
  IsolatedDecoder decoder = crashy();
  const Poem copied = write(decoder, kWrite);
  FakeModel model(&decoder);
  const std::vector<double> params{kWrite, 8};
  const poet_request request = request_for(model.start(), params);
  poet_state result = -1;
  ASSERT_EQ(decoder.decode(model, request, 1, &result, nullptr), POET_OK);
  EXPECT_GT(model.rows_written_in_place(), 12);
  EXPECT_EQ(model.text_of(result), copied.text);
  EXPECT_NE(decoder.row_slot(0), nullptr);
  EXPECT_EQ(decoder.row_slot(kMaxStates), nullptr);
}

TEST(IsolatedDecoder, KeepsOneInstanceAProcessAndTellsItOfANewModel) {
  const fs::path destroyed = fs::path(test::scratch_dir()) / "destroyed.log";
  fs::remove(destroyed);
  ::setenv("POET_TEST_DESTROY_LOG", destroyed.c_str(), 1);
  std::string process;
  {
    IsolatedDecoder decoder = crashy();
    const Poem first = write(decoder, kWrite);
    const Poem second = write(decoder, kWrite);
    const Poem third = write(decoder, kWrite, 2);
    process = first.process;
    EXPECT_EQ(second.process, process);
    EXPECT_EQ(third.process, process);
    EXPECT_NE(first.report.find("creates=1 changes=0 "), std::string::npos) << first.report;
    EXPECT_NE(second.report.find("creates=1 changes=0 "), std::string::npos) << second.report;
    EXPECT_NE(third.report.find("creates=1 changes=1 "), std::string::npos) << third.report;
  }
  ::unsetenv("POET_TEST_DESTROY_LOG");
  std::ifstream log(destroyed);
  std::stringstream lines;
  lines << log.rdbuf();
  EXPECT_EQ(lines.str(), fmt::format("destroyed in {}\n", process));
}

TEST(IsolatedDecoder, ReportsACrashAndStartsAfreshForTheNextPoem) {
  IsolatedDecoder decoder = crashy();
  const std::string before = write(decoder, kWrite).process;
  EXPECT_EQ(crash_of(decoder, kSegfault),
            "decoder 'crashy' crashed (SIGSEGV, segmentation fault); it starts afresh for the next "
            "poem");
  const Poem after = write(decoder, kWrite);
  EXPECT_EQ(after.status, POET_OK);
  EXPECT_NE(after.process, before);
  EXPECT_NE(after.report.find("creates=1 "), std::string::npos) << after.report;

  EXPECT_EQ(crash_of(decoder, kAbort),
            "decoder 'crashy' crashed (SIGABRT, aborted); it starts afresh for the next poem");
  EXPECT_EQ(write(decoder, kWrite).status, POET_OK);
}

TEST(IsolatedDecoder, LeavesNoProcessAndNoDescriptorBehind) {
  const auto open_fds = [] {
    return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator());
  };
  const auto before = open_fds();
  {
    IsolatedDecoder decoder = crashy();
    write(decoder, kWrite);
    EXPECT_THROW(write(decoder, kSegfault), Error);
    write(decoder, kWrite);
  }
  EXPECT_EQ(open_fds(), before);
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // no child left, not even a zombie
  EXPECT_EQ(errno, ECHILD);
}

// The plugin's process as this one sees it, the last of the runner's chain below this process
// (its guard; the namespace's init, if it made one; the plugin's process).
pid_t plugin_process() {
  pid_t last = ::getpid();
  for (auto below = test::child_processes(last); below.size() == 1;
       below = test::child_processes(last))
    last = below[0];
  return last;
}

TEST(IsolatedDecoder, ReplacesAProcessKilledBetweenPoems) {
  IsolatedDecoder decoder = crashy();
  const Poem first = write(decoder, kWrite);
  ASSERT_EQ(::kill(plugin_process(), SIGKILL), 0);
  // Until the runner has ended with the plugin's process: a zombie, which only its parent, this
  // process, can clear; its end of the socket is closed by then.
  const auto gone = [] {
    siginfo_t ended{};
    return ::waitid(P_ALL, 0, &ended, WEXITED | WNOHANG | WNOWAIT) == 0 && ended.si_pid != 0;
  };
  while (!gone()) std::this_thread::sleep_for(milliseconds(1));
  const Poem next = write(decoder, kWrite);
  EXPECT_EQ(next.status, POET_OK);
  EXPECT_NE(next.process, first.process);
}

// The terminal's Ctrl-C and Ctrl-\ are poet's to handle: sent to the runner's whole group, as a
// terminal sends them to its foreground group, they end none of its processes. (A fatal signal
// ends a process as it is sent, so the next poem would find it gone.)
TEST(IsolatedDecoder, LeavesTheTerminalsSignalsToPoet) {
  IsolatedDecoder decoder = crashy();
  const Poem first = write(decoder, kWrite);
  const auto runner = test::child_processes(::getpid());
  ASSERT_EQ(runner.size(), 1u);
  ASSERT_EQ(::kill(-runner[0], SIGINT), 0);
  ASSERT_EQ(::kill(-runner[0], SIGQUIT), 0);
  EXPECT_EQ(write(decoder, kWrite).process, first.process);
}

TEST(IsolatedDecoder, RefusesMoreStatesThanItHasSlotsFor) {
  IsolatedDecoder decoder = crashy();
  const std::string process = write(decoder, kWrite).process;
  FakeModel model;
  const std::vector<double> params{kHoard, 8};
  const poet_request request = request_for(model.start(), params);
  poet_state result = -1;
  try {
    decoder.decode(model, request, 1, &result, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "decoder 'crashy' held more than 4096 states at once, the most an "
                 "isolated decoder may hold");
  }
  EXPECT_EQ(write(decoder, kWrite).process, process);  // not a crash: the process goes on
}

TEST(IsolatedDecoder, SaysWhenAPluginDiedAtItsMemoryLimit) {
  IsolatedDecoder decoder = crashy();
  EXPECT_EQ(
      crash_of(decoder, kAllocate),
      "decoder 'crashy' crashed (SIGABRT, aborted) at its memory limit of 256.0 MB; it starts "
      "afresh for the next poem");
  EXPECT_EQ(write(decoder, kWrite).status, POET_OK);
}

// The limit is a hard one: a plugin that raises its own is refused by the kernel.
TEST(IsolatedDecoder, APluginCannotLiftItsMemoryLimit) {
  IsolatedDecoder decoder = crashy();
  EXPECT_EQ(
      crash_of(decoder, kLiftLimit),
      "decoder 'crashy' crashed (SIGABRT, aborted) at its memory limit of 256.0 MB; it starts "
      "afresh for the next poem");
}

// What a plugin writes to its standard output and error goes to poet in a pipe of its own, read
// as it comes (8 MB would fill any pipe), kept short and cleaned: a warning of the poem.
TEST(IsolatedDecoder, APluginsOutputIsItsPoemsWarningNeverPoetsOutput) {
  IsolatedDecoder decoder = crashy();
  FakeModel model;
  const std::vector<double> params{kChatter, 8};
  const poet_request request = request_for(model.start(), params);
  poet_state result = -1;
  ASSERT_EQ(decoder.decode(model, request, 1, &result, nullptr), POET_OK);
  ASSERT_EQ(model.warnings().size(), 2u);  // the plugin's report, then its output
  const std::string& output = model.warnings()[1];
  const std::size_t bytes = std::string("\x1b[2J\x1b]0;owned\x07\xff\xfe\nhello").size() +
                            (std::size_t{8} << 20) + std::string("bye\n").size();
  const std::string shown = "\uFFFD[2J\uFFFD]0;owned\uFFFD\uFFFD\uFFFD hello";
  EXPECT_EQ(output.rfind(fmt::format("wrote {} bytes to its output: {}xxx", bytes, shown), 0), 0u)
      << output;
  EXPECT_EQ(output.find('\x1b'), std::string::npos);
  EXPECT_LT(output.size(), 300u);
  EXPECT_EQ(write(decoder, kWrite).status, POET_OK);  // and the next poem says nothing of it
}

// The process crashy's spawn mode started last, not among `known`: the file it made in `dir` and
// locks while it runs; "" if there is none.
std::string spawned(const fs::path& dir, std::vector<std::string>& known) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string path = entry.path();
    if (std::find(known.begin(), known.end(), path) != known.end()) continue;
    known.push_back(path);
    return path;
  }
  return {};
}

// A plugin's descendants end with its process, even one in a session of its own, whether the
// process crashes, quits or is stopped by poet: in a PID namespace of its own, or, where there is
// none (POET_PLUGIN_NAMESPACES=off), by the runner's guard.
class WhatAPluginStarts : public ::testing::TestWithParam<const char*> {};

TEST_P(WhatAPluginStarts, EndsWithItsProcess) {
  ::setenv("POET_PLUGIN_NAMESPACES", GetParam(), 1);
  const fs::path dir = fs::path(test::scratch_dir()) / "spawned";
  fs::remove_all(dir);
  fs::create_directories(dir);
  ::setenv("POET_TEST_SPAWN_DIR", dir.c_str(), 1);
  std::vector<std::string> known;
  {
    IsolatedDecoder decoder = crashy();
    ASSERT_EQ(write(decoder, kSpawn).status, POET_OK);
    const std::string first = spawned(dir, known);
    ASSERT_NE(first, "") << "the plugin started nothing";
    EXPECT_TRUE(test::lock_holder_runs(first));  // it outlives its parent, which has exited
    EXPECT_THROW(write(decoder, kSegfault), Error);
    EXPECT_TRUE(test::lock_holder_ends(first)) << "what a crashed plugin started is still running";
    ASSERT_EQ(write(decoder, kSpawn).status, POET_OK);
    ASSERT_NE(spawned(dir, known), "");
  }
  EXPECT_TRUE(test::lock_holder_ends(known[1])) << "what a plugin started outlived it";
  {
    IsolatedDecoder decoder = crashy({kLimits.memory_bytes, milliseconds(1000)});
    ASSERT_EQ(write(decoder, kSpawn).status, POET_OK);
    ASSERT_NE(spawned(dir, known), "");
    EXPECT_NE(crash_of(decoder, kHang).find("did not answer"), std::string::npos);
  }
  ::unsetenv("POET_TEST_SPAWN_DIR");
  ::unsetenv("POET_PLUGIN_NAMESPACES");
  EXPECT_TRUE(test::lock_holder_ends(known[2])) << "what a plugin stopped by poet started outlived it";
}

INSTANTIATE_TEST_SUITE_P(Confinement, WhatAPluginStarts, ::testing::Values("on", "off"));

TEST(IsolatedDecoder, StopsAPluginThatGoesSilent) {
  IsolatedDecoder decoder = crashy({kLimits.memory_bytes, milliseconds(1000)});
  write(decoder, kWrite);  // loaded first: the limit then bears on the hang alone
  EXPECT_EQ(crash_of(decoder, kHang),
            "decoder 'crashy' did not answer for 1 s and was stopped; it starts afresh for the "
            "next poem");
  EXPECT_EQ(write(decoder, kWrite).status, POET_OK);
}

// Ctrl-C, as another thread sets it while the poem is written.
Poem cancelled(IsolatedDecoder& decoder, Mode mode, milliseconds* took) {
  std::atomic<bool> cancel{false};
  std::thread presses([&] {
    std::this_thread::sleep_for(milliseconds(200));
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  const Poem poem = write(decoder, mode, 1, &cancel);
  *took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  presses.join();
  return poem;
}

// Stopped after its second of grace, well before the silence limit (kLimits: 10 s) would.
TEST(IsolatedDecoder, CtrlCStopsAPluginThatNeverAsks) {
  IsolatedDecoder decoder = crashy();
  write(decoder, kWrite);
  milliseconds took{};
  EXPECT_EQ(cancelled(decoder, kHang, &took).status, POET_CANCELLED);
  EXPECT_LT(took, milliseconds(8000));
  EXPECT_EQ(write(decoder, kWrite).status, POET_OK);
}

TEST(IsolatedDecoder, CtrlCReachesAPluginThatAsksWithoutARoundTrip) {
  IsolatedDecoder decoder = crashy();
  const std::string process = write(decoder, kWrite).process;
  milliseconds took{};
  EXPECT_EQ(cancelled(decoder, kWaitForCancel, &took).status, POET_CANCELLED);
  EXPECT_EQ(write(decoder, kWrite).process, process);  // within its grace: the same goes on
}

TEST(ProbePlugin, DescribesAPluginAsReadDescriptorDoesInProcess) {
  const DecoderDescription isolated = probe_plugin(kRunner, kCrashy, kLimits).at(0);
  const DecoderDescription in_process = open_library(kCrashy).front().description;
  EXPECT_EQ(isolated.name, "crashy");
  EXPECT_EQ(isolated.name, in_process.name);
  EXPECT_EQ(isolated.version, in_process.version);
  EXPECT_EQ(isolated.help, in_process.help);
  EXPECT_EQ(isolated.streams, in_process.streams);
  EXPECT_EQ(isolated.steps_heads, in_process.steps_heads);
  ASSERT_EQ(isolated.aliases.size(), 1u);
  ASSERT_EQ(in_process.aliases.size(), 1u);
  EXPECT_EQ(isolated.aliases[0].option, "how");
  EXPECT_EQ(isolated.aliases[0].param, in_process.aliases[0].param);
  ASSERT_EQ(isolated.params.size(), 2u);
  ASSERT_EQ(isolated.params.size(), in_process.params.size());
  for (std::size_t i = 0; i < isolated.params.size(); ++i) {
    const DecoderParam &a = isolated.params[i], &b = in_process.params[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.default_value, b.default_value);
    EXPECT_EQ(a.min_value, b.min_value);
    EXPECT_EQ(a.max_value, b.max_value);
    EXPECT_EQ(a.choices, b.choices);
    EXPECT_EQ(a.help, b.help);
  }
}

// The capabilities crashy leaves out, through the pipe too.
TEST(ProbePlugin, SaysABuiltInDecoderNeverDraws) {
  const DecoderDescription isolated = probe_plugin(kRunner, POET_GREEDY, kLimits).at(0);
  EXPECT_TRUE(isolated.seedless);
  EXPECT_TRUE(isolated.streams);
  EXPECT_FALSE(probe_plugin(kRunner, kCrashy, kLimits).at(0).seedless);
}

TEST(ProbePlugin, RefusesWhatTheLoaderRefusesWithTheSameReason) {
  for (const auto& entry : fs::directory_iterator(kTestPlugins / "refused")) {
    std::string in_process;
    try {
      start_plugin(open_library(entry.path()).front());
    } catch (const Error& refusal) {
      in_process = refusal.what();
    }
    ASSERT_NE(in_process, "") << entry.path();
    try {
      probe_plugin(kRunner, entry.path(), kLimits);
      ADD_FAILURE() << entry.path() << " was not refused";
    } catch (const Error& refusal) {
      EXPECT_EQ(refusal.what(), in_process);
    }
  }
}

TEST(ProbePlugin, RefusesAFileThatCrashesTheLoader) {
  // A plugin cut short, as by a copy interrupted: its headers promise pages that are not there.
  const fs::path truncated = fs::path(test::scratch_dir()) / "truncated.so";
  fs::copy_file(kCrashy, truncated, fs::copy_options::overwrite_existing);
  fs::resize_file(truncated, 4096);
  try {
    probe_plugin(kRunner, truncated, kLimits);
    ADD_FAILURE() << "a truncated plugin was not refused";
  } catch (const Error& refusal) {
    EXPECT_STREQ(refusal.what(), "crashed while loading (SIGBUS, bus error)");
  }
}

TEST(ProbePlugin, SaysWhenTheRunnerIsMissing) {
  try {
    probe_plugin("/nonexistent/poet-decoder-runner", kCrashy, kLimits);
    ADD_FAILURE() << "no runner, but no refusal";
  } catch (const Error& refusal) {
    EXPECT_STREQ(refusal.what(),
                 "cannot start /nonexistent/poet-decoder-runner: No such file or directory");
  }
}

// A FIFO named like a plugin is refused unopened (opening it would wait for a writer), and
// plugins that hang while loading are probed side by side: start-up waits about one silence
// limit for them all, not one each.
TEST(DecoderSet, RefusesAFifoUnreadAndProbesHangingPluginsSideBySide) {
  const fs::path folder = fs::path(test::scratch_dir()) / "hanging";
  fs::remove_all(folder);
  fs::create_directories(folder);
  ASSERT_EQ(::mkfifo((folder / "fifo.so").c_str(), 0600), 0);
  constexpr int kHanging = 8;
  for (int i = 0; i < kHanging; ++i)
    fs::copy_file(kTestPlugins / "hangs" / "test_hangs_loading.so", folder / fmt::format("hangs{}.so", i));
  PluginPolicy policy;
  policy.config.limits = {kLimits.memory_bytes, milliseconds(3000)};
  policy.built_in_folders = 0;
  policy.runner = kRunner;
  const auto start = std::chrono::steady_clock::now();
  const DecoderSet set({folder}, policy);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(set.refused().size(), kHanging + 1u);
  EXPECT_EQ(set.refused()[0].reason, "is a FIFO, not a regular file: a plugin is a shared library");
  for (int i = 1; i <= kHanging; ++i)
    EXPECT_EQ(set.refused()[i].reason, "did not finish loading in 3 s and was stopped");
  // One after another they would take 24 s.
  EXPECT_LT(took, std::chrono::seconds(16));
}

}  // namespace
}  // namespace poet
