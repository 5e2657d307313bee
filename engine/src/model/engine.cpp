#include "poet/engine/model/engine.h"

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <iterator>
#include <thread>

#include "model/model.h"
#include "model/torch_errors.h"
#include "poet/engine/error.h"
#include "poet/engine/files/limits.h"
#include "poet/engine/model/positions.h"
#include "poet/engine/text/text.h"

namespace poet {

// One checkpoint on the device. Immutable once built, so any number of generations on any
// threads can share it; it lives as long as the last generation that uses it.
class LoadedModel {
 public:
  LoadedModel(ModelInfo info, Vocabulary vocabulary, CharRnn model)
      : info(std::move(info)),
        vocabulary(std::move(vocabulary)),
        model(std::move(model)),
        tables{mark_tokens(this->vocabulary), this->model->token_metre()} {}

  // Tells this model from every other loaded in the process, even one at a freed one's address.
  const std::uint64_t serial = next_serial();
  ModelInfo info;
  Vocabulary vocabulary;
  mutable CharRnn model;  // forward() is not const in LibTorch, but inference changes nothing
  FormTables tables;  // what its form inputs are computed from
  // For scoring: the tables, if the model reads form inputs.
  const FormTables* form_tables() const { return info.config.position_inputs ? &tables : nullptr; }
  bool metre_inputs() const { return info.config.metre_inputs; }
  // Appends the inputs a step feeds to the model's input rows, if it reads any.
  void append_inputs(std::vector<std::int64_t>& rows, const PositionInputs& inputs) const {
    if (info.config.position_inputs) inputs.append_to(rows, info.config.metre_inputs);
  }

 private:
  static std::uint64_t next_serial() {
    static std::atomic<std::uint64_t> serial{0};
    return ++serial;
  }
};

namespace {

std::shared_ptr<const LoadedModel> load_model(const std::filesystem::path& file,
                                              const std::string& device,
                                              const std::atomic<bool>* cancel = nullptr) {
  checkpoint::Contents contents = checkpoint::read_model(file, cancel);
  Vocabulary vocabulary(contents.vocabulary);  // checkpoint::read has checked it
  CharRnn model =
      with_torch_errors(ErrorKind::file, fmt::format("cannot load '{}'", file.string()),
                        [&] { return model_from(contents, file, torch_device(device)); });

  ModelInfo info;
  info.config = contents.model;
  info.vocabulary_size = vocabulary.size();
  for (const auto& parameter : model->parameters()) info.parameters += parameter.numel();
  info.device = device;
  // checkpoint::read has checked the training state's fields are of the kinds written here.
  info.steps_trained = contents.training.value("step", std::int64_t{0});
  if (const auto it = contents.training.find("valid_perplexity");
      it != contents.training.end() && it->is_number()) {
    info.valid_perplexity = it->get<double>();
  }
  info.history =
      checkpoint::history_from_json(contents.training.value("history", nlohmann::json::array()));
  info.file = std::filesystem::absolute(file);
  return std::make_shared<const LoadedModel>(std::move(info), std::move(vocabulary),
                                             std::move(model));
}

torch::Tensor on_cpu(const torch::Tensor& log_probs) {
  return log_probs.to(torch::kCPU, torch::kFloat).contiguous();
}

detail::FileVersion version_of(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return {};
  return {static_cast<std::uint64_t>(info.st_ino),
          info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec,
          static_cast<std::int64_t>(info.st_size)};
}

}  // namespace

// ---- Generation ----------------------------------------------------------------------------

struct Generation::States {
  struct Slot {
    RnnState state;
    std::vector<float> log_probs;
    bool used = false;
    PositionTracker tracker;  // where the tokens read so far leave the poem
    PositionInputs position;  // the inputs fed with the last token
  };

  Slot& at(StateId id) {
    if (id < 0 || static_cast<std::size_t>(id) >= slots.size() ||
        !slots[static_cast<std::size_t>(id)].used) {
      throw Error::input(fmt::format("no state {}", id));
    }
    return slots[static_cast<std::size_t>(id)];
  }

  StateId add(RnnState state, std::vector<float> log_probs, PositionTracker tracker = {},
              PositionInputs position = {}) {
    StateId id;
    if (!free.empty()) {
      id = free.back();
      free.pop_back();
    } else {
      id = static_cast<StateId>(slots.size());
      slots.emplace_back();
    }
    slots[static_cast<std::size_t>(id)] = {std::move(state), std::move(log_probs), true, tracker,
                                           position};
    return id;
  }

