#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace poet::test {
namespace {

// In the child, after fork: applies the limits and runs the program; never returns.
[[noreturn]] void exec_program(const std::string& program, const std::vector<std::string>& args,
                               const Limits& limits) {
  if (limits.file_size) {
    std::signal(SIGXFSZ, SIG_IGN);  // ignored signals stay ignored across exec
    const rlimit limit{*limits.file_size, *limits.file_size};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(126);
  }
  std::vector<char*> argv{const_cast<char*>(program.c_str())};
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execv(program.c_str(), argv.data());
  _exit(127);
}

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

Completed run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::string& input, const Limits& limits) {
  int in[2], out[2], err[2];
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    exec_program(program, args, limits);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  std::signal(SIGPIPE, SIG_IGN);  // a child that exits without reading all its input

  Completed result;
  std::size_t written = 0;
  if (input.empty()) close(in[1]);
  bool input_open = !input.empty();
  std::array<pollfd, 3> fds{{{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}}};
  int open_outputs = 2;
  while (open_outputs > 0) {
    const nfds_t count = input_open ? 3 : 2;
    if (poll(fds.data(), count, -1) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      char buffer[4096];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_outputs;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      }
    }
    if (input_open && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      const ssize_t n = write(in[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n <= 0 || written == input.size()) {
        close(in[1]);
        input_open = false;
      }
    }
  }
  if (input_open) close(in[1]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  result.max_rss_kb = usage.ru_maxrss;
  result.exit_code = exit_code(status);
  return result;
}

RunningProgram::RunningProgram(const std::string& program, const std::vector<std::string>& args) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    exec_program(program, args, {});
  }
  close(out[1]);
  output_fd_ = out[0];
}

RunningProgram::~RunningProgram() {
  if (pid_ > 0) kill(SIGKILL);
  close(output_fd_);
}

bool RunningProgram::wait_for(std::string_view expected, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto at = output_.find(expected, consumed_); at != std::string::npos) {
      consumed_ = at + expected.size();
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd fd{output_fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&fd, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[4096];
    const ssize_t n = read(output_fd_, buffer, sizeof buffer);
    if (n <= 0) return false;
    output_.append(buffer, static_cast<std::size_t>(n));
  }
}

int RunningProgram::kill(int signal) {
  ::kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  // What it wrote before it ended is still in the pipe.
  char buffer[4096];
  for (ssize_t n; (n = read(output_fd_, buffer, sizeof buffer)) > 0;)
    output_.append(buffer, static_cast<std::size_t>(n));
  return exit_code(status);
}

std::vector<pid_t> child_processes(pid_t parent) {
  std::vector<pid_t> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // pid (command) state ppid ...: the command may hold spaces and parentheses.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) pids.push_back(std::stoi(name));
  }
  return pids;
}

bool process_runs(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

namespace {

// Waits, up to a minute, for `runs` to turn false; whether it did.
template <typename Runs>
bool ends_within_a_minute(Runs runs) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (runs() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return !runs();
}

}  // namespace

bool process_ends(pid_t pid) {
  return ends_within_a_minute([pid] { return process_runs(pid); });
}

bool lock_holder_runs(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the lock this took, if it took one
  return held;
}

bool lock_holder_ends(const std::string& path) {
  return ends_within_a_minute([&path] { return lock_holder_runs(path); });
}

}  // namespace poet::test
