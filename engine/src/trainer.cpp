// The training loop. Read it top to bottom: the data, the batches, the optimizer, the schedule,
// then train() itself. Every source of randomness is a function of (seed, epoch) or (seed, step),
// and the optimizer's moments travel in the checkpoint, so a resumed run continues exactly.

#include "poet/engine/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <thread>

#include "checkpoint_file.h"
#include "model.h"
#include "poet/engine/corpus.h"
#include "poet/engine/engine.h"
#include "poet/engine/files.h"
#include "poet/engine/limits.h"
#include "poet/engine/runtime.h"
#include "poet/engine/text.h"
#include "torch_errors.h"
#include "training_state.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

// ---- The data ------------------------------------------------------------------------------

struct Dataset {
  Vocabulary vocabulary;
  Poems train;
  Poems valid;
};

// The corpus's train and validation splits (never its test split), encoded. A resumed run keeps
// the vocabulary its weights were trained with.
Dataset load_dataset(const fs::path& corpus, const TrainConfig& config,
                     const std::vector<char32_t>* vocabulary, const TrainEvents& events) {
  std::vector<std::u32string> train_texts, valid_texts;
  std::size_t too_long = 0;
  const auto problems = read_corpus(corpus, [&](Poem&& poem) {
    if (poem.split == Split::test) return;
    auto text = decode_utf8(poem.text);
    if (text.size() > static_cast<std::size_t>(config.max_length)) {
      ++too_long;
      return;
    }
    (poem.split == Split::train ? train_texts : valid_texts).push_back(std::move(text));
  });
  const auto note = [&](const std::string& text) {
    if (events.note) events.note(text);
  };
  if (!problems.empty()) {
    note(fmt::format("{}: skipped {} line{} that do not parse (line {}: {})", corpus.string(),
                     problems.size(), problems.size() == 1 ? "" : "s", problems.front().line,
                     problems.front().message));
  }
  if (train_texts.empty())
    throw EngineError(fmt::format("'{}' has no poems to train on", corpus.string()));

  CharCounts counts;
  for (const auto& text : train_texts) counts.add(text);
  Dataset data{vocabulary ? Vocabulary(*vocabulary)
                          : Vocabulary::build(counts, static_cast<std::size_t>(config.min_count)),
               {},
               {}};
  const auto encode = [&](const std::vector<std::u32string>& texts) {
    Poems poems;
    for (const auto& text : texts) poems.push_back(poem_tokens(data.vocabulary, text));
    return poems;
  };
  data.train = encode(train_texts);
  data.valid = encode(valid_texts);
  note(fmt::format(
      "{}: {} poems to train on, {} to validate with, {} longer than {} characters left out; "
      "vocabulary {} characters",
      corpus.string(), data.train.size(), data.valid.size(), too_long, config.max_length,
      data.vocabulary.size() - Vocabulary::kSpecialCount));
  return data;
}

// ---- The batches ---------------------------------------------------------------------------

// One epoch's batches: poems sorted by length (ties in random order) so that a batch holds poems
// of one length and no step computes on padding, then the batches in random order. A function of
// (seed, epoch) alone, so a resumed run sees the very batches the uninterrupted one would have.
std::vector<std::vector<std::size_t>> epoch_batches(const Poems& poems, int batch_size,
                                                    std::uint64_t seed, std::int64_t epoch) {
  std::mt19937_64 random(seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch));
  std::vector<std::size_t> order(poems.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), random);
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return poems[a].size() < poems[b].size(); });
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(batch_size)) {
    const auto end = std::min(order.size(), start + static_cast<std::size_t>(batch_size));
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  std::shuffle(batches.begin(), batches.end(), random);
  return batches;
}

// ---- The optimizer -------------------------------------------------------------------------

// Adam and RMSprop, written out so that their moments are plain named tensors that a checkpoint
// stores in poet's own format (LibTorch's optimizers serialise only to its own archives).
class Optimizer {
 public:
  Optimizer(OptimizerKind kind, CharRnn& model) : kind_(kind) {
    for (const auto& item : model->named_parameters()) {
      Slot slot{item.key(), item.value(), torch::zeros_like(item.value()), {}};
      if (kind == OptimizerKind::adam) slot.second = torch::zeros_like(item.value());
      slots_.push_back(std::move(slot));
    }
  }

  void zero_grad() {
    for (auto& slot : slots_) {
      if (slot.parameter.grad().defined()) slot.parameter.mutable_grad().zero_();
    }
  }

