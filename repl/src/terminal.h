#pragma once
// Where results and diagnostics go, and how they look: colour only on a terminal and never when
// NO_COLOR is set; in script mode every diagnostic names its input line.

#include <cstdio>
#include <string>
#include <string_view>

namespace poet::repl {

class Terminal {
 public:
  // `interactive`: a person is typing at a prompt (banner, prompt, colours allowed).
  Terminal(std::FILE* out, std::FILE* err, bool interactive);

  bool interactive() const { return interactive_; }
  void set_line(int line_number) { line_number_ = line_number; }
  // --json: every result is one JSON object on a line of its own.
  void set_json(bool json) { json_ = json; }
  bool json() const { return json_; }
  void set_command(std::string_view name) { command_ = name; }
  // `text` marked as wrong (red) where colours are allowed; as it is elsewhere.
  std::string highlight(std::string_view text) const;

  void result(std::string_view text);         // a command's output, on standard output
  void json_result(std::string_view object);  // one JSON object, in --json mode
  void stream(std::string_view piece);  // part of a result, as it is written; no newline added
  void note(std::string_view text);     // news while a command runs, on standard error
  void warning(std::string_view text);  // on standard error
  void error(std::string_view text);    // on standard error
  // A line that the next status replaces, on a terminal (progress while training); elsewhere,
  // where lines cannot be replaced, nothing.
  void status(std::string_view text);

 private:
  void diagnostic(std::string_view label, std::string_view colour, std::string_view text);
  void clear_status();  // erases the status line, if one is shown

  std::FILE* out_;
  std::FILE* err_;
  bool interactive_;
  bool colour_;
  bool status_shown_ = false;
  bool json_ = false;
  int line_number_ = 0;
  std::string command_;
};

// Whether colours may be used on this stream: it is a terminal and NO_COLOR is unset or empty.
bool colour_allowed(std::FILE* stream);

}  // namespace poet::repl
