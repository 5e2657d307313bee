#pragma once
// Decoder plugins in processes of their own. An isolated plugin is loaded by poet-decoder-runner
// (engine/runner/), a small program without LibTorch, which asks poet over a socket and shared
// memory (isolation_protocol.h) whatever the plugin asks of its host. A crash, an abort, an
// allocation without end or a hang then costs that process and the poem it was writing, not
// poet: the poem fails with one line saying what happened, and the next poem starts a fresh
// process. Internal to the engine; no LibTorch.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "plugins/decoder_calls.h"
#include "plugins/decoder_descriptor.h"
#include "plugins/isolation_protocol.h"
#include "poet/engine/error.h"
#include "poet/engine/plugins/decoders.h"

namespace poet {

// Loads a plugin in a runner of its own, runs its decoders' init() there and returns their
// descriptions (the entry's, then its factory's), the same as open_library() gives in process;
// throws Error::plugin saying why it cannot be used ("crashed while loading (SIGBUS, bus error)"
// among the reasons).
std::vector<DecoderDescription> probe_plugin(const std::filesystem::path& runner,
                                             const std::filesystem::path& plugin,
                                             const IsolationLimits& limits);

class RunnerProcess;

// One plugin's process: started for its first poem, restarted for the poem after it dies. One
// poem at a time; safe to use from any thread.
class IsolatedDecoder {
 public:
  // The decoder `index` of the library `plugin` (0: its entry's), named `name`, with the
  // parameters it was loaded with: a process that finds another decoder there refuses to write.
  IsolatedDecoder(std::filesystem::path runner, std::filesystem::path plugin, std::size_t index,
                  std::string name, std::vector<DecoderParam> params, IsolationLimits limits);
  // Asks the process to quit, which runs the plugin's destroy(), and reaps it; kills it if it
  // takes more than a moment.
  ~IsolatedDecoder();
  IsolatedDecoder(const IsolatedDecoder&) = delete;
  IsolatedDecoder& operator=(const IsolatedDecoder&) = delete;

  // Writes one poem in the plugin's process, its questions answered by `calls`; `request`'s
  // instance is the process's own and ignored here. Returns the plugin's status, or
  // POET_CANCELLED once *cancel is set (the plugin is stopped if it does not return within a
  // second). Throws Error::plugin when the process dies or goes silent for the silence limit,
  // and when the plugin held more states at once than kMaxStates, or when its file can
  // no longer be loaded or now holds another decoder.
  int32_t decode(DecoderCalls& calls, const poet_request& request,
                 std::uint64_t model_serial, poet_state* result, const std::atomic<bool>* cancel);

  // Where the plugin reads the row of `state`: a host that writes its log-probabilities here
  // saves a copy. Null for a state without a slot of its own (kMaxStates). Only for `calls` to
  // use within decode().
  float* row_slot(poet_state state);

 private:
  void start();
  // Asks the process to quit, which runs the plugin's destroy(), and reaps it.
  void quit();
  void share_tables(DecoderCalls& calls, std::uint64_t model_serial);
  // Answers one of the plugin's calls, in the middle of a poem.
  void answer(DecoderCalls& calls, MessageReader& call);
  std::uint64_t serve_row(DecoderCalls& calls, poet_state state);
  // Writes a state's row, position and place where the plugin reads them without asking.
  void publish(DecoderCalls& calls, poet_state state);
  void withdraw(poet_state state);
  [[noreturn]] void crashed(const std::string& what);

  const std::filesystem::path runner_, plugin_;
  const std::size_t index_;
  const std::string name_;
  const std::vector<DecoderParam> params_;
  const IsolationLimits limits_;

  std::mutex mutex_;  // one poem at a time: its messages must not interleave with another's
  std::unique_ptr<RunnerProcess> process_;  // none until the first poem and after a death
  std::uint64_t process_room_ = 0;          // the bytes of tables it was started with room for

  // The model's tables, shared with the process; rebuilt between poems when the model or the
  // metre changes.
  struct TablesKey {
    std::uint64_t model_serial;
    bool has_metre;
    std::string book;
    bool operator==(const TablesKey& other) const {
      return model_serial == other.model_serial && has_metre == other.has_metre &&
             book == other.book;
    }
  };
  std::optional<TablesKey> tables_;
  SharedRegion region_;
  RegionLayout layout_;
  bool region_sent_ = false;  // the running process has region_ mapped

  std::optional<std::string> overreach_;  // this poem went past what an isolated decoder may hold
  std::vector<poet_state> step_states_;   // step()'s arguments, copied out of the region
  std::vector<poet_token> step_tokens_;
  std::vector<poet_state> published_;  // this poem's boards, withdrawn before the next poem
};

}  // namespace poet
