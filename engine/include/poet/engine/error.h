#pragma once
// The one error poet raises. Every failure a user can meet is a poet::Error: one line, shown as it
// is, and a kind that says what the user can do about it. No LibTorch, fmt or JSON exception
// leaves the engine: each is turned into an Error once, where it arises.

#include <stdexcept>
#include <string>
#include <string_view>

namespace poet {

enum class ErrorKind {
  input,     // a command, option, value or setting the user gave is wrong: fix it and try again
  file,      // a file is missing, unreadable, unwritable, damaged or not the kind poet needs
  model,     // no model is loaded, or the model cannot do what was asked (a character it lacks)
  plugin,    // a decoder plugin was refused, failed or crashed; the session goes on
  training,  // a training run cannot start or go on: it diverged, or a worker was lost
  limit,     // more than poet may take: the memory limit, the longest line or poem
  stopped,   // Ctrl-C stopped it
};

// "input", "file", ...: how --json and the tests name a kind.
std::string_view kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const { return kind_; }

  static Error input(const std::string& message) { return {ErrorKind::input, message}; }
  static Error file(const std::string& message) { return {ErrorKind::file, message}; }
  static Error model(const std::string& message) { return {ErrorKind::model, message}; }
  static Error plugin(const std::string& message) { return {ErrorKind::plugin, message}; }
  static Error training(const std::string& message) { return {ErrorKind::training, message}; }
  static Error limit(const std::string& message) { return {ErrorKind::limit, message}; }
  static Error stopped() { return {ErrorKind::stopped, "stopped"}; }

 private:
  ErrorKind kind_;
};

}  // namespace poet
