#pragma once
// Ctrl-C as a request to stop the running command, not poet: while an InterruptScope lives,
// SIGINT only sets a flag that generation and training poll.

#include <signal.h>

#include <atomic>

namespace poet::repl {

std::atomic<bool>& interrupted();

class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_ {};
};

}  // namespace poet::repl
