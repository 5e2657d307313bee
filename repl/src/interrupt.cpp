#include "interrupt.h"

namespace poet::repl {

std::atomic<bool>& interrupted() {
  static std::atomic<bool> flag{false};
  return flag;
}

InterruptScope::InterruptScope() {
  struct sigaction action {};
  action.sa_handler = [](int) { interrupted() = true; };
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_);
}

InterruptScope::~InterruptScope() { sigaction(SIGINT, &previous_, nullptr); }

}  // namespace poet::repl
