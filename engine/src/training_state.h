#pragma once
// The training state a checkpoint carries in its JSON header (internal to the engine): the run's
// configuration, counters and loss history.

#include <nlohmann/json.hpp>

#include "poet/engine/trainer.h"

namespace poet {

nlohmann::json to_json(const TrainConfig& config);
TrainConfig train_config_from_json(const nlohmann::json& json);

nlohmann::json to_json(const std::vector<HistoryEntry>& history);
std::vector<HistoryEntry> history_from_json(const nlohmann::json& json);

}  // namespace poet
