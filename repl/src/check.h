#pragma once
// `check`: a poem's form, tones and rhymes against the rules of regulated verse, with its faults.

#include "command.h"

namespace poet::repl {

Command check_command();

}  // namespace poet::repl
