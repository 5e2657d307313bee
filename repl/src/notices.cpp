#include "notices.h"

#include "terminal.h"

namespace poet::repl {

void Notices::post(std::string text) {
  std::lock_guard lock(mutex_);
  if (prompt_printer_) {
    prompt_printer_(text);
  } else {
    waiting_.push_back(std::move(text));
  }
}

void Notices::set_prompt_printer(Printer printer) {
  std::lock_guard lock(mutex_);
  prompt_printer_ = std::move(printer);
}

void Notices::flush(Terminal& terminal) {
  std::vector<std::string> waiting;
  {
    std::lock_guard lock(mutex_);
    waiting.swap(waiting_);
  }
  for (const auto& text : waiting) terminal.note(text);
}

}  // namespace poet::repl