  void step(double learning_rate) {
    torch::NoGradGuard no_grad;
    ++steps_;
    for (auto& slot : slots_) {
      const auto& gradient = slot.parameter.grad();
      if (!gradient.defined()) continue;
      if (kind_ == OptimizerKind::adam) {
        constexpr double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        slot.first.mul_(beta1).add_(gradient, 1 - beta1);
        slot.second.mul_(beta2).addcmul_(gradient, gradient, 1 - beta2);
        const double correction1 = 1 - std::pow(beta1, static_cast<double>(steps_));
        const double correction2 = 1 - std::pow(beta2, static_cast<double>(steps_));
        const auto denominator = (slot.second / correction2).sqrt_().add_(epsilon);
        slot.parameter.addcdiv_(slot.first, denominator, -learning_rate / correction1);
      } else {
        constexpr double alpha = 0.99, epsilon = 1e-8;
        slot.first.mul_(alpha).addcmul_(gradient, gradient, 1 - alpha);
        slot.parameter.addcdiv_(gradient, slot.first.sqrt().add_(epsilon), -learning_rate);
      }
    }
  }

  std::int64_t steps() const { return steps_; }

  std::vector<checkpoint::Tensor> state() const {
    std::vector<checkpoint::Tensor> tensors;
    for (const auto& slot : slots_) {
      tensors.push_back(to_checkpoint(
          slot.name + (kind_ == OptimizerKind::adam ? ".exp_avg" : ".square_avg"), slot.first));
      if (slot.second.defined())
        tensors.push_back(to_checkpoint(slot.name + ".exp_avg_sq", slot.second));
    }
    return tensors;
  }

  void restore(const std::vector<checkpoint::Tensor>& tensors, std::int64_t steps,
               const fs::path& file) {
    const auto expected = state();
    if (tensors.size() != expected.size()) {
      throw EngineError(fmt::format("'{}' holds optimizer state for another optimizer than {}",
                                    file.string(), optimizer_name(kind_)));
    }
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      if (tensors[i].name != expected[i].name || tensors[i].shape != expected[i].shape) {
        throw EngineError(fmt::format("'{}': optimizer state '{}' does not fit the model",
                                      file.string(), tensors[i].name));
      }
    }
    std::size_t next = 0;
    for (auto& slot : slots_) {
      copy_from_checkpoint(slot.first, tensors[next++]);
      if (slot.second.defined()) copy_from_checkpoint(slot.second, tensors[next++]);
    }
    steps_ = steps;
  }

 private:
  struct Slot {
    std::string name;
    torch::Tensor parameter;
    torch::Tensor first;   // Adam: the gradient's moving mean; RMSprop: its squares' moving mean
    torch::Tensor second;  // Adam: the squares' moving mean; RMSprop: unused
  };
  OptimizerKind kind_;
  std::vector<Slot> slots_;
  std::int64_t steps_ = 0;
};

// ---- The schedule --------------------------------------------------------------------------

// A linear warm-up to the peak, then a cosine down to the final rate at the last step.
double learning_rate_at(const TrainConfig& config, std::int64_t step, std::int64_t total_steps) {
  if (step < config.warmup_steps) {
    return config.learning_rate * static_cast<double>(step + 1) /
           static_cast<double>(config.warmup_steps);
  }
  const double progress =
      static_cast<double>(step - config.warmup_steps) /
      static_cast<double>(std::max<std::int64_t>(1, total_steps - config.warmup_steps));
  return config.final_learning_rate + 0.5 * (config.learning_rate - config.final_learning_rate) *
                                          (1 + std::cos(M_PI * std::min(1.0, progress)));
}

