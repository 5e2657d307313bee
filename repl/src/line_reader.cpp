#include "line_reader.h"

#include <editline/readline.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <filesystem>
#include <iostream>
#include <limits>

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

Notices* prompt_notices = nullptr;  // printed above the prompt while it waits for a key

void print_notices() {
  const auto notices = prompt_notices->take();
  if (notices.empty()) return;
  for (const auto& text : notices) std::cout << "\r\x1b[K" << text << '\n';
  std::cout << std::flush;
  rl_forced_update_display();
}

// libedit's input: the next character typed, decoded from UTF-8 (libedit takes the value as the
// character itself), or EOF. While it waits for a key it prints the notices that other threads
// post, on this thread: libedit is not thread-safe, so only the thread inside readline() may
// redraw the prompt.
int read_key(FILE*) {
  std::mbstate_t state{};
  for (;;) {
    // Ctrl-C: readline() returns null, the line typed so far is dropped. A Ctrl-C that lands
    // between this check and the wait interrupts no system call, so the wait wakes every 100 ms
    // to look again.
    if (interrupted()) return EOF;
    pollfd ready[2] = {{STDIN_FILENO, POLLIN, 0}, {prompt_notices->ready_fd(), POLLIN, 0}};
    const int events = poll(ready, 2, 100);
    if (events < 0 && errno != EINTR) return EOF;
    if (events <= 0) continue;
    if ((ready[1].revents & POLLIN) != 0) print_notices();
    if (ready[0].revents == 0) continue;
    char byte;
    const ssize_t got = read(STDIN_FILENO, &byte, 1);
    if (got < 0 && errno == EINTR && !interrupted()) continue;
    if (got != 1) return EOF;
    wchar_t character;
    switch (std::mbrtowc(&character, &byte, 1, &state)) {
      case static_cast<std::size_t>(-2):  // more bytes of this character to come
        continue;
      case static_cast<std::size_t>(-1):  // not UTF-8: dropped, as libedit's own reader does
        state = {};
        continue;
      default:
        return static_cast<int>(character);
    }
  }
}

class PromptReader final : public LineReader {
 public:
  explicit PromptReader(Shell& shell) : history_(history_file()) {
    prompt_notices = &shell.notices();
    rl_getc_function = read_key;  // before libedit initialises, which is when it takes it
    completing_shell = &shell;
    rl_readline_name = "poet";
    rl_attempted_completion_function = complete;
    using_history();
    stifle_history(1000);
    // libedit's, not poet::read_history (a checkpoint's loss history)
    if (!history_.empty()) ::read_history(history_.c_str());
  }

  std::optional<std::string> next() override {
    char* raw = readline("> ");
    while (raw == nullptr &&
           interrupted().exchange(false)) {  // Ctrl-C: drop the line, prompt again
      std::cout << '\n';
      raw = readline("> ");
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

  std::filesystem::path history_;
};

class StreamReader final : public LineReader {
 public:
  // A line longer than the shell takes is cut one byte past its limit, which the shell refuses:
  // a script of one endless line costs no memory.
  std::optional<std::string> next() override {
    std::string line;
    for (int c; (c = std::cin.get()) != std::char_traits<char>::eof();) {
      if (c == '\n') return line;
      if (line.size() <= kLongestLine) {
        line.push_back(static_cast<char>(c));
      } else {
        std::cin.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
        return line;
      }
    }
    return line.empty() ? std::nullopt : std::optional(line);
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
