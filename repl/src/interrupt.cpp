#include "interrupt.h"

namespace poet::repl {

std::atomic<bool>& interrupted() {
  static std::atomic<bool> flag{false};
  return flag;
}

InterruptScope::InterruptScope() {
  struct sigaction action {};
  action.sa_handler = [](int) { interrupted() = true; };
  // Restarted, not failed with EINTR: a Ctrl-C while a poem is being printed must not make the
  // write fail. The waits that Ctrl-C ends watch the flag instead (poll() is never restarted).
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_);
}

InterruptScope::~InterruptScope() { sigaction(SIGINT, &previous_, nullptr); }

}  // namespace poet::repl
