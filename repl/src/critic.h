#pragma once
// The critic at the prompt: `critic <poem>`, its part in `check`, and `train --critic`.

#include <string>

#include "command.h"
#include "poet/engine/model/critic.h"
#include "terminal.h"

namespace poet::repl {

class Shell;

Command critic_command();
// A poem's score and the characters the critic finds least real, as `critic` and `check` show it.
Reply critic_reply(const Critic& critic, const std::u32string& poem);
// train --critic CKPT: writes poems with the loaded model, trains a critic on them beside the
// corpus's, writes CKPT and makes it the session's critic.
void train_critic_command(Shell& shell, const Args& args);

}  // namespace poet::repl
