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
#include "distributed.h"
#include "model.h"
#include "poet/engine/corpus.h"
#include "poet/engine/engine.h"
#include "poet/engine/files.h"
#include "poet/engine/limits.h"
#include "poet/engine/positions.h"
#include "poet/engine/runtime.h"
#include "poet/engine/text.h"
#include "torch_errors.h"
#include "training_state.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

// ---- The data ------------------------------------------------------------------------------

struct Dataset {
  Vocabulary vocabulary{{}};  // empty for a follower, which only trains
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

  // Its moments as tensors (to be overwritten with another worker's) and its step count.
  std::vector<torch::Tensor> moments() const {
    std::vector<torch::Tensor> tensors;
    for (const auto& slot : slots_) {
      tensors.push_back(slot.first);
      if (slot.second.defined()) tensors.push_back(slot.second);
    }
    return tensors;
  }
  void set_steps(std::int64_t steps) { steps_ = steps; }

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


// ---- Several workers -----------------------------------------------------------------------
// With several processes (Workers in trainer.h), each takes its contiguous share of the very batch
// one process would train on, and one exchange per step sums what they computed. Each scales its
// summed loss by the whole batch's count of characters (every worker knows the batch, so none has
// to ask), so the sum of their gradients is the whole batch's mean-loss gradient; then each clips
// and steps its own copy of the optimizer identically.

std::vector<std::size_t> share_of(const std::vector<std::size_t>& batch, int rank, int size) {
  const auto begin = batch.size() * static_cast<std::size_t>(rank) / static_cast<std::size_t>(size);
  const auto end = batch.size() * static_cast<std::size_t>(rank + 1) / static_cast<std::size_t>(size);
  return {batch.begin() + static_cast<std::ptrdiff_t>(begin), batch.begin() + static_cast<std::ptrdiff_t>(end)};
}

// The next-character predictions in these poems: the denominator of the batch's mean loss.
std::int64_t targets_of(const Poems& poems, const std::vector<std::size_t>& indices) {
  std::int64_t targets = 0;
  for (const auto i : indices) targets += static_cast<std::int64_t>(poems[i].size()) - 1;
  return targets;
}

// The dropout masks of a step: a function of (seed, step), and of the rank with several workers,
// whose shares must not share masks.
std::uint64_t dropout_seed(const TrainConfig& config, std::int64_t step, int rank) {
  return config.seed * 1000003 + static_cast<std::uint64_t>(step) +
         static_cast<std::uint64_t>(rank) * 0x9E3779B97F4A7C15ULL;
}

// Whether a model can start from the weights of a model of `source`'s configuration: the same
// network (dropout aside, which has no weights), reading the same form inputs or more.
bool starts_from(const ModelConfig& model, const ModelConfig& source) {
  if ((source.position_inputs && !model.position_inputs) || (source.metre_inputs && !model.metre_inputs))
    return false;
  ModelConfig widened = source;
  widened.dropout = model.dropout;
  widened.position_inputs = model.position_inputs;
  widened.metre_inputs = model.metre_inputs;
  if (!source.position_inputs) widened.position_embedding_size = model.position_embedding_size;
  return widened == model;
}

// Which of a step's poems read blank metre inputs (metre_dropout): a function of (seed, step, poem)
// alone, so that a resumed run, and any split of the batch among workers, blanks the same poems.
std::vector<bool> metre_blanks(const TrainConfig& config, std::int64_t step,
                               const std::vector<std::size_t>& poems) {
  if (config.metre_dropout == 0) return {};
  const auto mix = [](std::uint64_t x) {  // splitmix64's finaliser
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  };
  const std::uint64_t step_key = mix(mix(config.seed) ^ static_cast<std::uint64_t>(step));
  std::vector<bool> blanks;
  for (const auto poem : poems) {
    const double uniform = static_cast<double>(mix(step_key ^ poem) >> 11) * 0x1.0p-53;
    blanks.push_back(uniform < config.metre_dropout);
  }
  return blanks;
}

struct Exchanged {
  double loss = 0;  // the whole batch's summed loss
  bool stop = false;  // some worker was asked to stop
};

// The step's one exchange, in one bucket: every parameter's gradient end to end, then whether
// each has one (a parameter none of the shares reached keeps none, as with one process), then this
// worker's summed loss and whether it is asked to stop. Summed over the workers.
Exchanged exchange(WorkerGroup& group, CharRnn& model, double loss, bool stop) {
  torch::NoGradGuard no_grad;
  const auto parameters = model->parameters();
  std::vector<torch::Tensor> parts;
  std::vector<float> tail;
  for (const auto& parameter : parameters) {
    const auto& gradient = parameter.grad();
    parts.push_back(gradient.defined() ? gradient.reshape(-1) : torch::zeros({parameter.numel()}));
    tail.push_back(gradient.defined() ? 1.0F : 0.0F);
  }
  tail.push_back(static_cast<float>(loss));
  tail.push_back(stop ? 1.0F : 0.0F);
  parts.push_back(torch::tensor(tail));
  auto bucket = torch::cat(parts);
  group.allreduce_sum(bucket);

  std::int64_t offset = 0;
  const auto sums = bucket.narrow(0, bucket.numel() - static_cast<std::int64_t>(tail.size()),
                                  static_cast<std::int64_t>(tail.size()));
  const auto* sum = sums.data_ptr<float>();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    auto parameter = parameters[i];
    const auto gradient = bucket.narrow(0, offset, parameter.numel()).view_as(parameter);
    offset += parameter.numel();
    if (sum[i] == 0) continue;
    if (parameter.grad().defined()) {
      parameter.mutable_grad().copy_(gradient);
    } else {
      parameter.mutable_grad() = gradient.clone();
    }
  }
  return {sum[parameters.size()], sum[parameters.size() + 1] > 0};
}