// LibTorch's intra-op threads. OpenBLAS runs the matrix products, which dominate training, on a
// pool of its own with one thread per core; a LibTorch pool on the same cores only competes with
// it. So 0 means one LibTorch thread with OpenBLAS and one per core with any other BLAS.
int intra_op_threads(int configured) {
  if (configured > 0) return configured;
  if (runtime_info().blas.name == "OpenBLAS") return 1;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

// ---- The run -------------------------------------------------------------------------------

namespace {

TrainResult run(const TrainRequest& request, const TrainEvents& events,
                const std::atomic<bool>& stop) {
  // What run this is: a new one, or the continuation of a checkpoint's, with its own settings.
  std::optional<checkpoint::Contents> resumed;
  ModelConfig model_config = request.model;
  TrainConfig config = request.train;
  std::vector<fs::path> inputs;  // what the run reads, which it must never overwrite
  if (request.resume) {
    resumed = checkpoint::read(*request.resume);
    if (resumed->optimizer_state.empty() || !resumed->training.contains("config")) {
      throw EngineError(
          fmt::format("'{}' has no training state (an inference checkpoint) and cannot be resumed",
                      request.resume->string()));
    }
    model_config = resumed->model;
    try {
      config = train_config_from_json(resumed->training["config"]);
    } catch (const std::exception& error) {  // JSON of the wrong shape, or values out of range
      throw EngineError(fmt::format("'{}' is corrupt: its training settings: {}",
                                    request.resume->string(), error.what()));
    }
  }
  if (request.steps) config.steps = *request.steps;
  if (request.epochs) {
    config.epochs = *request.epochs;
    config.steps = 0;
  }
  try {
    validate(model_config);
    validate(config);
  } catch (const std::invalid_argument& error) {
    throw EngineError(error.what());
  }
  at::set_num_threads(intra_op_threads(config.threads));

  // A resumed run keeps its corpus, as its checkpoint records it, unless told otherwise.
  fs::path corpus = request.corpus.value_or(request.default_corpus);
  if (resumed && !request.corpus) {
    if (resumed->training.contains("corpus")) {
      corpus = resumed->training["corpus"].get<std::string>();
    } else if (events.note) {
      events.note(fmt::format("'{}' does not record its corpus (an older checkpoint): training on "
                              "'{}'; --corpus names another",
                              request.resume->string(), corpus.string()));
    }
  }
  inputs.push_back(corpus);
  const fs::path csv = history_csv_path(request.out);
  check_writable(request.out, "checkpoint", inputs);
  check_writable(best_checkpoint_path(request.out), "checkpoint", inputs);
  check_writable(csv, "loss history", inputs);

  const Dataset data =
      load_dataset(corpus, config, resumed ? &resumed->vocabulary : nullptr, events);
  check_training_fits(model_config, data.vocabulary.size(), config.batch_size, config.max_length);
  const auto steps_per_epoch =
      static_cast<std::int64_t>((data.train.size() + config.batch_size - 1) / config.batch_size);
  const std::int64_t total_steps =
      config.steps > 0 ? config.steps : config.epochs * steps_per_epoch;

  torch::manual_seed(config.seed);
  CharRnn model(model_config, data.vocabulary.size());
  Optimizer optimizer(config.optimizer, model);
  std::int64_t step = 0;
  double wall_seconds = 0;
  std::vector<HistoryEntry> history;
  std::optional<double> best;
  if (resumed) {
    load_weights(model, resumed->tensors, *request.resume);
    const auto& state = resumed->training;
    try {
      step = state.at("step");
      optimizer.restore(resumed->optimizer_state, state.at("optimizer_steps"), *request.resume);
      wall_seconds = state.at("wall_seconds");
      history = history_from_json(state.at("history"));
      if (state.contains("best_valid_perplexity") && state["best_valid_perplexity"].is_number())
        best = state["best_valid_perplexity"].get<double>();
    } catch (const nlohmann::json::exception& error) {
      throw EngineError(fmt::format("'{}' is corrupt: its training state: {}",
                                    request.resume->string(), error.what()));
    }
    if (events.note)
      events.note(
          fmt::format("resuming {} at step {} of {}", request.resume->string(), step, total_steps));
  }
  model->train();
  const std::int64_t first_step = step;
  // Where the run's last good state is, for the message if it diverges.
  std::string last_checkpoint = resumed ? fmt::format("the last checkpoint, '{}' (step {}), is intact",
                                                      request.resume->string(), step)
                                        : "no checkpoint was written";

  // A value that is not a finite number would spoil the weights or the checkpoint: the run stops
  // before either, and says where its last good state is.
  const auto diverged = [&](std::string_view what, double value) {
    throw EngineError(fmt::format(
        "training diverged after step {}: the {} is {} (a lower learning_rate or clip_norm may help); {}",
        step, what, value, last_checkpoint));
  };

  TrainResult result;
  result.latest = request.out;
  result.best = best_checkpoint_path(request.out);
  const auto epoch_of = [&](std::int64_t s) {
    return static_cast<double>(s) / static_cast<double>(steps_per_epoch);
  };
  const auto save = [&](const fs::path& path) {
    checkpoint::Contents contents{
        model_config, data.vocabulary.characters(), weights_of(model), optimizer.state(), {}};
    std::optional<double> last_perplexity;
    for (const auto& entry : history) {
      if (entry.valid_perplexity) last_perplexity = entry.valid_perplexity;
    }
    contents.training = {{"config", to_json(config)},    {"step", step},
                         {"epoch", epoch_of(step)},      {"optimizer_steps", optimizer.steps()},
                         {"wall_seconds", wall_seconds}, {"history", to_json(history)},
                         {"corpus", fs::absolute(corpus).lexically_normal().string()}};
    if (last_perplexity) contents.training["valid_perplexity"] = *last_perplexity;
    if (best) contents.training["best_valid_perplexity"] = *best;
    checkpoint::write(path, contents, inputs);
    if (path == request.out) write_history_csv(csv, history, inputs);
    if (path == request.out)
      last_checkpoint = fmt::format("the last checkpoint, '{}' (step {}), is intact", path.string(), step);
    if (events.checkpoint) events.checkpoint(path, step);
  };

  std::vector<std::vector<std::size_t>> batches;
  std::int64_t batches_epoch = -1;
  double window_loss = 0, rate = 0;
  std::int64_t window_targets = 0, saved_at = resumed ? step : -1;
  auto last = std::chrono::steady_clock::now();
  while (step < total_steps && !stop) {
    const std::int64_t epoch = step / steps_per_epoch;
    if (epoch != batches_epoch) {
      batches = epoch_batches(data.train, config.batch_size, config.seed, epoch);
      batches_epoch = epoch;
    }
    const Batch batch =
        make_batch(data.train, batches[static_cast<std::size_t>(step % steps_per_epoch)]);

    torch::manual_seed(config.seed * 1000003 +
                       static_cast<std::uint64_t>(step));  // this step's dropout masks
    const auto loss = summed_loss(model, batch);
    const double loss_value = loss.item<double>();
    optimizer.zero_grad();
    (loss / static_cast<double>(batch.targets)).backward();
    // The norm is measured even without clipping (an infinite bound scales nothing): a loss or a
    // gradient that is not finite would spoil the weights, so the run stops before the step.
    const double norm = torch::nn::utils::clip_grad_norm_(
        model->parameters(),
        config.clip_norm > 0 ? config.clip_norm : std::numeric_limits<double>::infinity());
    if (!std::isfinite(loss_value)) diverged("loss", loss_value);
    if (!std::isfinite(norm)) diverged("gradient's norm", norm);
    optimizer.step(learning_rate_at(config, step, total_steps));
    ++step;

    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last).count();
    last = now;
    wall_seconds += seconds;
    rate = rate == 0 ? batch.targets / seconds : 0.9 * rate + 0.1 * batch.targets / seconds;
    window_loss += loss_value;
    window_targets += batch.targets;
    if (events.progress) {
      const double steps_left = static_cast<double>(total_steps - step);
      events.progress({step, total_steps, epoch_of(step),
                       window_loss / static_cast<double>(window_targets), rate,
                       steps_left * static_cast<double>(batch.targets) / std::max(rate, 1e-9)});
    }

    // The last step, or the one before a stop: log and validate it, so every run ends measured.
    const bool last_step = step == total_steps || stop;
    const bool log = step % config.log_every == 0 || last_step;
    const bool evaluate = (step % config.eval_every == 0 || last_step) && !data.valid.empty();
    if (log || evaluate) {
      HistoryEntry entry{step, epoch_of(step), {}, {}, wall_seconds, rate};
      if (log) {
        entry.train_loss = window_loss / static_cast<double>(window_targets);
        window_loss = 0;
        window_targets = 0;
      }
      if (evaluate) {
        entry.valid_perplexity = perplexity(model, data.valid, config.batch_size);
        if (!std::isfinite(*entry.valid_perplexity)) diverged("validation perplexity", *entry.valid_perplexity);
      }
      history.push_back(entry);
      if (events.history) events.history(entry);
      if (entry.valid_perplexity && (!best || *entry.valid_perplexity < *best)) {
        best = entry.valid_perplexity;
        save(result.best);
      }
    }
    if (step % config.checkpoint_every == 0 || last_step) {
      save(request.out);
      saved_at = step;
    }
  }
  if (saved_at != step) save(request.out);  // stopped between checkpoints: keep every step done

  result.step = step;
  result.total_steps = total_steps;
  result.already_finished = resumed && first_step >= total_steps;
  result.stopped = step < total_steps;
  result.best_valid_perplexity = best;
  return result;
}

}  // namespace

TrainResult train(const TrainRequest& request, const TrainEvents& events,
                  const std::atomic<bool>& stop) {
  return with_torch_errors("training failed", [&] { return run(request, events, stop); });
}

}  // namespace poet
