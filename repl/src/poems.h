#pragma once
// The commands that write poems (`gen`, `acrostic`) and the ones that choose how (`use`, `set`,
// `settings`).

#include <vector>

#include "command.h"

namespace poet::repl {

std::vector<Command> poem_commands();

}  // namespace poet::repl