// Rank 0 hands the others the training poems, as one tensor: every poem's length, then every
// poem's tokens.
void share_poems(WorkerGroup& group, Poems& poems, std::int64_t count, std::int64_t tokens) {
  auto flat = torch::zeros({count + tokens}, torch::kLong);
  if (group.rank() == 0) {
    auto* out = flat.data_ptr<std::int64_t>();
    for (const auto& poem : poems) *out++ = static_cast<std::int64_t>(poem.size());
    for (const auto& poem : poems) out = std::copy(poem.begin(), poem.end(), out);
  }
  group.broadcast({flat});
  if (group.rank() == 0) return;
  const auto* in = flat.data_ptr<std::int64_t>();
  const auto* token = in + count;
  poems.resize(static_cast<std::size_t>(count));
  for (auto& poem : poems) {
    poem.assign(token, token + *in++);
    token += poem.size();
  }
}

std::int64_t token_count(const Poems& poems) {
  std::int64_t tokens = 0;
  for (const auto& poem : poems) tokens += static_cast<std::int64_t>(poem.size());
  return tokens;
}

}  // namespace

// ---- The run -------------------------------------------------------------------------------

namespace {

// `group` is null for one process. With several, rank 0 (the leader) reads the corpus and the
// checkpoint, hands the others the run, validates and writes every file; the others (followers)
// read nothing and write nothing.
TrainResult run(const TrainRequest& request, const TrainEvents& events,
                const std::atomic<bool>& stop, WorkerGroup* group) {
  const bool leader = group == nullptr || group->rank() == 0;
  const auto note = [&](const std::string& text) {
    if (events.note) events.note(text);
  };
  // What run this is: a new one (from fresh weights or a checkpoint's), or the continuation of a
  // checkpoint's, with its own settings.
  std::optional<checkpoint::Contents> resumed, started;
  ModelConfig model_config = request.model;
  TrainConfig config = request.train;
  std::vector<fs::path> inputs;  // what the run reads, which it must never overwrite
  fs::path corpus;
  Dataset data;
  std::int64_t steps_per_epoch = 0, total_steps = 0;
  int vocabulary_size = 0;
  nlohmann::json plan;  // a follower's run, as rank 0 hands it over
  if (leader) {
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
    if (request.start_from) {
      if (request.resume)
        throw EngineError("a run resumes a checkpoint or starts from one, not both");
      started = checkpoint::read(*request.start_from);
    }
    if (request.steps) config.steps = *request.steps;
    if (request.epochs) {
      config.epochs = *request.epochs;
      config.steps = 0;
    }
    try {
      validate(model_config);
      validate(config);
      validate(model_config, config);
    } catch (const std::invalid_argument& error) {
      throw EngineError(error.what());
    }
    if (started && !starts_from(model_config, started->model)) {
      throw EngineError(fmt::format(
          "'{}' holds a model of {}; a run from it needs the same network, reading the same inputs "
          "or more, not {}",
          request.start_from->string(), describe(started->model), describe(model_config)));
    }

    // A resumed run keeps its corpus, as its checkpoint records it, unless told otherwise.
    corpus = request.corpus.value_or(request.default_corpus);
    if (resumed && !request.corpus) {
      if (resumed->training.contains("corpus")) {
        corpus = resumed->training["corpus"].get<std::string>();
      } else {
        note(fmt::format("'{}' does not record its corpus (an older checkpoint): training on "
                         "'{}'; --corpus names another",
                         request.resume->string(), corpus.string()));
      }
    }
    inputs.push_back(corpus);
    if (request.start_from) inputs.push_back(*request.start_from);
    check_writable(request.out, "checkpoint", inputs);
    check_writable(best_checkpoint_path(request.out), "checkpoint", inputs);
    check_writable(history_csv_path(request.out), "loss history", inputs);

    const auto* vocabulary = resumed   ? &resumed->vocabulary
                             : started ? &started->vocabulary
                                       : nullptr;
    data = load_dataset(corpus, config, vocabulary, events);
    vocabulary_size = data.vocabulary.size();
    check_training_fits(model_config, vocabulary_size, config.batch_size, config.max_length);
    steps_per_epoch =
        static_cast<std::int64_t>((data.train.size() + config.batch_size - 1) / config.batch_size);
    total_steps = config.steps > 0 ? config.steps : config.epochs * steps_per_epoch;
  } else {
    // A follower takes the run from rank 0: the settings now, the poems and weights below.
    plan = nlohmann::json::parse(group->fetch("run"));
    if (plan.contains("error"))
      throw EngineError(fmt::format("worker 0 could not start the run: {}", plan["error"].get<std::string>()));
    model_config = checkpoint::model_from_header(plan.at("model"));
    config = train_config_from_json(plan.at("config"));
    vocabulary_size = plan.at("vocabulary_size").get<int>();
    steps_per_epoch = plan.at("steps_per_epoch").get<std::int64_t>();
    total_steps = plan.at("total_steps").get<std::int64_t>();
    share_poems(*group, data.train, plan.at("poems").get<std::int64_t>(), plan.at("tokens").get<std::int64_t>());
  }
  // Which tokens end lines, for a model that reads position inputs; a follower has them from the
  // leader's plan, as it has no vocabulary.
  std::vector<bool> marks;
  if (model_config.position_inputs) {
    if (leader) {
      marks = mark_tokens(data.vocabulary);
    } else {
      marks.assign(static_cast<std::size_t>(vocabulary_size), false);
      for (const auto token : plan.at("marks").get<std::vector<int>>()) {
        if (token >= 0 && token < vocabulary_size) marks[static_cast<std::size_t>(token)] = true;
      }
    }
  }
  at::set_num_threads(intra_op_threads(config.threads));

  // Several workers exchange gradients through Gloo on the CPU; one process trains where asked.
  const torch::Device device = group ? torch::Device(torch::kCPU) : torch_device(request.device);
  if (group && request.device != "cpu") note("several workers train on the CPU");
  if (!group && device.is_cuda()) note("training on the GPU (cuda)");
  torch::manual_seed(config.seed);
  CharRnn model(model_config, vocabulary_size);
  model->to(device);  // weights drawn on the CPU, so a run starts from the same ones anywhere
  Optimizer optimizer(config.optimizer, model);
  std::int64_t step = 0;
  double wall_seconds = 0;
  std::vector<HistoryEntry> history;
  std::optional<double> best;
  if (leader && !resumed && model_config.metre_inputs) {
    model->set_token_metre(token_metre(data.vocabulary, MetreLexicon::read(request.metre_lexicon)));
  }
  if (started) {
    load_weights(model, started->tensors, *request.start_from, WeightFit::fewer_inputs);
    note(fmt::format("starting from the weights of {}", request.start_from->string()));
  }
  if (resumed) {
    load_weights(model, resumed->tensors, *request.resume);
    const auto& state = resumed->training;
    std::int64_t trained_by = 1;  // workers
    try {
      step = state.at("step");
      optimizer.restore(resumed->optimizer_state, state.at("optimizer_steps"), *request.resume);
      wall_seconds = state.at("wall_seconds");
      history = history_from_json(state.at("history"));
      if (state.contains("best_valid_perplexity") && state["best_valid_perplexity"].is_number())
        best = state["best_valid_perplexity"].get<double>();
      trained_by = state.value("world_size", std::int64_t{1});
    } catch (const nlohmann::json::exception& error) {
      throw EngineError(fmt::format("'{}' is corrupt: its training state: {}",
                                    request.resume->string(), error.what()));
    }
    note(fmt::format("resuming {} at step {} of {}", request.resume->string(), step, total_steps));
    const std::int64_t workers = group ? group->size() : 1;
    if (trained_by != workers) {
      note(fmt::format("it was trained by {} worker{}, now by {}: the batches stay the same, their split "
                       "among the workers changes (and dropout masks with it), so the run goes on as "
                       "before but not bit for bit",
                       trained_by, trained_by == 1 ? "" : "s", workers));
    }
  }

  // Rank 0 hands the run over: its settings and counters, the training poems, then the weights and
  // the optimizer's moments, which every worker starts from.
  if (group) {
    if (leader) {
      group->publish("run", nlohmann::json{{"model", checkpoint::model_to_json(model_config)},
                                           {"config", to_json(config)},
                                           {"vocabulary_size", vocabulary_size},
                                           {"steps_per_epoch", steps_per_epoch},
                                           {"total_steps", total_steps},
                                           {"step", step},
                                           {"optimizer_steps", optimizer.steps()},
                                           {"wall_seconds", wall_seconds},
                                           {"poems", data.train.size()},
                                           {"marks", data.vocabulary.punctuation_tokens()},
                                           {"tokens", token_count(data.train)}}
                                .dump());
      share_poems(*group, data.train, static_cast<std::int64_t>(data.train.size()), token_count(data.train));
    } else {
      step = plan.at("step").get<std::int64_t>();
      optimizer.set_steps(plan.at("optimizer_steps").get<std::int64_t>());
      wall_seconds = plan.at("wall_seconds").get<double>();
    }
    auto state = model->parameters();
    for (auto& buffer : model->buffers()) state.push_back(buffer);  // the metre table
    for (auto& moment : optimizer.moments()) state.push_back(moment);
    group->broadcast(state);
    if (!leader) {
      note(fmt::format("worker {} of {} joined the run at {}: step {} of {}", group->rank(), group->size(),
                       group->address(), step, total_steps));
    }
  }
  const FormTables tables{std::move(marks), model->token_metre()};
  const FormTables* form = model_config.position_inputs ? &tables : nullptr;
  model->train();
  const std::int64_t first_step = step;
  // Where the run's last good state is, for the message if it diverges or a worker is lost.
  std::string last_checkpoint = !leader ? "worker 0 keeps the checkpoints"
                                : resumed ? fmt::format("the last checkpoint, '{}' (step {}), is intact",
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
  result.rank = group ? group->rank() : 0;
  result.world_size = group ? group->size() : 1;
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
                         {"corpus", fs::absolute(corpus).lexically_normal().string()},
                         {"world_size", result.world_size}};
    if (last_perplexity) contents.training["valid_perplexity"] = *last_perplexity;
    if (best) contents.training["best_valid_perplexity"] = *best;
    checkpoint::write(path, contents, inputs);
    if (path == request.out) write_history_csv(history_csv_path(request.out), history, inputs);
    if (path == request.out)
      last_checkpoint = fmt::format("the last checkpoint, '{}' (step {}), is intact", path.string(), step);
    if (events.checkpoint) events.checkpoint(path, step);
  };

