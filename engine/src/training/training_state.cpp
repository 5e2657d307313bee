#include "training_state.h"

#include <fmt/format.h>

#include "checkpoint_file.h"
#include "poet/engine/engine.h"
#include "poet/engine/files.h"

namespace poet {

std::string_view optimizer_name(OptimizerKind kind) {
  return kind == OptimizerKind::adam ? "adam" : "rmsprop";
}

std::optional<OptimizerKind> parse_optimizer(std::string_view name) {
  if (name == "adam") return OptimizerKind::adam;
  if (name == "rmsprop") return OptimizerKind::rmsprop;
  return std::nullopt;
}

bool TrainConfig::operator==(const TrainConfig& o) const { return to_json(*this) == to_json(o); }

void validate(const TrainConfig& c) {
  const auto check = [](bool ok, std::string_view what) {
    if (!ok) throw std::invalid_argument(std::string(what));
  };
  check(c.learning_rate > 0 && c.learning_rate < 10, "learning_rate must be above 0 and below 10");
  check(c.final_learning_rate >= 0 && c.final_learning_rate <= c.learning_rate,
        "final_learning_rate must be from 0 to learning_rate");
  check(c.warmup_steps >= 0, "warmup_steps must be 0 or more");
  check(c.clip_norm >= 0, "clip_norm must be 0 (off) or more");
  check(c.batch_size >= 1 && c.batch_size <= 65536, "batch_size must be 1 to 65536");
  check(c.max_length >= 1, "max_length must be 1 or more");
  check(c.min_count >= 1, "min_count must be 1 or more");
  check(c.epochs >= 1, "epochs must be 1 or more");
  check(c.steps >= 0, "steps must be 0 (use epochs) or more");
  check(c.eval_every >= 1 && c.checkpoint_every >= 1 && c.log_every >= 1,
        "eval_every, checkpoint_every and log_every must be 1 or more");
  check(c.threads >= 0 && c.threads <= 1024, "threads must be 0 (one per core) to 1024");
  check(c.metre_dropout >= 0 && c.metre_dropout < 1, "metre_dropout must be from 0 to below 1");
}

// The fields a checkpoint stores, under their own names (the same as poet.toml's keys).
NLOHMANN_JSON_SERIALIZE_ENUM(OptimizerKind,
                             {{OptimizerKind::adam, "adam"}, {OptimizerKind::rmsprop, "rmsprop"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TrainConfig, optimizer, learning_rate, final_learning_rate,
                                   warmup_steps, clip_norm, batch_size, max_length, min_count,
                                   epochs, steps, eval_every, checkpoint_every, log_every, seed,
                                   threads)

void validate(const ModelConfig& model, const TrainConfig& train) {
  if (train.metre_dropout > 0 && !model.metre_inputs)
    throw std::invalid_argument("[train] metre_dropout needs [model] metre_inputs");
}

// metre_dropout is stored only when set, so checkpoints from before it read and compare as before.
nlohmann::json to_json(const TrainConfig& config) {
  nlohmann::json json = config;
  if (config.metre_dropout > 0) json["metre_dropout"] = config.metre_dropout;
  return json;
}

TrainConfig train_config_from_json(const nlohmann::json& json) {
  auto config = json.get<TrainConfig>();
  if (json.contains("metre_dropout")) config.metre_dropout = json["metre_dropout"].get<double>();
  return config;
}

nlohmann::json to_json(const std::vector<HistoryEntry>& history) {
  auto rows = nlohmann::json::array();
  for (const auto& e : history) {
    nlohmann::json row = {{"step", e.step},
                          {"epoch", e.epoch},
                          {"wall_seconds", e.wall_seconds},
                          {"tokens_per_second", e.tokens_per_second}};
    if (e.train_loss) row["train_loss"] = *e.train_loss;
    if (e.valid_perplexity) row["valid_perplexity"] = *e.valid_perplexity;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<HistoryEntry> history_from_json(const nlohmann::json& rows) {
  std::vector<HistoryEntry> history;
  for (const auto& row : rows) {
    HistoryEntry e;
    e.step = row.at("step");
    e.epoch = row.at("epoch");
    e.wall_seconds = row.at("wall_seconds");
    e.tokens_per_second = row.at("tokens_per_second");
    // A run that diverged before poet stopped such runs wrote its NaN as null: no value.
    if (row.contains("train_loss") && row["train_loss"].is_number())
      e.train_loss = row["train_loss"].get<double>();
    if (row.contains("valid_perplexity") && row["valid_perplexity"].is_number())
      e.valid_perplexity = row["valid_perplexity"].get<double>();
    history.push_back(e);
  }
  return history;
}

namespace {

// "an integer", "a number", "a string", ...: what a value like `example` is.
std::string kind_of(const nlohmann::json& example) {
  if (example.is_number_integer()) return "an integer";
  if (example.is_null()) return "a number";
  const std::string name = example.type_name();
  return (name.front() == 'a' || name.front() == 'o' ? "an " : "a ") + name;
}

// Every field of `example` that `object` has is of the same kind: an integer where an integer is
// written, any number where a real one is, and a number or null where `example` has null (a
// field the trainer may write as NaN, which nlohmann writes as null). With `required`, `object`
// has them all.
void check_fields(const nlohmann::json& object, const nlohmann::json& example,
                  const std::string& what, bool required) {
  if (!object.is_object()) throw std::invalid_argument(what + " must be an object");
  for (const auto& [key, like] : example.items()) {
    const auto it = object.find(key);
    if (it == object.end()) {
      if (required) throw std::invalid_argument(fmt::format("{} has no '{}'", what, key));
      continue;
    }
    const bool same = like.is_number_integer() ? it->is_number_integer()
                      : like.is_number()       ? it->is_number()
                      : like.is_null()         ? it->is_number() || it->is_null()
                                               : it->type() == like.type();
    if (!same)
      throw std::invalid_argument(fmt::format("{}: '{}' must be {}", what, key, kind_of(like)));
  }
}

}  // namespace

void check_training_json(const nlohmann::json& training) {
  const nlohmann::json example = {{"config", to_json(TrainConfig{})},
                                  {"step", 0},
                                  {"epoch", 0.0},
                                  {"optimizer_steps", 0},
                                  {"wall_seconds", 0.0},
                                  {"history", nlohmann::json::array()},
                                  {"valid_perplexity", nullptr},
                                  {"best_valid_perplexity", nullptr},
                                  {"world_size", 1}};
  check_fields(training, example, "training", false);
  if (const auto config = training.find("config"); config != training.end()) {
    check_fields(*config, example["config"], "training config", true);
  }
  if (const auto history = training.find("history"); history != training.end()) {
    const nlohmann::json row = {
        {"step", 0}, {"epoch", 0.0}, {"wall_seconds", 0.0}, {"tokens_per_second", 0.0}};
    const nlohmann::json optional = {{"train_loss", nullptr}, {"valid_perplexity", nullptr}};
    for (const auto& entry : *history) {
      check_fields(entry, row, "a history row", true);
      check_fields(entry, optional, "a history row", false);
    }
  }
}

std::filesystem::path best_checkpoint_path(const std::filesystem::path& latest) {
  auto best = latest;
  return best.replace_extension(".best" + latest.extension().string());
}

std::filesystem::path history_csv_path(const std::filesystem::path& checkpoint) {
  auto csv = checkpoint;
  return csv.replace_extension(".loss.csv");
}

std::vector<HistoryEntry> read_history(const std::filesystem::path& checkpoint) {
  const auto contents = checkpoint::read(checkpoint);
  return history_from_json(contents.training.value("history", nlohmann::json::array()));
}

void write_inference_checkpoint(const std::filesystem::path& checkpoint,
                                const std::filesystem::path& out) {
  auto contents = checkpoint::read(checkpoint);
  contents.optimizer_state.clear();
  contents.training.erase("optimizer_steps");
  checkpoint::write(out, contents, {checkpoint});
}

void write_history_csv(const std::filesystem::path& file, const std::vector<HistoryEntry>& history,
                       const std::vector<std::filesystem::path>& inputs) {
  AtomicFile out(file, "loss history", inputs);
  out.write("step,epoch,train_loss,valid_perplexity,wall_seconds,tokens_per_second\n");
  for (const auto& e : history) {
    out.write(fmt::format("{},{:.4f},{},{},{:.1f},{:.0f}\n", e.step, e.epoch,
                          e.train_loss ? fmt::format("{:.5f}", *e.train_loss) : "",
                          e.valid_perplexity ? fmt::format("{:.4f}", *e.valid_perplexity) : "",
                          e.wall_seconds, e.tokens_per_second));
  }
  out.commit();
}

}  // namespace poet
