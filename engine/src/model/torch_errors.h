#pragma once
// LibTorch reports trouble as c10::Error, whose message runs to many lines of C++ stack frames.
// Every engine entry point that runs LibTorch on a user's file passes through here, so the user
// gets one line naming the file instead.

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

#include "poet/engine/error.h"

namespace poet {

// The first line of LibTorch's own message, without the stack.
inline std::string torch_message(const c10::Error& error) {
  std::string message = error.what_without_backtrace();
  return message.substr(0, message.find('\n'));
}

// Runs `work()`; a LibTorch error becomes Error(kind, "CONTEXT: message").
template <typename Work>
decltype(auto) with_torch_errors(ErrorKind kind, std::string_view context, Work&& work) {
  try {
    return std::forward<Work>(work)();
  } catch (const c10::Error& error) {
    throw Error(kind, fmt::format("{}: {}", context, torch_message(error)));
  }
}

}  // namespace poet