  std::vector<std::vector<std::size_t>> batches;
  std::int64_t batches_epoch = -1;
  double window_loss = 0, rate = 0;
  std::int64_t window_targets = 0, saved_at = resumed ? step : -1;
  auto last = std::chrono::steady_clock::now();
  // Whether to stop after this step: when asked to, or with several workers, when any one was by
  // the step's exchange (so that all stop after the same step: the one after the request).
  bool stopping = group == nullptr && stop;
  while (step < total_steps && !stopping) {
    const std::int64_t epoch = step / steps_per_epoch;
    if (epoch != batches_epoch) {
      batches = epoch_batches(data.train, config.batch_size, config.seed, epoch);
      batches_epoch = epoch;
    }
    const auto& whole = batches[static_cast<std::size_t>(step % steps_per_epoch)];
    const std::int64_t targets = targets_of(data.train, whole);
    const auto mine = group ? share_of(whole, group->rank(), group->size()) : whole;

    torch::manual_seed(dropout_seed(config, step, group ? group->rank() : 0));  // this step's masks
    double loss_value = 0;
    if (mine.empty()) {  // a batch of fewer poems than workers
      optimizer.zero_grad();
    } else {
      const auto loss =
          summed_loss(model, make_batch(data.train, mine, form, metre_blanks(config, step, mine)));
      loss_value = loss.item<double>();
      optimizer.zero_grad();
      (loss / static_cast<double>(targets)).backward();
    }
    if (group) {
      try {
        const Exchanged sums = exchange(*group, model, loss_value, stop);
        loss_value = sums.loss;
        stopping = sums.stop;
      } catch (const WorkerLost& lost) {
        throw EngineError(fmt::format("training stopped after step {}: {}; {}", step, lost.what(), last_checkpoint));
      }
    }
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
    rate = rate == 0 ? targets / seconds : 0.9 * rate + 0.1 * targets / seconds;
    window_loss += loss_value;
    window_targets += targets;
    if (events.progress) {
      const double steps_left = static_cast<double>(total_steps - step);
      events.progress({step, total_steps, epoch_of(step),
                       window_loss / static_cast<double>(window_targets), rate,
                       steps_left * static_cast<double>(targets) / std::max(rate, 1e-9)});
    }
    if (!group) stopping = stop;
    if (!leader) continue;  // the rest is rank 0's: validation, the history, the checkpoints

    // The last step, or the one before a stop: log and validate it, so every run ends measured.
    const bool last_step = step == total_steps || stopping;
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
        entry.valid_perplexity = perplexity(model, data.valid, config.batch_size, form);
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
  if (leader && saved_at != step) save(request.out);  // stopped between checkpoints: keep every step done

  result.step = step;
  result.total_steps = total_steps;
  result.already_finished = resumed && first_step >= total_steps;
  result.stopped = step < total_steps;
  result.best_valid_perplexity = best;
  return result;
}

// Several workers meet before anything is read (rank 0 starting this machine's others), so that a
// bad address or a missing worker is known at once. A worker that fails tells the others why.
TrainResult run(const TrainRequest& request, const TrainEvents& events,
                const std::atomic<bool>& stop) {
  if (!request.workers.distributed()) return run(request, events, stop, nullptr);
  try {
    validate(request.workers);
  } catch (const std::invalid_argument& error) {
    throw EngineError(error.what());
  }
  WorkerGroup group(request.workers);
  try {
    return run(request, events, stop, &group);
  } catch (const std::exception& error) {
    const auto* torch_error = dynamic_cast<const c10::Error*>(&error);
    const std::string message = torch_error ? torch_message(*torch_error) : error.what();
    if (group.rank() == 0 && !group.published("run"))
      group.publish("run", nlohmann::json{{"error", message}}.dump());
    if (!group.failed()) group.report_failure(message);
    throw;
  }
}

}  // namespace

