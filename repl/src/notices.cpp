#include "notices.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

#include "terminal.h"

namespace poet::repl {

Notices::Notices() {
  int ends[2];
  // Non-blocking: a full pipe already wakes the prompt, and post() must never wait for it.
  if (pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("cannot create a pipe");
  wake_read_ = ends[0];
  wake_write_ = ends[1];
}

Notices::~Notices() {
  close(wake_read_);
  close(wake_write_);
}

void Notices::post(std::string text) {
  std::lock_guard lock(mutex_);
  waiting_.push_back(std::move(text));
  if (write(wake_write_, "", 1) < 0) return;  // full: the prompt has been woken already
}

std::vector<std::string> Notices::take() {
  std::lock_guard lock(mutex_);
  char drained[64];
  while (read(wake_read_, drained, sizeof drained) > 0) {
  }
  return std::exchange(waiting_, {});
}

void Notices::flush(Terminal& terminal) {
  for (const auto& text : take()) terminal.note(text);
}

}  // namespace poet::repl
