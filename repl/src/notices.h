#pragma once
// News from other threads (a checkpoint written by background training, a model reloaded) for
// the person at the prompt. While the prompt waits for a line, a notice is printed above it at
// once and the prompt redrawn; while a command runs, notices wait until it is done, so that they
// never break into a poem being written.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace poet::repl {

class Terminal;

class Notices {
 public:
  using Printer = std::function<void(const std::string& text)>;

  void post(std::string text);
  // The prompt reader, while it waits for a line: how to print above the prompt. Null when it
  // stops waiting.
  void set_prompt_printer(Printer printer);
  // Prints the notices that waited, as notes.
  void flush(Terminal& terminal);

 private:
  std::mutex mutex_;
  Printer prompt_printer_;
  std::vector<std::string> waiting_;
};

}  // namespace poet::repl