void validate(const Workers& workers) {
  const auto check = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  check(workers.count >= 1 && workers.count <= 256, "the number of workers must be 1 to 256");
  if (workers.world_size)
    check(*workers.world_size >= 1, fmt::format("the world size must be 1 or more, not {}", *workers.world_size));
  const int world = workers.total();
  check(workers.rank >= 0 && workers.rank < world,
        fmt::format("rank {} is outside a world of {} (ranks 0 to {})", workers.rank, world, world - 1));
  check(workers.rank + workers.count <= world,
        fmt::format("ranks {} to {} (--workers {} from rank {}) do not fit a world of {}", workers.rank,
                    workers.rank + workers.count - 1, workers.count, workers.rank, world));
  check(workers.count == world || !workers.store.empty(),
        "workers on other machines meet at a store: give its HOST:PORT (rank 0's address)");
  check(workers.timeout_seconds >= 1 && workers.timeout_seconds <= 86400,
        "the timeout must be 1 to 86400 seconds");
  check(workers.count == 1 || !workers.command.empty(), "no command to start this machine's workers with");
}

std::vector<std::string> worker_arguments(const Workers& workers, int rank, const std::string& store) {
  return {"--rank",  std::to_string(rank),  "--world-size", std::to_string(workers.total()),
          "--store", store, "--timeout", std::to_string(workers.timeout_seconds)};
}

TrainResult train(const TrainRequest& request, const TrainEvents& events,
                  const std::atomic<bool>& stop) {
  return with_torch_errors("training failed", [&] { return run(request, events, stop); });
}

}  // namespace poet
