#pragma once
// The commands that write poems (`gen`, `acrostic`) and the ones that choose how (`use`, `set`,
// `settings`).

#include <optional>
#include <string>
#include <vector>

namespace poet::repl {

class Shell;

inline constexpr const char* kGenUsage =
    "gen <start> [--decoder NAME] [--form FORM] [--rhyme auto|off|GROUP] [--tones "
    "strict|loose|off] [--rhyme-book 平水韵|中华新韵] [--mood TEXT] [--seed S] [-n COUNT] [--beam N] "
    "[--PARAM VALUE]";
inline constexpr const char* kAcrosticUsage =
    "acrostic <heads> [--decoder NAME] [--form FORM] [--rhyme auto|off|GROUP] [--tones "
    "strict|loose|off] [--rhyme-book 平水韵|中华新韵] [--mood TEXT] [--seed S] [-n COUNT] [--beam "
    "N] [--PARAM VALUE]";

void run_gen(Shell& shell, const std::vector<std::string>& args);
void run_acrostic(Shell& shell, const std::vector<std::string>& args);
void run_use(Shell& shell, const std::vector<std::string>& args);
void run_set(Shell& shell, const std::vector<std::string>& args);
void run_settings(Shell& shell, const std::vector<std::string>& args);

// Tab completion for them.
std::optional<std::vector<std::string>> complete_poem(Shell& shell,
                                                      const std::vector<std::string>& before);
std::optional<std::vector<std::string>> complete_use(Shell& shell,
                                                     const std::vector<std::string>& before);
std::optional<std::vector<std::string>> complete_set(Shell& shell,
                                                     const std::vector<std::string>& before);

}  // namespace poet::repl
