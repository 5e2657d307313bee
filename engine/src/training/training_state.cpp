#include "training/training_state.h"

#include <fmt/format.h>

#include "model/checkpoint_file.h"
#include "poet/engine/error.h"
#include "poet/engine/files/files.h"

namespace poet {

std::string_view optimizer_name(OptimizerKind kind) {
  return kind == OptimizerKind::adam ? "adam" : kind == OptimizerKind::adamw ? "adamw" : "rmsprop";
}

std::optional<OptimizerKind> parse_optimizer(std::string_view name) {
  if (name == "adam") return OptimizerKind::adam;
  if (name == "adamw") return OptimizerKind::adamw;
  if (name == "rmsprop") return OptimizerKind::rmsprop;
  return std::nullopt;
}

bool TrainConfig::operator==(const TrainConfig& o) const { return to_json(*this) == to_json(o); }

std::optional<std::string> problem_with(const TrainConfig& c) {
  if (!(c.learning_rate > 0 && c.learning_rate < 10))
    return std::string("learning_rate must be above 0 and below 10");
  if (!(c.final_learning_rate >= 0 && c.final_learning_rate <= c.learning_rate))
    return std::string("final_learning_rate must be from 0 to learning_rate");
  if (!(c.warmup_steps >= 0)) return std::string("warmup_steps must be 0 or more");
  if (!(c.clip_norm >= 0)) return std::string("clip_norm must be 0 (off) or more");
  if (!(c.batch_size >= 1 && c.batch_size <= 65536))
    return std::string("batch_size must be 1 to 65536");
  if (!(c.max_length >= 1)) return std::string("max_length must be 1 or more");
  if (!(c.min_count >= 1)) return std::string("min_count must be 1 or more");
  if (!(c.epochs >= 1)) return std::string("epochs must be 1 or more");
  if (!(c.steps >= 0)) return std::string("steps must be 0 (use epochs) or more");
  if (!(c.eval_every >= 1 && c.checkpoint_every >= 1 && c.log_every >= 1))
    return std::string("eval_every, checkpoint_every and log_every must be 1 or more");
  if (!(c.threads >= 0 && c.threads <= 1024))
    return std::string("threads must be 0 (one per core) to 1024");
  if (!(c.metre_dropout >= 0 && c.metre_dropout < 1))
    return std::string("metre_dropout must be from 0 to below 1");
  if (!(c.weight_decay >= 0 && c.weight_decay < 1))
    return std::string("weight_decay must be from 0 to below 1");
  return std::nullopt;
}

// The fields a checkpoint stores, under their own names (the same as poet.toml's keys).
NLOHMANN_JSON_SERIALIZE_ENUM(OptimizerKind, {{OptimizerKind::adam, "adam"},
                                             {OptimizerKind::adamw, "adamw"},
                                             {OptimizerKind::rmsprop, "rmsprop"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TrainConfig, optimizer, learning_rate, final_learning_rate,
                                   warmup_steps, clip_norm, batch_size, max_length, min_count,
                                   epochs, steps, eval_every, checkpoint_every, log_every, seed,
                                   threads)

std::optional<std::string> problem_with(const ModelConfig& model, const TrainConfig& train) {
  if (train.metre_dropout > 0 && !model.metre_inputs)
    return "[train] metre_dropout needs [model] metre_inputs";
  return std::nullopt;
}

// metre_dropout and weight_decay are stored only where they apply, so that checkpoints from before
// them read and compare as before.
nlohmann::json to_json(const TrainConfig& config) {
  nlohmann::json json = config;
  if (config.metre_dropout > 0) json["metre_dropout"] = config.metre_dropout;
  if (config.optimizer == OptimizerKind::adamw) json["weight_decay"] = config.weight_decay;
  return json;
}

TrainConfig train_config_from_json(const nlohmann::json& json) {
  checkpoint::check_fields(json, to_json(TrainConfig{}), "training config", true);
  checkpoint::check_fields(json, {{"metre_dropout", 0.0}, {"weight_decay", 0.0}}, "training config",
                           false);
  if (!parse_optimizer(json.at("optimizer").get<std::string>()))
    throw Error::file(
        fmt::format("training config: unknown optimizer {}", json.at("optimizer").dump()));
  auto config = json.get<TrainConfig>();
  if (json.contains("metre_dropout")) config.metre_dropout = json["metre_dropout"].get<double>();
  if (json.contains("weight_decay")) config.weight_decay = json["weight_decay"].get<double>();
  return config;
}

std::filesystem::path best_checkpoint_path(const std::filesystem::path& latest) {
  auto best = latest;
  return best.replace_extension(".best" + latest.extension().string());
}

void write_inference_checkpoint(const std::filesystem::path& checkpoint,
                                const std::filesystem::path& out) {
  auto contents = checkpoint::read_model(checkpoint);
  contents.optimizer_state.clear();
  contents.training.erase("optimizer_steps");
  checkpoint::write(out, contents, {checkpoint});
}

}  // namespace poet
