#pragma once
// News from other threads (a checkpoint written by background training, a model reloaded) for
// the person at the prompt. Other threads only queue them; the prompt's own thread prints them:
// above the prompt at once while it waits for a line, or after the command that runs, so that
// they never break into a poem being written. (libedit, which draws the prompt, is not
// thread-safe: no other thread may redraw it.)

#include <mutex>
#include <string>
#include <vector>

namespace poet::repl {

class Terminal;

class Notices {
 public:
  Notices();
  ~Notices();
  Notices(const Notices&) = delete;
  Notices& operator=(const Notices&) = delete;

  void post(std::string text);
  // Readable while notices wait: the prompt waits on it beside the keyboard.
  int ready_fd() const { return wake_read_; }
  // The notices that waited, oldest first.
  std::vector<std::string> take();
  // Prints the notices that waited, as notes.
  void flush(Terminal& terminal);

 private:
  std::mutex mutex_;
  std::vector<std::string> waiting_;
  int wake_read_ = -1;  // a pipe that holds a byte while notices wait
  int wake_write_ = -1;
};

}  // namespace poet::repl
