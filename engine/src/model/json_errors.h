#pragma once
// nlohmann::json's exceptions name themselves ("[json.exception.type_error.302] type must be
// string, but is number"); poet's messages say what was wrong in the file's own terms.

#include <fmt/format.h>

#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace poet {

// What went wrong reading JSON, `what` the text that holds it: "its header is not JSON (at byte
// 12)", "a field has the wrong type: type must be string, but is number"; any other exception's
// own message.
inline std::string describe_error(const std::exception& error, std::string_view what) {
  if (const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&error))
    return fmt::format("{} is not JSON (at byte {})", what, parse->byte);
  std::string text = error.what();
  if (dynamic_cast<const nlohmann::json::exception*>(&error) == nullptr) return text;
  if (const auto end = text.find("] "); text.rfind("[json.exception.", 0) == 0 && end != std::string::npos)
    text.erase(0, end + 2);
  if (dynamic_cast<const nlohmann::json::type_error*>(&error) != nullptr)
    return fmt::format("a field has the wrong type: {}", text);
  return text;  // "key 'model' not found"
}

}  // namespace poet
