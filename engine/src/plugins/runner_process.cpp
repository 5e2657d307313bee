#include "plugins/runner_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <thread>

#include "poet/engine/error.h"

namespace poet {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPoll{100};         // how often a wait looks at Ctrl-C and the clock
constexpr std::size_t kKeptOutput = 4096;  // of what a plugin writes to its output, per poem
// For the runner's guard, told to end by a hang-up, to end what the plugin started before it is
// killed itself (without a PID namespace, that sweep is the guard's own).
constexpr milliseconds kSweep{500};

}  // namespace

RunnerProcess::RunnerProcess(const fs::path& runner, const char* mode, const fs::path& plugin,
                             std::uint64_t address_space, std::size_t decoder) {
  const auto cannot = [](std::string_view what) {
    return Error::plugin(fmt::format("cannot make a {} for a decoder: {}", what,
                                     std::generic_category().message(errno)));
  };
  int ends[2], output[2];
  // Close-on-exec, so that no other process poet starts meanwhile inherits either end.
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) throw cannot("socket");
  socket_ = UniqueFd(ends[0]);
  const UniqueFd theirs(ends[1]);
  if (::pipe2(output, O_CLOEXEC | O_NONBLOCK) != 0) throw cannot("pipe");
  output_ = UniqueFd(output[0]);
  const UniqueFd output_end(output[1]);
  // The runner's end blocks, as a process's standard output does.
  ::fcntl(output_end.get(), F_SETFL, 0);

  // posix_spawn, not fork: poet has other threads (training, the model watcher).
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, theirs.get(), kRunnerSocketFd);
  // The plugin must not read the keys typed at poet's prompt, nor write into poet's output.
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, output_end.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, output_end.get(), STDERR_FILENO);
  posix_spawnattr_t attributes;
  ::posix_spawnattr_init(&attributes);
  // The terminal's signals stay blocked into the runner, which ignores them: a Ctrl-C that reaches
  // poet's group in the instant before the child leaves it is pending there, and would otherwise
  // end the runner as its mask is set.
  sigset_t terminal_signals, all;
  ::sigemptyset(&terminal_signals);
  ::sigaddset(&terminal_signals, SIGINT);
  ::sigaddset(&terminal_signals, SIGQUIT);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attributes, &terminal_signals);
  ::posix_spawnattr_setsigdefault(&attributes, &all);
  // A group of its own: Ctrl-C at the terminal is poet's to handle, and the group is what a
  // kill stops.
  ::posix_spawnattr_setpgroup(&attributes, 0);
  ::posix_spawnattr_setflags(
      &attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::string memory = std::to_string(address_space), index = std::to_string(decoder);
  std::string runner_path = runner.string(), plugin_path = plugin.string(), mode_name = mode;
  char* argv[] = {runner_path.data(), mode_name.data(), plugin_path.data(), memory.data(),
                  index.data(), nullptr};
  const int error = ::posix_spawn(&pid_, runner_path.c_str(), &actions, &attributes, argv, environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    pid_ = -1;
    throw Error::plugin(
        fmt::format("cannot start {}: {}", runner_path, std::generic_category().message(error)));
  }
}

RunnerProcess::Heard RunnerProcess::receive(Packet& packet, Clock::time_point deadline,
                                            const std::atomic<bool>* cancel) {
  for (;;) {
    if (cancel != nullptr && cancel->load()) return Heard::cancelled;
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Heard::timeout;
    pollfd ends[2] = {{socket_.get(), POLLIN, 0}, {output_.get(), POLLIN, 0}};
    const int ready = ::poll(ends, 2, static_cast<int>(std::min(left, kPoll).count()));
    if (ready > 0 && ends[1].revents != 0) drain_output();
    if ((ready > 0 && ends[0].revents != 0) || (ready < 0 && errno != EINTR))
      return receive_message(socket_.get(), packet) ? Heard::message : Heard::closed;
  }
}

void RunnerProcess::drain_output() {
  char buffer[65536];
  // A megabyte at a time, so that a plugin that never stops writing cannot keep poet from its
  // socket and its clock.
  for (int reads = 0; output_ && reads < 16; ++reads) {
    const ssize_t got = ::read(output_.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return;
    if (got <= 0) {  // no writer left (or a broken pipe): nothing more will come
      output_ = UniqueFd();
      return;
    }
    const auto room = kKeptOutput - std::min(kKeptOutput, unread_.start.size());
    unread_.start.append(buffer, std::min(room, static_cast<std::size_t>(got)));
    unread_.bytes += static_cast<std::uint64_t>(got);
  }
}

RunnerProcess::Output RunnerProcess::take_output() {
  drain_output();
  return std::exchange(unread_, {});
}

RunnerProcess::End RunnerProcess::finish(milliseconds grace) {
  int status = 0;
  rusage usage{};
  // Whether it has ended by `deadline`, draining its output meanwhile (a full pipe would hold up
  // a plugin's last words, and with them its end).
  const auto ended_by = [&](Clock::time_point deadline) {
    for (;;) {
      const pid_t reaped = ::wait4(pid_, &status, WNOHANG, &usage);
      if (reaped == pid_ || (reaped < 0 && errno != EINTR)) return true;
      if (Clock::now() >= deadline) return false;
      drain_output();
      std::this_thread::sleep_for(milliseconds(5));
    }
  };
  if (!ended_by(Clock::now() + grace)) {
    ::shutdown(socket_.get(), SHUT_RDWR);  // the guard's cue to end the plugin and all it started
    if (!ended_by(Clock::now() + kSweep)) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);  // in case the plugin moved it to a group of its own
      while (::wait4(pid_, &status, 0, &usage) < 0 && errno == EINTR) {
      }
    }
  }
  pid_ = -1;
  return {status, static_cast<std::uint64_t>(usage.ru_maxrss) * 1024};
}

bool RunnerProcess::has_hung_up_or_spoken() const {
  pollfd end{socket_.get(), POLLIN, 0};
  return ::poll(&end, 1, 0) != 0;
}

}  // namespace poet
