#include "training/run.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "poet/engine/error.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/model/positions.h"
#include "training/training_state.h"

namespace poet {

namespace fs = std::filesystem;

TrainingRun::TrainingRun(TrainPlan plan, std::optional<Lead> lead, const TrainRequest& request,
                         const TrainEvents& events, const std::atomic<bool>& stop,
                         WorkerGroup* group)
    : plan_(std::move(plan)),
      lead_(std::move(lead)),
      request_(request),
      events_(events),
      stop_(stop),
      group_(group),
      step_(plan_.step),
      wall_seconds_(plan_.wall_seconds),
      stopping_(group == nullptr && stop) {
  // Several workers exchange gradients through Gloo on the CPU; one process trains where asked.
  const torch::Device device = group_ ? torch::Device(torch::kCPU) : torch_device(request.device);
  if (group_ && request.device != "cpu") note("several workers train on the CPU");
  if (!group_ && device.is_cuda()) note("training on the GPU (cuda)");
  torch::manual_seed(plan_.config.seed);
  model_ = CharRnn(plan_.model, plan_.vocabulary_size);
  model_->to(device);  // weights drawn on the CPU, so a run starts from the same ones anywhere
  optimizer_.emplace(plan_.config, *model_);
  if (lead_) start_from_lead();
  if (group_) hand_over();
  std::vector<bool> marks(static_cast<std::size_t>(plan_.vocabulary_size), false);
  for (const int token : plan_.marks) {
    if (token >= 0 && token < plan_.vocabulary_size) marks[static_cast<std::size_t>(token)] = true;
  }
  tables_ = FormTables{std::move(marks), model_->token_metre()};
  model_->train();
  first_step_ = step_;
  if (lead_ && lead_->resumed) saved_at_ = step_;
}

void TrainingRun::note(const std::string& text) const {
  if (events_.note) events_.note(text);
}

// What rank 0 (or the one process) starts from: the training poems, the metre table of a new model
// that reads the metre, and the weights (and optimizer) of the checkpoint it starts from or
// resumes.
void TrainingRun::start_from_lead() {
  train_ = std::move(lead_->data.train);
  if (!lead_->resumed && plan_.model.metre_inputs) {
    model_->set_token_metre(
        token_metre(lead_->data.vocabulary, MetreLexicon::read(request_.metre_lexicon)));
  }
  if (lead_->started) {
    load_weights(model_, lead_->started->tensors, *request_.start_from, WeightFit::fewer_inputs);
    note(fmt::format("starting from the weights of {}", request_.start_from->string()));
  }
  if (!lead_->resumed) return;
  load_weights(model_, lead_->resumed->tensors, *request_.resume);
  optimizer_->restore(lead_->resumed->optimizer_state, plan_.optimizer_steps, *request_.resume);
  const std::int64_t workers = group_ ? group_->size() : 1;
  if (plan_.trained_by != workers) {
    note(
        fmt::format("it was trained by {} worker{}, now by {}: the batches stay the same, their "
                    "split among the "
                    "workers changes (and dropout masks with it), so the run goes on as before but "
                    "not bit for bit",
                    plan_.trained_by, plan_.trained_by == 1 ? "" : "s", workers));
  }
}

// Rank 0 hands the others the training poems, then the weights, the metre table and the
// optimizer's state, which every worker starts from; the plan went before (trainer.cpp).
void TrainingRun::hand_over() {
  share_poems(*group_, train_, plan_.poems, plan_.tokens);
  if (!lead_) optimizer_->set_steps(plan_.optimizer_steps);
  auto state = model_->parameters();
  for (auto& buffer : model_->buffers()) state.push_back(buffer);  // the metre table
  for (auto& moment : optimizer_->moments()) state.push_back(moment);
  group_->broadcast(state);
  if (!lead_) {
    note(fmt::format("worker {} of {} joined the run at {}: step {} of {}", group_->rank(),
                     group_->size(), group_->address(), step_, plan_.total_steps));
  }
}

double TrainingRun::epoch_of(std::int64_t step) const {
  return static_cast<double>(step) / static_cast<double>(plan_.steps_per_epoch);
}

const FormTables* TrainingRun::form_tables() const {
  return plan_.model.position_inputs ? &tables_ : nullptr;
}

std::string TrainingRun::last_checkpoint() const {
  return lead_ ? lead_->last_checkpoint : "worker 0 keeps the checkpoints";
}

// A value that is not a finite number would spoil the weights or the checkpoint: the run stops
// before either, and says where its last good state is.
void TrainingRun::diverged(std::string_view what, double value) const {
  throw Error::training(
      fmt::format("training diverged after step {}: the {} is {:.4g} (a lower learning_rate or "
                  "clip_norm may help); {}",
                  step_, what, value, last_checkpoint()));
}

// This worker's loss on its share of the step's batch, its gradients left in the model.
double TrainingRun::backward(const PoemIndices& share, std::int64_t targets) {
  optimizer_->zero_grad();
  if (share.empty()) return 0;  // a batch of fewer poems than workers
  const auto loss = summed_loss(
      model_, make_batch(train_, share, form_tables(), metre_blanks(plan_.config, step_, share)));
  const double value = loss.item<double>();
  (loss / static_cast<double>(targets)).backward();
  return value;
}

void TrainingRun::step() {
  const auto& config = plan_.config;
  const std::int64_t epoch = step_ / plan_.steps_per_epoch;
  if (epoch != batches_epoch_) {
    batches_ = epoch_batches(train_, config.batch_size, config.seed, epoch);
    batches_epoch_ = epoch;
  }
  const auto& whole = batches_[static_cast<std::size_t>(step_ % plan_.steps_per_epoch)];
  const std::int64_t targets = targets_of(train_, whole);
  torch::manual_seed(
      dropout_seed(config, step_, group_ ? group_->rank() : 0));  // this step's masks
  double loss = backward(group_ ? share_of(whole, group_->rank(), group_->size()) : whole, targets);
  if (group_) {
    try {
      const Exchanged sums = exchange(*group_, model_, loss, stop_);
      loss = sums.loss;
      stopping_ = sums.stop;
    } catch (const Error& lost) {
      throw Error::training(fmt::format("training stopped after step {}: {}; {}", step_,
                                        lost.what(), last_checkpoint()));
    }
  }
  // The norm is measured even without clipping (an infinite bound scales nothing).
  const double norm = torch::nn::utils::clip_grad_norm_(
      model_->parameters(),
      config.clip_norm > 0 ? config.clip_norm : std::numeric_limits<double>::infinity());
  if (!std::isfinite(loss)) diverged("loss", loss);
  if (!std::isfinite(norm)) diverged("gradient's norm", norm);
  optimizer_->step(learning_rate_at(config, step_, plan_.total_steps));
  ++step_;
  count(loss, targets);
  if (!group_) stopping_ = stop_;
}

// The step's time, speed and loss, for the progress and the next history row.
void TrainingRun::count(double loss, std::int64_t targets) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  wall_seconds_ += seconds;
  rate_ = rate_ == 0 ? static_cast<double>(targets) / seconds
                     : 0.9 * rate_ + 0.1 * static_cast<double>(targets) / seconds;
  window_loss_ += loss;
  window_targets_ += targets;
  if (!events_.progress) return;
  const double steps_left = static_cast<double>(plan_.total_steps - step_);
  events_.progress({step_, plan_.total_steps, epoch_of(step_),
                    window_loss_ / static_cast<double>(window_targets_), rate_,
                    steps_left * static_cast<double>(targets) / std::max(rate_, 1e-9)});
}

