#include "terminal.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace poet::repl {

bool colour_allowed(std::FILE* stream) {
  const char* no_colour = std::getenv("NO_COLOR");
  return isatty(fileno(stream)) && (no_colour == nullptr || *no_colour == '\0');
}

Terminal::Terminal(std::FILE* out, std::FILE* err, bool interactive)
    : out_(out),
      err_(err),
      interactive_(interactive),
      colour_(interactive && colour_allowed(err)) {}

std::string Terminal::highlight(std::string_view text) const {
  return colour_ ? fmt::format("\x1b[31m{}\x1b[0m", text) : std::string(text);
}

void Terminal::reply(const Reply& reply) {
  if (!json_) {
    if (!reply.text.empty()) result(reply.text);
    return;
  }
  nlohmann::json object = reply.fields;
  object["command"] = command_;
  fmt::print(out_, "{}\n", object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::fflush(out_);
}

void Terminal::result(std::string_view text) {
  clear_status();
  fmt::print(out_, "{}{}", text, text.empty() || text.back() != '\n' ? "\n" : "");
  std::fflush(out_);
}

void Terminal::stream(std::string_view piece) {
  clear_status();
  fmt::print(out_, "{}", piece);
  std::fflush(out_);
}

void Terminal::note(std::string_view text) {
  std::fflush(out_);
  clear_status();
  fmt::print(err_, "{}\n", text);
  std::fflush(err_);
}

void Terminal::status(std::string_view text) {
  if (!isatty(fileno(err_))) return;
  fmt::print(err_, "\r\x1b[K{}", text);
  std::fflush(err_);
  status_shown_ = true;
}

void Terminal::clear_status() {
  if (status_shown_) fmt::print(err_, "\r\x1b[K");
  status_shown_ = false;
}

void Terminal::warning(std::string_view text) { diagnostic("warning", "\x1b[33m", text); }

void Terminal::error(std::string_view text) { diagnostic("error", "\x1b[31m", text); }

void Terminal::diagnostic(std::string_view label, std::string_view colour, std::string_view text) {
  std::fflush(out_);  // keep results and diagnostics in input order when both go to one file
  clear_status();
  if (!interactive_ && line_number_ > 0) {
    fmt::print(err_, "input line {}: {}{}\n", line_number_, label == "error" ? "" : "warning: ", text);
  } else if (colour_) {
    fmt::print(err_, "{}{}:\x1b[0m {}\n", colour, label, text);
  } else {
    fmt::print(err_, "{}: {}\n", label, text);
  }
  std::fflush(err_);
}

}  // namespace poet::repl
