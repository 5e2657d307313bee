#pragma once
// One decoder runner as poet holds it (internal to the engine): the process, the socket poet
// speaks to it on, and the pipe its output comes back through (isolation.h uses it).

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "plugins/isolation_protocol.h"

namespace poet {

// One runner: its process, poet's end of their socket, and of the pipe that takes the plugin's
// standard output and error (never poet's own). A process still running when this goes is
// killed, with anything it started, and every process is reaped.
class RunnerProcess {
 public:
  // `address_space`: what the plugin may map, its memory limit and poet's tables together.
  // `decoder`: which of the library's decoders (0, the entry's) serve writes with.
  RunnerProcess(const std::filesystem::path& runner, const char* mode, const std::filesystem::path& plugin,
                std::uint64_t address_space, std::size_t decoder = 0);
  ~RunnerProcess() {
    if (pid_ > 0) finish(std::chrono::milliseconds(0));
  }
  RunnerProcess(const RunnerProcess&) = delete;
  RunnerProcess& operator=(const RunnerProcess&) = delete;

  int socket() const { return socket_.get(); }
  // Whether the runner has hung up or said something out of turn, between poems.
  bool has_hung_up_or_spoken() const;

  enum class Heard { message, closed, timeout, cancelled };
  // Waits for the runner's next message until `deadline`, or until *cancel is set.
  Heard receive(Packet& packet, std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* cancel);

  struct End {
    int status = 0;             // as wait4() gives it
    std::uint64_t max_rss = 0;  // bytes
  };
  // Waits up to `grace` for the process to end by itself; then hangs up, on which the runner's
  // guard ends the plugin and all it started, and kills it if it has not ended half a second
  // later. Reaps it.
  End finish(std::chrono::milliseconds grace);

  // What the plugin wrote to its output since the last call: the first 4,096 bytes, and
  // how many there were.
  struct Output {
    std::string start;
    std::uint64_t bytes = 0;
  };
  Output take_output();

 private:
  // Reads what the pipe holds, keeping the start and counting the rest, so that a plugin that
  // writes much is not blocked by a full pipe while poet waits for it.
  void drain_output();

  pid_t pid_ = -1;
  UniqueFd socket_;
  UniqueFd output_;  // non-blocking; closed once the pipe has no writer left
  Output unread_;
};

}  // namespace poet
