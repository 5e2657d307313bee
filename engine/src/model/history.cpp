// A model's loss history, and the training section of its checkpoint that holds it.

#include "poet/engine/model/history.h"

#include <fmt/format.h>

#include "model/checkpoint_file.h"
#include "poet/engine/error.h"
#include "poet/engine/files/files.h"

namespace poet {
namespace checkpoint {

nlohmann::json history_to_json(const std::vector<HistoryEntry>& history) {
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

}  // namespace

void check_fields(const nlohmann::json& object, const nlohmann::json& example,
                  const std::string& what, bool required) {
  if (!object.is_object()) throw Error::file(what + " must be an object");
  for (const auto& [key, like] : example.items()) {
    const auto it = object.find(key);
    if (it == object.end()) {
      if (required) throw Error::file(fmt::format("{} has no '{}'", what, key));
      continue;
    }
    const bool same = like.is_number_integer() ? it->is_number_integer()
                      : like.is_number()       ? it->is_number()
                      : like.is_null()         ? it->is_number() || it->is_null()
                                               : it->type() == like.type();
    if (!same) throw Error::file(fmt::format("{}: '{}' must be {}", what, key, kind_of(like)));
  }
}

void check_training(const nlohmann::json& training) {
  const nlohmann::json example = {{"step", 0},
                                  {"epoch", 0.0},
                                  {"optimizer_steps", 0},
                                  {"wall_seconds", 0.0},
                                  {"history", nlohmann::json::array()},
                                  {"config", nlohmann::json::object()},
                                  {"valid_perplexity", nullptr},
                                  {"best_valid_perplexity", nullptr},
                                  {"world_size", 1}};
  check_fields(training, example, "training", false);
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

}  // namespace checkpoint

std::filesystem::path history_csv_path(const std::filesystem::path& checkpoint) {
  auto csv = checkpoint;
  return csv.replace_extension(".loss.csv");
}

std::vector<HistoryEntry> read_history(const std::filesystem::path& checkpoint) {
  const auto contents = checkpoint::read_model(checkpoint);
  return checkpoint::history_from_json(contents.training.value("history", nlohmann::json::array()));
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
