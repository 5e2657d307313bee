#pragma once
// The training settings a checkpoint carries in its JSON header (internal to the engine); the
// counters and the loss history beside them are the model's (model/checkpoint_file.h).

#include <nlohmann/json.hpp>

#include "poet/engine/training/trainer.h"

namespace poet {

nlohmann::json to_json(const TrainConfig& config);
// Throws poet::Error naming the first field that is missing or of the wrong kind, before reading
// any (nlohmann would turn 1e300 into an integer with undefined behaviour).
TrainConfig train_config_from_json(const nlohmann::json& json);

}  // namespace poet
