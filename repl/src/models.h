#pragma once
// The commands about what poet writes with: `model`, `load`, `reload` and `decoders`.

#include <vector>

#include "command.h"
#include "poet/engine/model/engine.h"
#include "terminal.h"

namespace poet::repl {

std::vector<Command> model_commands();

// What `model` shows of a loaded model, as text and fields; `loaded` prefixes the text with the
// word "loaded" (or "reloaded").
Reply model_reply(const ModelInfo& info, std::string_view verb = {});

}  // namespace poet::repl