  std::vector<Slot> slots;
  std::vector<StateId> free;
};

Generation::Generation(std::shared_ptr<const LoadedModel> model, std::uint64_t seed)
    : model_(std::move(model)), states_(std::make_unique<States>()), random_(seed) {}

Generation::~Generation() = default;

const Vocabulary& Generation::vocabulary() const { return model_->vocabulary; }
int Generation::vocabulary_size() const { return model_->vocabulary.size(); }
const ModelInfo& Generation::model_info() const { return model_->info; }
std::uint64_t Generation::model_serial() const { return model_->serial; }

std::vector<int> Generation::tokens(std::u32string_view text) const {
  std::vector<int> tokens;
  for (const char32_t c : text) {
    const auto token = model_->vocabulary.find(c);
    if (!token)
      throw Error::model(fmt::format("'{}' is not in the model's vocabulary", encode_utf8(c)));
    tokens.push_back(*token);
  }
  return tokens;
}

StateId Generation::start(std::u32string_view prefix) { return start_tokens(tokens(prefix)); }

StateId Generation::start_tokens(const std::vector<int>& tokens) {
  std::vector<std::int64_t> input{Vocabulary::kStart};
  for (const int token : tokens) {
    if (token < 0 || token >= vocabulary_size())
      throw Error::input(fmt::format("no token {}", token));
    input.push_back(token);
  }
  PositionTracker tracker(lines_alike_);
  PositionInputs position;
  std::vector<std::int64_t> positions;
  for (const auto token : input) {
    position = tracker.feed(token, model_->tables);
    model_->append_inputs(positions, position);
  }
  c10::InferenceMode inference;
  const auto device = model_->model->parameters().front().device();
  const auto batch = torch::tensor(input, torch::kLong).unsqueeze(0).to(device);
  torch::Tensor position_batch;
  if (model_->info.config.position_inputs) {
    position_batch = torch::tensor(positions, torch::kLong)
                         .reshape({1, static_cast<std::int64_t>(input.size()), -1})
                         .to(device);
  }
  auto [outputs, state] = model_->model->forward(batch, {}, position_batch);
  const auto log_probs = on_cpu(model_->model->log_probs(outputs.select(1, -1))).squeeze(0);
  return states_->add(std::move(state),
                      std::vector<float>(log_probs.data_ptr<float>(),
                                         log_probs.data_ptr<float>() + log_probs.numel()),
                      tracker, position);
}

StateId Generation::clone(StateId state) {
  const auto& slot = states_->at(state);
  // States are never modified in place (step replaces them), so a clone may share tensors.
  return states_->add(slot.state, slot.log_probs, slot.tracker, slot.position);
}

void Generation::release(StateId state) {
  auto& slot = states_->at(state);
  slot = {};
  states_->free.push_back(state);
}

void Generation::set_lines_alike(bool alike) { lines_alike_ = alike; }

PositionInputs Generation::position(StateId state) const { return states_->at(state).position; }

const float* Generation::log_probs(StateId state) const {
  return states_->at(state).log_probs.data();
}

void Generation::step(const StateId* states, const int* tokens, std::size_t count) {
  if (count == 0) return;
  if (batch_ != nullptr) {
    batch_->step(*this, states, tokens, count);
    return;
  }
  std::vector<StepRequest> requests{{this, states, tokens, count, {}}};
  step_together(requests);
  if (requests[0].error) std::rethrow_exception(requests[0].error);
}

void Generation::step_together(std::vector<StepRequest>& requests) {
  // The rows of one forward pass per model (the generations of one batch normally share one).
  struct Row {
    StepRequest* request;
    States::Slot* slot;
    int token;
    PositionTracker tracker;  // the state's new tracker and inputs, kept once the pass succeeds
    PositionInputs fed;
  };
  std::vector<std::pair<const LoadedModel*, std::vector<Row>>> passes;
  for (auto& request : requests) {
    Generation& generation = *request.generation;
    const LoadedModel& model = *generation.model_;
    std::vector<Row> rows;
    try {
      for (std::size_t i = 0; i < request.count; ++i) {
        auto* slot = &generation.states_->at(request.states[i]);
        if (std::any_of(rows.begin(), rows.end(), [&](const Row& row) { return row.slot == slot; }))
          throw Error::input(fmt::format("state {} appears twice in one step", request.states[i]));
        if (request.tokens[i] < 0 || request.tokens[i] >= generation.vocabulary_size())
          throw Error::input(fmt::format("no token {}", request.tokens[i]));
        Row row{&request, slot, request.tokens[i], slot->tracker, {}};
        row.fed = row.tracker.feed(row.token, model.tables);
        rows.push_back(std::move(row));
      }
    } catch (...) {
      request.error = std::current_exception();
      continue;
    }
    auto pass = std::find_if(passes.begin(), passes.end(),
                             [&](const auto& p) { return p.first == &model; });
    if (pass == passes.end()) pass = passes.insert(passes.end(), {&model, {}});
    pass->second.insert(pass->second.end(), std::make_move_iterator(rows.begin()),
                        std::make_move_iterator(rows.end()));
  }

  for (auto& [model, rows] : passes) {
    try {
      c10::InferenceMode inference;
      const bool lstm = model->info.config.cell == CellType::lstm;
      std::vector<std::int64_t> input, positions;
      for (const Row& row : rows) {
        input.push_back(row.token);
        model->append_inputs(positions, row.fed);
      }
      RnnState batched;
      if (rows.size() == 1) {
        batched = rows[0].slot->state;
      } else {
        std::vector<torch::Tensor> h, c;
        for (const Row& row : rows) {
          h.push_back(row.slot->state.h);
          if (lstm) c.push_back(row.slot->state.c);
        }
        batched.h = torch::cat(h, 1);
        if (lstm) batched.c = torch::cat(c, 1);
      }
      const auto count = static_cast<std::int64_t>(rows.size());
      const auto device = batched.h.device();
      torch::Tensor position_batch;
      if (model->info.config.position_inputs) {
        position_batch = torch::tensor(positions, torch::kLong).reshape({count, 1, -1}).to(device);
      }
      auto [outputs, next] = model->model->forward(
          torch::tensor(input, torch::kLong).unsqueeze(1).to(device), batched, position_batch);
      const auto log_probs = on_cpu(model->model->log_probs(outputs.squeeze(1)));
      const float* values = log_probs.data_ptr<float>();
      const auto width = static_cast<std::size_t>(model->vocabulary.size());
      for (std::int64_t i = 0; i < count; ++i) {
        Row& row = rows[static_cast<std::size_t>(i)];
        row.slot->state.h = next.h.narrow(1, i, 1);
        if (lstm) row.slot->state.c = next.c.narrow(1, i, 1);
        const float* first = values + static_cast<std::size_t>(i) * width;
        row.slot->log_probs.assign(first, first + width);
        row.slot->tracker = row.tracker;
        row.slot->position = row.fed;
      }
    } catch (...) {
      for (const Row& row : rows) row.request->error = std::current_exception();
    }
  }
}

// ---- StepBatch -----------------------------------------------------------------------------

StepBatch::StepBatch(std::size_t members) : members_(members) {}
StepBatch::~StepBatch() = default;

void StepBatch::step(Generation& generation, const StateId* states, const int* tokens,
                     std::size_t count) {
  std::unique_lock lock(mutex_);
  const std::size_t place = waiting_.size();
  waiting_.push_back({&generation, states, tokens, count, {}});
  const std::uint64_t round = round_;
  if (waiting_.size() == members_) {
    run_round();
  } else {
    stepped_.wait(lock, [&] { return round_ != round; });
  }
  if (const auto error = errors_[place]) std::rethrow_exception(error);
}

void StepBatch::leave() {
  std::lock_guard lock(mutex_);
  --members_;
  if (!waiting_.empty() && waiting_.size() == members_) run_round();
}

void StepBatch::run_round() {
  Generation::step_together(waiting_);
  errors_.clear();
  for (const auto& request : waiting_) errors_.push_back(request.error);
  waiting_.clear();
  ++round_;
  stepped_.notify_all();
}

// ---- Engine --------------------------------------------------------------------------------

struct Engine::Watcher {
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
};

Engine::Engine(DeviceChoice device) : device_(resolve_device(device)) {}

Engine::~Engine() { stop_watching(); }

ModelInfo Engine::load(const std::filesystem::path& checkpoint, const std::atomic<bool>* cancel) {
  // Taken before reading: if the file is replaced meanwhile, the watcher sees a newer version.
  const detail::FileVersion version = version_of(checkpoint);
  auto model = load_model(checkpoint, device_, cancel);  // outside the lock: generations go on
  std::lock_guard lock(mutex_);
  model_ = std::move(model);
  file_ = checkpoint;
  file_version_ = version;
  return model_->info;
}

ModelInfo Engine::reload(const std::atomic<bool>* cancel) {
  std::filesystem::path file;
  {
    std::lock_guard lock(mutex_);
    file = file_;
  }
  if (file.empty()) throw Error::model("no checkpoint has been loaded yet");
  return load(file, cancel);
}

std::optional<ModelInfo> Engine::model_info() const {
  const auto model = current();
  if (!model) return std::nullopt;
  return model->info;
}

std::shared_ptr<const LoadedModel> Engine::current() const {
  std::lock_guard lock(mutex_);
  return model_;
}

Evaluation Engine::evaluate(const std::filesystem::path& corpus, std::optional<Split> split,
                            const std::atomic<bool>* cancel) const {
  const auto model = current();
  if (!model) throw Error::model("no model is loaded: load a checkpoint first");
  Evaluation result;
  Poems poems;
  result.skipped_lines = read_corpus(corpus, [&](Poem&& poem) {
                           if (split && poem.split != *split) return;
                           const std::u32string text = decode_utf8(poem.text);
                           if (text.size() > kLongestPoem) {
                             ++result.too_long;
                             return;
                           }
                           auto tokens = poem_tokens(model->vocabulary, text);
                           result.unknown +=
                               std::count(tokens.begin(), tokens.end(), Vocabulary::kUnk);
                           result.characters += static_cast<std::int64_t>(text.size());
                           poems.push_back(std::move(tokens));
                         }).size();
  result.poems = poems.size();
  if (poems.empty()) {
    const std::string where = split ? fmt::format(" in its {} split", split_name(*split)) : "";
    if (result.too_long > 0) {
      throw Error::file(fmt::format(
          "'{}' has no poems{} that poet can score: its {} poem{} {} longer than {} characters",
          corpus.string(), where, result.too_long, result.too_long == 1 ? "" : "s",
          result.too_long == 1 ? "is" : "are", kLongestPoem));
    }
    throw Error::file(fmt::format("'{}' has no poems{}", corpus.string(), where));
  }
  with_torch_errors(ErrorKind::file, fmt::format("cannot evaluate '{}'", corpus.string()), [&] {
    const bool metre = model->metre_inputs();
    result.perplexity = perplexity(model->model, poems, 64, model->form_tables(), metre, cancel);
    if (metre)
      result.metre_perplexity = perplexity(model->model, poems, 64, model->form_tables(), false, cancel);
  });
  return result;
}

std::unique_ptr<Generation> Engine::begin_generation(std::uint64_t seed) const {
  auto model = current();
  if (!model) throw Error::model("no model is loaded: load a checkpoint first");
  return std::make_unique<Generation>(std::move(model), seed);
}

void Engine::watch(std::chrono::milliseconds interval, ReloadListener on_reload) {
  stop_watching();
  watcher_ = std::make_unique<Watcher>();
  watcher_->thread =
      std::thread([this, interval, on_reload = std::move(on_reload), w = watcher_.get()] {
        std::unique_lock lock(w->mutex);
        while (!w->wake.wait_for(lock, interval, [w] { return w->stopping; })) {
          std::filesystem::path file;
          detail::FileVersion now;
          {
            std::lock_guard files(mutex_);
            file = file_;
            now = version_of(file);
            // Nothing loaded, the file gone (a rename in progress), or the version already loaded;
            // a version that failed to load is not tried again until the file changes once more.
            if (file.empty() || now.size < 0 || now == file_version_) continue;
            file_version_ = now;
          }
          try {
            on_reload(load(file), {});
          } catch (const std::exception& error) {
            on_reload(std::nullopt, error.what());
          }
        }
      });
}

void Engine::stop_watching() {
  if (!watcher_) return;
  {
    std::lock_guard lock(watcher_->mutex);
    watcher_->stopping = true;
  }
  watcher_->wake.notify_all();
  watcher_->thread.join();
  watcher_.reset();
}

}  // namespace poet
