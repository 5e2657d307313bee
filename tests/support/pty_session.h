#pragma once
// A program on a pseudo-terminal, driven as a person at a keyboard would: what poet does only
// when a terminal is attached (the prompt, line editing, history, Ctrl-C) is tested this way.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace poet::test {

class PtySession {
 public:
  // Starts `program` with `args` on a new pseudo-terminal, with `env` added to the environment.
  PtySession(const std::string& program, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env = {});
  ~PtySession();
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  // Types text: "\r" is Enter, "\x03" Ctrl-C, "\x04" Ctrl-D, "\x1b[A" the up arrow.
  void type(std::string_view keys);
  // Reads until `expected` appears in the output after what earlier waits consumed; false on
  // timeout.
  bool wait_for(std::string_view expected,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // The same, but `expected` may also lie in what earlier waits consumed: for output from another
  // thread, whose order against the rest is not fixed.
  bool wait_for_anywhere(std::string_view expected,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Waits until the program reads the keys one at a time, as a line editor does (the terminal
  // out of its canonical mode): keys typed before then would be read as a whole line.
  bool wait_for_line_editing(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Waits for the program to end; its exit status, or -1 if it had to be killed.
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  bool running();
  // Everything the program has written so far.
  const std::string& output() const { return output_; }

 private:
  bool read_some(std::chrono::milliseconds timeout);
  bool wait_for_after(std::size_t from, std::string_view expected,
                      std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int master_ = -1;
  std::string output_;
  std::size_t consumed_ = 0;
  int status_ = -1;
};

}  // namespace poet::test