// The last step, or the one before a stop, is logged and validated, so every run ends measured.
void TrainingRun::validate_and_log() {
  const auto& config = plan_.config;
  const bool log = step_ % config.log_every == 0 || last_step();
  const bool evaluate =
      (step_ % config.eval_every == 0 || last_step()) && !lead_->data.valid.empty();
  if (!log && !evaluate) return;
  HistoryEntry entry{step_, epoch_of(step_), {}, {}, wall_seconds_, rate_};
  if (log) {
    entry.train_loss = window_loss_ / static_cast<double>(window_targets_);
    window_loss_ = 0;
    window_targets_ = 0;
  }
  if (evaluate) {
    entry.valid_perplexity =
        perplexity(model_, lead_->data.valid, config.batch_size, form_tables());
    if (!std::isfinite(*entry.valid_perplexity))
      diverged("validation perplexity", *entry.valid_perplexity);
  }
  lead_->history.push_back(entry);
  if (events_.history) events_.history(entry);
  if (entry.valid_perplexity && (!lead_->best || *entry.valid_perplexity < *lead_->best)) {
    lead_->best = entry.valid_perplexity;
    save(best_checkpoint_path(request_.out));
  }
}

void TrainingRun::save_if_due() {
  if (step_ % plan_.config.checkpoint_every != 0 && !last_step()) return;
  save(request_.out);
}

void TrainingRun::finish() {
  if (lead_ && saved_at_ != step_)
    save(request_.out);  // stopped between checkpoints: keep every step done
}

void TrainingRun::save(const fs::path& path) {
  checkpoint::Contents contents{plan_.model,
                                lead_->data.vocabulary.characters(),
                                weights_of(model_),
                                optimizer_->state(),
                                {},
                                {}};
  std::optional<double> last_perplexity;
  for (const auto& entry : lead_->history) {
    if (entry.valid_perplexity) last_perplexity = entry.valid_perplexity;
  }
  contents.training = {{"config", to_json(plan_.config)},
                       {"step", step_},
                       {"epoch", epoch_of(step_)},
                       {"optimizer_steps", optimizer_->steps()},
                       {"wall_seconds", wall_seconds_},
                       {"history", checkpoint::history_to_json(lead_->history)},
                       {"corpus", fs::absolute(lead_->corpus).lexically_normal().string()},
                       {"world_size", group_ ? group_->size() : 1}};
  if (last_perplexity) contents.training["valid_perplexity"] = *last_perplexity;
  if (lead_->best) contents.training["best_valid_perplexity"] = *lead_->best;
  checkpoint::write(path, contents, lead_->inputs);
  if (path == request_.out) {
    write_history_csv(history_csv_path(request_.out), lead_->history, lead_->inputs);
    lead_->last_checkpoint =
        fmt::format("the last checkpoint, '{}' (step {}), is intact", path.string(), step_);
    saved_at_ = step_;
  }
  if (events_.checkpoint) events_.checkpoint(path, step_);
}

TrainResult TrainingRun::result() const {
  TrainResult result;
  result.latest = request_.out;
  result.best = best_checkpoint_path(request_.out);
  result.rank = group_ ? group_->rank() : 0;
  result.world_size = group_ ? group_->size() : 1;
  result.step = step_;
  result.total_steps = plan_.total_steps;
  result.already_finished = lead_ && lead_->resumed && first_step_ >= plan_.total_steps;
  result.stopped = step_ < plan_.total_steps;
  if (lead_) result.best_valid_perplexity = lead_->best;
  return result;
}

}  // namespace poet
