#include "training/plan.h"

#include <fmt/format.h>

#include "model/json_errors.h"
#include "poet/engine/error.h"
#include "poet/engine/files/files.h"
#include "poet/engine/model/fits.h"
#include "poet/engine/model/positions.h"
#include "training/training_state.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

std::string intact(const fs::path& checkpoint, std::int64_t step) {
  return fmt::format("the last checkpoint, '{}' (step {}), is intact", checkpoint.string(), step);
}

// A checkpoint whose run can go on: one with its optimizer's state and settings.
checkpoint::Contents read_resumable(const fs::path& file, TrainPlan& plan) {
  checkpoint::Contents contents = checkpoint::read_model(file);
  if (contents.optimizer_state.empty() || !contents.training.contains("config")) {
    throw Error::input(
        fmt::format("'{}' has no training state (an inference checkpoint) and cannot be resumed",
                    file.string()));
  }
  plan.model = contents.model;
  try {
    plan.config = train_config_from_json(contents.training["config"]);
  } catch (const Error& error) {  // fields of the wrong kind, or values out of range
    throw Error::file(
        fmt::format("'{}' is corrupt: its training settings: {}", file.string(), error.what()));
  }
  return contents;
}

// The settings as the request, the checkpoint and the configuration give them, checked.
void settle_settings(const TrainRequest& request, TrainPlan& plan, Lead& lead) {
  if (request.resume) lead.resumed = read_resumable(*request.resume, plan);
  if (request.start_from) {
    if (request.resume)
      throw Error::input("a run resumes a checkpoint or starts from one, not both");
    lead.started = checkpoint::read_model(*request.start_from);
  }
  if (request.steps) plan.config.steps = *request.steps;
  if (request.epochs) {
    plan.config.epochs = *request.epochs;
    plan.config.steps = 0;
  }
  for (const auto& problem : {problem_with(plan.model), problem_with(plan.config),
                              problem_with(plan.model, plan.config)}) {
    if (problem) throw Error::input(*problem);
  }
  if (lead.started && !starts_from(plan.model, lead.started->model)) {
    throw Error::input(fmt::format(
        "'{}' holds a model of {}; a run from it needs the same network, reading the same inputs "
        "or more, not {}",
        request.start_from->string(), describe(lead.started->model), describe(plan.model)));
  }
}

// The corpus: the request's, else a resumed run's own, as its checkpoint records it.
fs::path corpus_of(const TrainRequest& request, const Lead& lead,
                   const std::function<void(const std::string&)>& note) {
  if (request.corpus || !lead.resumed) return request.corpus.value_or(request.default_corpus);
  if (lead.resumed->training.contains("corpus"))
    return lead.resumed->training["corpus"].get<std::string>();
  note(
      fmt::format("'{}' does not record its corpus (an older checkpoint): training on '{}'; "
                  "--corpus names another",
                  request.resume->string(), request.default_corpus.string()));
  return request.default_corpus;
}

// A resumed run's counters and history, as its checkpoint keeps them.
void resume_counters(const TrainRequest& request, TrainPlan& plan, Lead& lead,
                     const std::function<void(const std::string&)>& note) {
  const auto& state = lead.resumed->training;  // its fields' kinds checked by checkpoint::read
  const auto field = [&](const char* key) -> const nlohmann::json& {
    if (!state.contains(key))
      throw Error::file(fmt::format("'{}' is corrupt: its training state has no '{}'",
                                    request.resume->string(), key));
    return state[key];
  };
  plan.step = field("step").get<std::int64_t>();
  plan.optimizer_steps = field("optimizer_steps").get<std::int64_t>();
  plan.wall_seconds = field("wall_seconds").get<double>();
  lead.history = checkpoint::history_from_json(field("history"));
  if (state.contains("best_valid_perplexity") && state["best_valid_perplexity"].is_number())
    lead.best = state["best_valid_perplexity"].get<double>();
  plan.trained_by = state.value("world_size", std::int64_t{1});
  note(fmt::format("resuming {} at step {} of {}", request.resume->string(), plan.step,
                   plan.total_steps));
  lead.last_checkpoint = intact(*request.resume, plan.step);
}

}  // namespace

