#include "pty_session.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace poet::test {

using Clock = std::chrono::steady_clock;

PtySession::PtySession(const std::string& program, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
  struct winsize size {};
  size.ws_row = 40;
  size.ws_col = 100;
  pid_ = forkpty(&master_, nullptr, nullptr, &size);
  if (pid_ < 0) throw std::runtime_error("forkpty failed");
  if (pid_ == 0) {
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
}

PtySession::~PtySession() {
  if (running()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(master_);
}

void PtySession::type(std::string_view keys) {
  while (!keys.empty()) {
    const ssize_t written = write(master_, keys.data(), keys.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) throw std::runtime_error("writing to the terminal failed");
    keys.remove_prefix(static_cast<std::size_t>(written));
  }
}

bool PtySession::read_some(std::chrono::milliseconds timeout) {
  pollfd fd{master_, POLLIN, 0};
  if (poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buffer[4096];
  const ssize_t got = read(master_, buffer, sizeof buffer);
  if (got <= 0) return false;  // EIO once the program has ended
  output_.append(buffer, static_cast<std::size_t>(got));
  return true;
}

bool PtySession::wait_for_line_editing(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    termios modes{};  // a master reads its terminal's modes on Linux
    if (tcgetattr(master_, &modes) == 0 && (modes.c_lflag & ICANON) == 0) return true;
    if (Clock::now() >= deadline) return false;
    read_some(std::chrono::milliseconds(10));
  }
}

bool PtySession::wait_for(std::string_view expected, std::chrono::milliseconds timeout) {
  return wait_for_after(consumed_, expected, timeout);
}

bool PtySession::wait_for_anywhere(std::string_view expected, std::chrono::milliseconds timeout) {
  return wait_for_after(0, expected, timeout);
}

bool PtySession::wait_for_after(std::size_t from, std::string_view expected,
                                std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const auto at = output_.find(expected, from); at != std::string::npos) {
      consumed_ = std::max(consumed_, at + expected.size());
      return true;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    read_some(std::min(left, std::chrono::milliseconds(100)));
  }
}

bool PtySession::running() {
  if (status_ != -1) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int PtySession::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      status_ = -1;
      return -1;
    }
    read_some(std::chrono::milliseconds(50));
  }
  while (read_some(std::chrono::milliseconds(0))) {
  }
  return status_;
}

}  // namespace poet::test
