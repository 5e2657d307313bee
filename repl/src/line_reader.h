#pragma once
// Where input lines come from: a person at a line-editing prompt, a script on standard input, or
// the -c arguments.

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace poet::repl {

class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line, or nothing at the end of input (Ctrl-D, end of file, no more -c commands).
  virtual std::optional<std::string> next() = 0;
};

class Shell;

// A `> ` prompt with line editing, Tab completion from `shell`'s command table (commands, options,
// decoder names, settings and their values, file names), and history kept across runs in
// $XDG_DATA_HOME/poet/history (default ~/.local/share/poet/history).
std::unique_ptr<LineReader> prompt_reader(Shell& shell);
// Lines of standard input, read as they come.
std::unique_ptr<LineReader> stream_reader();
std::unique_ptr<LineReader> list_reader(std::vector<std::string> lines);

}  // namespace poet::repl