bool starts_from(const ModelConfig& model, const ModelConfig& source) {
  if ((source.position_inputs && !model.position_inputs) ||
      (source.metre_inputs && !model.metre_inputs))
    return false;
  ModelConfig widened = source;
  widened.dropout = model.dropout;
  widened.position_inputs = model.position_inputs;
  widened.metre_inputs = model.metre_inputs;
  if (!source.position_inputs) widened.position_embedding_size = model.position_embedding_size;
  return widened == model;
}

std::pair<TrainPlan, Lead> resolve_plan(const TrainRequest& request,
                                        const std::function<void(const std::string&)>& note) {
  TrainPlan plan;
  Lead lead;
  plan.model = request.model;
  plan.config = request.train;
  settle_settings(request, plan, lead);

  lead.corpus = corpus_of(request, lead, note);
  lead.inputs.push_back(lead.corpus);
  if (request.start_from) lead.inputs.push_back(*request.start_from);
  check_writable(request.out, "checkpoint", lead.inputs);
  check_writable(best_checkpoint_path(request.out), "checkpoint", lead.inputs);
  check_writable(history_csv_path(request.out), "loss history", lead.inputs);

  const auto* vocabulary = lead.resumed   ? &lead.resumed->vocabulary
                           : lead.started ? &lead.started->vocabulary
                                          : nullptr;
  lead.data = load_dataset(lead.corpus, plan.config, vocabulary, note);
  plan.vocabulary_size = lead.data.vocabulary.size();
  check_training_fits(plan.model, plan.vocabulary_size, plan.config.batch_size,
                      plan.config.max_length);
  plan.steps_per_epoch =
      static_cast<std::int64_t>((lead.data.train.size() + plan.config.batch_size - 1) /
                                static_cast<std::size_t>(plan.config.batch_size));
  plan.total_steps =
      plan.config.steps > 0 ? plan.config.steps : plan.config.epochs * plan.steps_per_epoch;
  plan.marks = lead.data.vocabulary.punctuation_tokens();
  plan.poems = static_cast<std::int64_t>(lead.data.train.size());
  plan.tokens = token_count(lead.data.train);
  lead.last_checkpoint = "no checkpoint was written";
  if (lead.resumed) resume_counters(request, plan, lead, note);
  return {std::move(plan), std::move(lead)};
}

nlohmann::json TrainPlan::to_json() const {
  return {{"model", checkpoint::model_to_json(model)},
          {"config", poet::to_json(config)},
          {"vocabulary_size", vocabulary_size},
          {"marks", marks},
          {"steps_per_epoch", steps_per_epoch},
          {"total_steps", total_steps},
          {"step", step},
          {"optimizer_steps", optimizer_steps},
          {"wall_seconds", wall_seconds},
          {"trained_by", trained_by},
          {"poems", poems},
          {"tokens", tokens}};
}

TrainPlan TrainPlan::from_json(const nlohmann::json& json) {
  TrainPlan plan;
  try {
    plan.model = checkpoint::model_from_header(json.at("model"));
    plan.config = train_config_from_json(json.at("config"));
    plan.vocabulary_size = json.at("vocabulary_size").get<int>();
    plan.marks = json.at("marks").get<std::vector<int>>();
    plan.steps_per_epoch = json.at("steps_per_epoch").get<std::int64_t>();
    plan.total_steps = json.at("total_steps").get<std::int64_t>();
    plan.step = json.at("step").get<std::int64_t>();
    plan.optimizer_steps = json.at("optimizer_steps").get<std::int64_t>();
    plan.wall_seconds = json.at("wall_seconds").get<double>();
    plan.trained_by = json.at("trained_by").get<std::int64_t>();
    plan.poems = json.at("poems").get<std::int64_t>();
    plan.tokens = json.at("tokens").get<std::int64_t>();
  } catch (const std::exception& error) {  // JSON, range and setting errors alike: not a plan
    throw Error::training(fmt::format(
        "worker 0 sent a run this worker cannot read ({}); are both the same poet?",
        describe_error(error, "the run")));
  }
  return plan;
}

}  // namespace poet
