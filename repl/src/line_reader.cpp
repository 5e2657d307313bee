#include "line_reader.h"

#include <editline/readline.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "interrupt.h"
#include "shell.h"

namespace poet::repl {
namespace {

std::filesystem::path history_file() {
  const char* data_home = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  std::filesystem::path dir;
  if (data_home != nullptr && *data_home != '\0') {
    dir = data_home;
  } else if (home != nullptr && *home != '\0') {
    dir = std::filesystem::path(home) / ".local" / "share";
  } else {
    return {};
  }
  return dir / "poet" / "history";
}

// The candidates for the word being completed, filtered by what is typed of it.
std::vector<std::string>& candidates() {
  static std::vector<std::string> list;
  return list;
}

char* candidate_generator(const char* text, int state) {
  static std::size_t index;
  if (state == 0) index = 0;
  const std::size_t length = std::strlen(text);
  while (index < candidates().size()) {
    const std::string& candidate = candidates()[index++];
    if (candidate.compare(0, length, text) == 0) return strdup(candidate.c_str());
  }
  return nullptr;
}

Shell* completing_shell = nullptr;  // the shell whose commands Tab completes

// libedit counts `start` in characters, not bytes: the byte where the start-th character begins.
std::size_t byte_offset(std::string_view line, int characters) {
  std::size_t at = 0;
  for (int seen = 0; at < line.size(); ++at) {
    if ((static_cast<unsigned char>(line[at]) & 0xC0) != 0x80 && seen++ == characters) break;
  }
  return at;
}

char** complete(const char* text, int start, int /*end*/) {
  const std::string_view line(rl_line_buffer);
  auto list = completions(*completing_shell, line.substr(0, byte_offset(line, start)));
  rl_attempted_completion_over = list ? 1 : 0;  // nullopt: let file names be completed
  if (!list) return nullptr;
  candidates() = std::move(*list);
  return rl_completion_matches(text, candidate_generator);
}

class PromptReader final : public LineReader {
 public:
  explicit PromptReader(Shell& shell) : notices_(shell.notices()), history_(history_file()) {
    completing_shell = &shell;
    rl_readline_name = "poet";
    rl_attempted_completion_function = complete;
    using_history();
    stifle_history(1000);
    // libedit's, not poet::read_history (a checkpoint's loss history)
    if (!history_.empty()) ::read_history(history_.c_str());
  }

  std::optional<std::string> next() override {
    char* raw = read_line();
    while (raw == nullptr &&
           interrupted().exchange(false)) {  // Ctrl-C: drop the line, prompt again
      std::cout << '\n';
      raw = read_line();
    }
    if (raw == nullptr) {
      std::cout << '\n';  // leave the terminal on a fresh line after Ctrl-D
      return std::nullopt;
    }
    std::string line(raw);
    std::free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) remember(line);
    return line;
  }

 private:
  void remember(const std::string& line) {
    add_history(line.c_str());
    if (history_.empty()) return;
    std::error_code ignored;  // a history that cannot be saved must not stop the session
    std::filesystem::create_directories(history_.parent_path(), ignored);
    ::write_history(history_.c_str());
  }

  // readline(), with notices from other threads printed above the prompt while it waits.
  char* read_line() {
    notices_.set_prompt_printer([](const std::string& text) {
      std::cout << "\r\x1b[K" << text << '\n' << std::flush;
      rl_forced_update_display();
    });
    char* line = readline("> ");
    notices_.set_prompt_printer(nullptr);
    return line;
  }

  Notices& notices_;
  std::filesystem::path history_;
};

class StreamReader final : public LineReader {
 public:
  std::optional<std::string> next() override {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }
};

class ListReader final : public LineReader {
 public:
  explicit ListReader(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  std::optional<std::string> next() override {
    if (next_ == lines_.size()) return std::nullopt;
    return lines_[next_++];
  }

 private:
  std::vector<std::string> lines_;
  std::size_t next_ = 0;
};

}  // namespace

std::unique_ptr<LineReader> prompt_reader(Shell& shell) {
  return std::make_unique<PromptReader>(shell);
}
std::unique_ptr<LineReader> stream_reader() { return std::make_unique<StreamReader>(); }
std::unique_ptr<LineReader> list_reader(std::vector<std::string> lines) {
  return std::make_unique<ListReader>(std::move(lines));
}

}  // namespace poet::repl
