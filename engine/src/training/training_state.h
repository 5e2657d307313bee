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

// Throws std::invalid_argument unless a checkpoint's training section (its "training" object)
// holds each field the engine reads from it as the trainer writes it: an integer where it writes
// one (nlohmann would turn 1e300 into an integer with undefined behaviour), a number (or null,
// for a NaN), a string, every key of a configuration and of a history row. Absent fields are
// left to the reader: an exported checkpoint has fewer.
void check_training_json(const nlohmann::json& training);

}  // namespace poet
