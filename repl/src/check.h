#pragma once
// `check`: a poem's form, tones and rhymes against the rules of regulated verse, with its faults.

#include <optional>
#include <string>
#include <vector>

namespace poet::repl {

class Shell;

inline constexpr const char* kCheckUsage =
    "check <poem> | check --file FILE [--split train|valid|test] [--rhyme-book 平水韵|中华新韵]";

void run_check(Shell& shell, const std::vector<std::string>& args);
std::optional<std::vector<std::string>> complete_check(Shell& shell,
                                                       const std::vector<std::string>& before);

}  // namespace poet::repl
