#pragma once
// Where results and diagnostics go, and how they look: colour only on a terminal and never when
// NO_COLOR is set; in script mode every diagnostic names its input line.

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace poet::repl {

// What a command returns: its fields, for --json, and its text, for a person. One or the other is
// printed.
struct Reply {
  nlohmann::json fields = nlohmann::json::object();
  std::string text;  // may be empty: nothing to show a person (a poem streamed already)
};

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

  // A command's result, on standard output: with --json, its fields and the command's name as one
  // JSON object on a line of its own; otherwise its text.
  void reply(const Reply& reply);
  void result(std::string_view text);   // text, on standard output (the banner, a poem's lines)
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
