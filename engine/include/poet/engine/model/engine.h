#pragma once
// The engine behind the prompt: it holds the loaded model, swaps checkpoints while generations
// run, and offers decoders a stepping interface. LibTorch stays behind this header.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "poet/engine/error.h"
#include "poet/engine/files/corpus.h"
#include "poet/engine/model/device.h"
#include "poet/engine/model/history.h"
#include "poet/engine/model/model_config.h"
#include "poet/engine/model/positions.h"
#include "poet/engine/model/random.h"
#include "poet/engine/model/vocabulary.h"

namespace poet {

// How well a model predicts a file of poems: what `eval` reports.
struct Evaluation {
  std::size_t poems = 0;
  std::int64_t characters = 0;    // marks included, each poem's end not
  std::int64_t unknown = 0;       // characters outside the model's vocabulary, scored as <unk>
  // Per character (and end of poem), from what the form alone fixes: a model with metre inputs
  // reads them blank here (the headline figure, which compares with any model's).
  double perplexity = 0;
  // A model with metre inputs only: its perplexity reading them, as validation in training and
  // writing do, conditioned on what the metre patterns ask of each character.
  std::optional<double> metre_perplexity;
  std::size_t skipped_lines = 0;  // lines of the file that do not parse
  std::size_t too_long = 0;       // poems longer than kLongestPoem (limits.h), left out
};

struct ModelInfo {
  ModelConfig config;
  int vocabulary_size = 0;  // special tokens included
  std::int64_t parameters = 0;
  std::string device;  // "cpu" or "cuda"
  std::int64_t steps_trained = 0;
  std::optional<double> valid_perplexity;  // the last one measured in training, if any
  std::vector<HistoryEntry> history;       // how it was trained, as the checkpoint records it
  std::filesystem::path file;
};

class LoadedModel;  // one checkpoint's weights on the device; shared by the generations using it
class StepBatch;

// One state of the model: the history of tokens fed so far, as the RNN's hidden state, and the
// log-probabilities of the next token.
using StateId = std::int32_t;

// A generation bound to the model that was loaded when it began: a later `load` does not change
// it. Not thread-safe; one generation belongs to one thread (several may run at once).
class Generation {
 public:
  Generation(std::shared_ptr<const LoadedModel> model, std::uint64_t seed);
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  const Vocabulary& vocabulary() const;
  int vocabulary_size() const;

  // The tokens of `text`; throws poet::Error naming the first character the vocabulary lacks:
  // '𠀀' is not in the model's vocabulary.
  std::vector<int> tokens(std::u32string_view text) const;
  // A state that has read <start> and then `prefix` (tokens() says which character is missing).
  StateId start(std::u32string_view prefix);
  StateId start_tokens(const std::vector<int>& tokens);
  StateId clone(StateId state);
  void release(StateId state);

  // The next-token log-probabilities of a state: vocabulary_size() floats, valid until the state
  // is stepped or released.
  const float* log_probs(StateId state) const;

  // Feeds tokens[i] to states[i], all in one batched forward pass, and updates their
  // log-probabilities. Throws Error::input for an unknown state or a bad token. In a StepBatch,
  // the pass also serves the other generations of the batch.
  void step(const StateId* states, const int* tokens, std::size_t count);
  // Makes this generation's steps meet those of the batch's other members (null: step alone).
  void join(StepBatch* batch) { batch_ = batch; }

  // Whether the form makes every line as long as the first (FormRule::same_length), which a model
  // with position inputs is told (poet/engine/positions.h); for the states started after. Off by
  // default.
  void set_lines_alike(bool alike);
  // The position inputs fed with the last token a state read (whether or not its model reads them).
  PositionInputs position(StateId state) const;

  Random& random() { return random_; }
  const ModelInfo& model_info() const;
  // Differs between any two models loaded in this process (decoders hear when it changes).
  std::uint64_t model_serial() const;

