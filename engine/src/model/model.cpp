#include "model/model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "poet/engine/error.h"
#include "poet/engine/model/device.h"
#include "poet/engine/model/positions.h"

namespace poet {
namespace {

// The recurrent stack's options, the same for every cell (an RNN's nonlinearity defaults to tanh).
template <typename Options>
Options stack_options(const ModelConfig& config) {
  return Options(config.input_size(), config.hidden_size)
      .num_layers(config.layers)
      .dropout(config.layers > 1 ? config.dropout : 0.0)  // only exists between stacked layers
      .batch_first(true);
}

}  // namespace

CharRnnImpl::CharRnnImpl(const ModelConfig& config, int vocabulary_size)
    : config_(config), vocabulary_size_(vocabulary_size) {
  if (const auto problem = problem_with(config)) throw Error::model(*problem);
  embedding_ =
      register_module("embedding", torch::nn::Embedding(vocabulary_size, config.embedding_size));
  if (config.position_inputs) {
    const int size = config.position_embedding_size;
    column_embedding_ = register_module(
        "column_embedding", torch::nn::Embedding(PositionInputs::kColumns, size));
    left_embedding_ =
        register_module("left_embedding", torch::nn::Embedding(PositionInputs::kLefts, size));
    line_embedding_ =
        register_module("line_embedding", torch::nn::Embedding(PositionInputs::kLines, size));
  }
  if (config.metre_inputs) {
    const int size = config.position_embedding_size;
    tone_embedding_ =
        register_module("tone_embedding", torch::nn::Embedding(PositionInputs::kTones, size));
    rhyme_embedding_ =
        register_module("rhyme_embedding", torch::nn::Embedding(PositionInputs::kRhymes, size));
    metre_table_ = register_buffer("metre_table", torch::zeros({vocabulary_size, 3}));
  }
  switch (config.cell) {
    case CellType::lstm:
      lstm_ =
          register_module("rnn", torch::nn::LSTM(stack_options<torch::nn::LSTMOptions>(config)));
      break;
    case CellType::gru:
      gru_ = register_module("rnn", torch::nn::GRU(stack_options<torch::nn::GRUOptions>(config)));
      break;
    case CellType::rnn:
      rnn_ = register_module("rnn", torch::nn::RNN(stack_options<torch::nn::RNNOptions>(config)));
      break;
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(config.dropout));
  const std::vector<std::int64_t> cutoffs = adaptive_cutoffs(config, vocabulary_size);
  if (cutoffs.empty()) {
    head_ = register_module("head", torch::nn::Linear(config.hidden_size, vocabulary_size));
  } else {
    adaptive_ = register_module("adaptive", torch::nn::AdaptiveLogSoftmaxWithLoss(
                                                torch::nn::AdaptiveLogSoftmaxWithLossOptions(
                                                    config.hidden_size, vocabulary_size, cutoffs)
                                                    .div_value(4.0)));
  }
}

std::pair<torch::Tensor, RnnState> CharRnnImpl::forward(const torch::Tensor& tokens,
                                                        const RnnState& state,
                                                        const torch::Tensor& positions) {
  auto input = embedding_(tokens);
  if (config_.position_inputs) {
    const int width = config_.form_input_count();
    if (!positions.defined() || positions.dim() != 3 || positions.size(0) != tokens.size(0) ||
        positions.size(1) != tokens.size(1) || positions.size(2) != width) {
      throw Error::model(
          fmt::format("a model with form inputs needs [batch, time, {}] positions", width));
    }
    // Concatenated, not summed: the character's embedding keeps its own size and meaning, and the
    // form inputs can be much smaller than it.
    std::vector<torch::Tensor> parts{input, column_embedding_(positions.select(2, 0)),
                                     left_embedding_(positions.select(2, 1)),
                                     line_embedding_(positions.select(2, 2))};
    if (config_.metre_inputs) {
      parts.push_back(tone_embedding_(positions.select(2, 3)));
      parts.push_back(rhyme_embedding_(positions.select(2, 4)));
    }
    input = torch::cat(parts, -1);
  }
  if (lstm_) {
    auto [output, hc] =
        state.h.defined() ? lstm_(input, std::make_tuple(state.h, state.c)) : lstm_(input);
    return {output, {std::get<0>(hc), std::get<1>(hc)}};
  }
  auto [output, h] = gru_ ? gru_(input, state.h) : rnn_(input, state.h);
  return {output, {h, {}}};
}

void CharRnnImpl::set_token_metre(const std::vector<MetreEntry>& metre) {
  if (!config_.metre_inputs) return;
  if (metre.size() != static_cast<std::size_t>(vocabulary_size_))
    throw Error::model("the metre table needs one entry per token");
  constexpr int book = static_cast<int>(RhymeBook::pingshui);
  std::vector<float> values;
  for (const auto& entry : metre) {
    // Each part below 2^16, so float32 holds it exactly.
    values.insert(values.end(), {static_cast<float>(entry.tone[book]),
                                 static_cast<float>(entry.groups[book] & 0xFFFF),
                                 static_cast<float>(entry.groups[book] >> 16)});
  }
  torch::NoGradGuard no_grad;
  metre_table_.copy_(torch::tensor(values).reshape({vocabulary_size_, 3}));
}

std::vector<MetreEntry> CharRnnImpl::token_metre() const {
  if (!config_.metre_inputs) return {};
  constexpr int book = static_cast<int>(RhymeBook::pingshui);
  const auto table = metre_table_.to(torch::kCPU).contiguous();
  const float* values = table.data_ptr<float>();
  std::vector<MetreEntry> metre(static_cast<std::size_t>(vocabulary_size_));
  for (std::size_t i = 0; i < metre.size(); ++i) {
    // A damaged table reads as tones and groups in range (checkpoints hold only finite values).
    metre[i].tone[book] = static_cast<Tone>(static_cast<int>(std::clamp(values[3 * i], 0.0f, 3.0f)));
    const auto low = static_cast<GroupSet>(std::clamp(values[3 * i + 1], 0.0f, 65535.0f));
    const auto high = static_cast<GroupSet>(std::clamp(values[3 * i + 2], 0.0f, 16383.0f));
    metre[i].groups[book] = low | high << 16;
  }
  return metre;
}

torch::Tensor CharRnnImpl::log_probs(const torch::Tensor& outputs) {
  if (adaptive_) return adaptive_->log_prob(outputs);
  // One row, as in decoding a single state: BLAS does the matrix-vector product about 5x faster
  // than the one-row matrix product nn::Linear makes of it (tests/bench/engine_bench.cpp).
  if (outputs.size(0) == 1) {
    return torch::log_softmax(torch::addmv(head_->bias, head_->weight, outputs[0]), -1)
        .unsqueeze(0);
  }
  return torch::log_softmax(head_(outputs), -1);
}

torch::Tensor CharRnnImpl::summed_nll(const torch::Tensor& outputs, const torch::Tensor& targets) {
  const auto inputs = dropout_(outputs);
  if (adaptive_) return -adaptive_->forward(inputs, targets).output.sum();
  return torch::nn::functional::cross_entropy(
      head_(inputs), targets,
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
}

checkpoint::Tensor to_checkpoint(const std::string& name, const torch::Tensor& tensor) {
  const auto values = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
  checkpoint::Tensor out{name, values.sizes().vec(), {}};
  out.values.assign(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  return out;
}

void copy_from_checkpoint(torch::Tensor& target, const checkpoint::Tensor& source) {
  torch::NoGradGuard no_grad;
  target.copy_(
      torch::from_blob(const_cast<float*>(source.values.data()), source.shape, torch::kFloat));
}

namespace {

// What a checkpoint holds of a model: its parameters, then its buffers (the metre table).
torch::OrderedDict<std::string, torch::Tensor> stored_tensors(CharRnn& model) {
  auto tensors = model->named_parameters();
  for (const auto& item : model->named_buffers()) tensors.insert(item.key(), item.value());
  return tensors;
}

}  // namespace

std::vector<checkpoint::Tensor> weights_of(CharRnn& model) {
  std::vector<checkpoint::Tensor> tensors;
  for (const auto& item : stored_tensors(model))
    tensors.push_back(to_checkpoint(item.key(), item.value()));
  return tensors;
}

void load_weights(CharRnn& model, const std::vector<checkpoint::Tensor>& weights,
                  const std::filesystem::path& file, WeightFit fit) {
  const int vocabulary_size = model->vocabulary_size();
  auto parameters = stored_tensors(model);
  if (fit == WeightFit::exact ? parameters.size() != weights.size()
                              : parameters.size() < weights.size()) {
    throw Error::file(fmt::format("'{}' holds {} weight tensors; its {} model has {}",
                                  file.string(), weights.size(), describe(model->config()),
                                  parameters.size()));
  }
  for (const auto& tensor : weights) {
    auto* parameter = parameters.find(tensor.name);
    if (parameter == nullptr) {
      throw Error::file(fmt::format("'{}' holds weights '{}' that its model does not have",
                                    file.string(), tensor.name));
    }
    // The first layer's input weights of a model that reads fewer inputs: the columns of the
    // inputs it lacks, which come last, start at zero, so they change nothing at first.
    if (fit == WeightFit::fewer_inputs && tensor.name == "rnn.weight_ih_l0" &&
        tensor.shape.size() == 2 && parameter->dim() == 2 &&
        tensor.shape[0] == parameter->size(0) && tensor.shape[1] < parameter->size(1)) {
      auto known = parameter->narrow(1, 0, tensor.shape[1]);
      copy_from_checkpoint(known, tensor);
      torch::NoGradGuard no_grad;
      parameter->narrow(1, tensor.shape[1], parameter->size(1) - tensor.shape[1]).zero_();
      continue;
    }
    if (parameter->sizes().vec() != tensor.shape) {
      const bool vocabulary_row = tensor.name == "embedding.weight" || tensor.name == "metre_table" ||
                                  tensor.name.rfind("head.", 0) == 0 ||
                                  tensor.name.rfind("adaptive.", 0) == 0;
      if (vocabulary_row && !tensor.shape.empty() && tensor.shape[0] != vocabulary_size) {
        throw Error::file(fmt::format("'{}' has a vocabulary of {} tokens but weights for {}",
                                      file.string(), vocabulary_size, tensor.shape[0]));
      }
      throw Error::file(fmt::format("'{}': weights '{}' have shape {} where the model needs {}",
                                    file.string(), tensor.name, fmt::join(tensor.shape, "x"),
                                    fmt::join(parameter->sizes(), "x")));
    }
    copy_from_checkpoint(*parameter, tensor);
  }
}

CharRnn model_from(const checkpoint::Contents& contents, const std::filesystem::path& file,
                   const torch::Device& device) {
  CharRnn model(contents.model,
                static_cast<int>(contents.vocabulary.size()) + Vocabulary::kSpecialCount);
  load_weights(model, contents.tensors, file);
  model->to(device);
  model->eval();
  return model;
}

torch::Device torch_device(const std::string& name) { return torch::Device(name); }

std::optional<DeviceChoice> parse_device(std::string_view name) {
  if (name == "auto") return DeviceChoice::automatic;
  if (name == "cpu") return DeviceChoice::cpu;
  if (name == "cuda") return DeviceChoice::cuda;
  return std::nullopt;
}

std::string resolve_device(DeviceChoice choice) {
  const bool cuda = torch::cuda::is_available();
  if (choice == DeviceChoice::cuda && !cuda) {
    throw Error::input("device 'cuda' was asked for, but LibTorch sees no CUDA GPU here");
  }
  return choice != DeviceChoice::cpu && cuda ? "cuda" : "cpu";
}

// ---- Scoring poems ----------------------------------------------------------------------------

std::vector<std::int64_t> poem_tokens(const Vocabulary& vocabulary, std::u32string_view text) {
  std::vector<std::int64_t> tokens{Vocabulary::kStart};
  for (const int token : vocabulary.encode(text)) tokens.push_back(token);
  tokens.push_back(Vocabulary::kEnd);
  return tokens;
}

Batch make_batch(const Poems& poems, const std::vector<std::size_t>& indices,
                 const FormTables* tables, const std::vector<bool>& without_metre) {
  std::size_t longest = 0;
  for (const auto i : indices) longest = std::max(longest, poems[i].size());
  std::vector<std::int64_t> flat(indices.size() * longest, Vocabulary::kPad);
  Batch batch;
  for (std::size_t row = 0; row < indices.size(); ++row) {
    const auto& poem = poems[indices[row]];
    std::copy(poem.begin(), poem.end(), flat.begin() + static_cast<std::ptrdiff_t>(row * longest));
    batch.targets += static_cast<std::int64_t>(poem.size()) - 1;
  }
  batch.tokens = torch::from_blob(flat.data(),
                                  {static_cast<std::int64_t>(indices.size()),
                                   static_cast<std::int64_t>(longest)},
                                  torch::kLong)
                     .clone();
  if (tables != nullptr) {
    const bool metre = !tables->metre.empty();
    const std::size_t width = metre ? 5 : 3;
    std::vector<std::int64_t> positions;
    positions.reserve(flat.size() * width);
    for (std::size_t row = 0; row < indices.size(); ++row) {
      auto inputs = poem_positions(poems[indices[row]], *tables);
      if (!without_metre.empty() && without_metre[row]) {
        for (auto& at : inputs) at.tone = at.rhyme = 0;  // nothing asked
      }
      for (const auto& at : inputs) at.append_to(positions, metre);
      positions.resize((row + 1) * longest * width, 0);  // padding reads zeros
    }
    batch.positions = torch::from_blob(positions.data(),
                                       {static_cast<std::int64_t>(indices.size()),
                                        static_cast<std::int64_t>(longest),
                                        static_cast<std::int64_t>(width)},
                                       torch::kLong)
                          .clone();
  }
  return batch;
}

// Padding (rare: batches hold poems of one length) is left out before the output layer, so it
// costs nothing there.
torch::Tensor summed_loss(CharRnn& model, const Batch& batch) {
  const auto device = model->parameters().front().device();  // batches are built on the CPU
  const auto tokens = batch.tokens.to(device);
  const auto length = tokens.size(1) - 1;
  auto [outputs, state] = model->forward(
      tokens.narrow(1, 0, length), {},
      batch.positions.defined() ? batch.positions.narrow(1, 0, length).to(device) : torch::Tensor());
  auto rows = outputs.reshape({-1, outputs.size(-1)});
  auto targets = tokens.narrow(1, 1, length).reshape(-1);
  if (batch.targets < targets.size(0)) {
    const auto real = targets.ne(Vocabulary::kPad);
    rows = rows.index({real});
    targets = targets.index({real});
  }
  return model->summed_nll(rows, targets);
}

double perplexity(CharRnn& model, const Poems& poems, int batch_size, const FormTables* tables,
                  bool without_metre, const std::atomic<bool>* cancel) {
  torch::NoGradGuard no_grad;
  const bool training = model->is_training();
  model->eval();
  std::vector<std::size_t> order(poems.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return poems[a].size() < poems[b].size(); });
  double total = 0;
  std::int64_t targets = 0;
  // Batches of up to `batch_size` poems and kBatchCharacters characters (padding included), so a
  // batch of long poems costs no more memory than one of short ones.
  constexpr std::size_t kBatchCharacters = 64 * 256;
  for (std::size_t start = 0, end; start < order.size(); start = end) {
    if (cancel != nullptr && cancel->load()) {
      model->train(training);
      throw Error::stopped();
    }
    end = start + 1;
    while (end < order.size() && end - start < static_cast<std::size_t>(batch_size) &&
           (end - start + 1) * poems[order[end]].size() <= kBatchCharacters) {
      ++end;
    }
    const std::vector<std::size_t> indices(order.begin() + static_cast<std::ptrdiff_t>(start),
                                           order.begin() + static_cast<std::ptrdiff_t>(end));
    const Batch batch = make_batch(poems, indices, tables,
                                   std::vector<bool>(without_metre ? indices.size() : 0, true));
    total += summed_loss(model, batch).item<double>();
    targets += batch.targets;
  }
  model->train(training);
  return std::exp(total / static_cast<double>(std::max<std::int64_t>(targets, 1)));
}

}  // namespace poet