 private:
  struct States;
  std::shared_ptr<const LoadedModel> model_;
  std::unique_ptr<States> states_;
  Random random_;
  bool lines_alike_ = false;
  StepBatch* batch_ = nullptr;

  friend class StepBatch;
  struct StepRequest {
    Generation* generation;
    const StateId* states;
    const int* tokens;
    std::size_t count;
    std::exception_ptr error;  // what stepping this request threw, if anything
  };
  // Steps every request, one forward pass per model among them; a request that fails (a bad
  // state) is left out of the pass and gets its error.
  static void step_together(std::vector<StepRequest>& requests);
};

// Generations that step together, each written on a thread of its own: a member's step() waits
// until every member still writing has asked for its step too, and then one forward pass serves
// them all, so that N poems cost one batched pass a character instead of N single ones. Each
// generation keeps its own random source, so its poem is the one it would write alone.
class StepBatch {
 public:
  explicit StepBatch(std::size_t members);
  ~StepBatch();
  StepBatch(const StepBatch&) = delete;
  StepBatch& operator=(const StepBatch&) = delete;

  // A member that will step no more (its poem is written, or failed) says so, or the others
  // would wait for it.
  void leave();

 private:
  friend class Generation;
  void step(Generation& generation, const StateId* states, const int* tokens, std::size_t count);
  void run_round();  // with mutex_ held

  std::mutex mutex_;
  std::condition_variable stepped_;
  std::size_t members_;  // still writing
  std::vector<Generation::StepRequest> waiting_;
  std::vector<std::exception_ptr> errors_;  // of the last round, by place in it
  std::uint64_t round_ = 0;
};

namespace detail {
// What tells one version of a file from the next: replacing it by rename changes the inode,
// rewriting it changes the time or the size.
struct FileVersion {
  std::uint64_t inode = 0;
  std::int64_t modified_ns = 0;
  std::int64_t size = -1;  // -1: no such file
  bool operator==(const FileVersion& other) const {
    return inode == other.inode && modified_ns == other.modified_ns && size == other.size;
  }
};
}  // namespace detail

class Engine {
 public:
  explicit Engine(DeviceChoice device = DeviceChoice::automatic);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads a checkpoint onto the device and makes it the model new generations use. On any
  // failure it throws poet::Error and the model loaded before keeps serving; so it does when
  // `cancel` (Ctrl-C) is set while the file is read.
  ModelInfo load(const std::filesystem::path& checkpoint, const std::atomic<bool>* cancel = nullptr);
  // Loads the last file given to load() again.
  ModelInfo reload(const std::atomic<bool>* cancel = nullptr);
  std::optional<ModelInfo> model_info() const;
  const std::string& device() const { return device_; }  // "cpu" or "cuda"

  // The current model's perplexity on a corpus file (either format); with `split`, only that
  // split's poems. Throws poet::Error when no model is loaded or the file has no such poems, and
  // Error::stopped once *cancel is set.
  Evaluation evaluate(const std::filesystem::path& corpus, std::optional<Split> split = std::nullopt,
                      const std::atomic<bool>* cancel = nullptr) const;

  // A generation on the current model; throws poet::Error when no model is loaded.
  std::unique_ptr<Generation> begin_generation(std::uint64_t seed) const;

  // Watching (off by default): when the loaded file is replaced on disk, by a training run for
  // example, load it; `on_reload` hears of each attempt (the model, or the error).
  using ReloadListener =
      std::function<void(const std::optional<ModelInfo>&, const std::string& error)>;
  void watch(std::chrono::milliseconds interval, ReloadListener on_reload);
  void stop_watching();

 private:
  std::shared_ptr<const LoadedModel> current() const;
  struct Watcher;

  std::string device_;
  mutable std::mutex mutex_;  // guards model_, file_ and file_version_
  std::shared_ptr<const LoadedModel> model_;
  std::filesystem::path file_;
  detail::FileVersion file_version_;
  std::unique_ptr<Watcher> watcher_;
};

}  // namespace poet
