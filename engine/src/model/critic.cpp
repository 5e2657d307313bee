#include "poet/engine/model/critic.h"

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "model/critic_net.h"
#include "model/model.h"
#include "poet/engine/error.h"
#include "poet/engine/text/text.h"

namespace poet {

// ---- The network ------------------------------------------------------------------------------

namespace {

// The slot of a run of characters in a table of 2^bits entries.
std::size_t slot(int bits, std::u32string_view run) {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL + run.size();
  for (const char32_t c : run) {
    h = (h ^ c) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
  }
  h *= 0x94D049BB133111EBULL;
  return static_cast<std::size_t>((h ^ (h >> 31)) & ((std::uint64_t{1} << bits) - 1));
}

// The tables, by the length of what they count (a whole line: 0).
enum Table { kLines = 0, kSingles = 1, kPairs, kTriples, kQuads };

}  // namespace

CriticNetImpl::CriticNetImpl(const CriticConfig& config, int vocabulary_size) : config_(config) {
  embedding_ = register_module(
      "embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(vocabulary_size,
                                                                    config.embedding_size)
                                            .padding_idx(Vocabulary::kPad)));
  dropout_ = register_module("dropout", torch::nn::Dropout(0.2));
  int inputs = config.embedding_size + kCriticFeatures;
  for (int layer = 0; layer < config.layers; ++layer) {
    const int dilation = 1 << layer;
    convolutions_.push_back(register_module(
        fmt::format("conv{}", layer),
        torch::nn::Conv1d(torch::nn::Conv1dOptions(inputs, config.channels, config.width)
                              .dilation(dilation)
                              .padding(dilation * (config.width - 1) / 2))));
    inputs = config.channels;
  }
  score_ = register_module("score", torch::nn::Linear(2 * config.channels, 1));
  const std::int64_t table = std::int64_t{1} << config.table_bits;
  singles_ = register_buffer("singles", torch::zeros({table}));
  pairs_ = register_buffer("pairs", torch::zeros({table}));
  triples_ = register_buffer("triples", torch::zeros({table}));
  quads_ = register_buffer("quads", torch::zeros({table}));
  lines_ = register_buffer("lines", torch::zeros({table}));
}

namespace {

// Calls `visit(table, slot)` for every run a line has that the tables count.
template <typename Visit>
void each_run(int bits, std::u32string_view line, Visit&& visit) {
  visit(kLines, slot(bits, line));
  for (std::size_t i = 0; i < line.size(); ++i) {
    for (int length = kSingles; length <= kQuads && i + 1 >= static_cast<std::size_t>(length); ++length)
      visit(length, slot(bits, line.substr(i + 1 - static_cast<std::size_t>(length), static_cast<std::size_t>(length))));
  }
}

}  // namespace

void CriticNetImpl::count(const std::vector<std::u32string>& corpus) {
  std::vector<std::vector<float>> counts(kQuads + 1, std::vector<float>(std::size_t{1} << config_.table_bits));
  for (const auto& poem : corpus) {
    for (const auto line : verse_lines(poem))
      each_run(config_.table_bits, line, [&](int table, std::size_t at) { ++counts[static_cast<std::size_t>(table)][at]; });
  }
  torch::NoGradGuard no_grad;
  for (int table = kLines; table <= kQuads; ++table) tables()[static_cast<std::size_t>(table)]->copy_(torch::tensor(counts[static_cast<std::size_t>(table)]));
}

std::vector<const torch::Tensor*> CriticNetImpl::tables() const {
  return {&lines_, &singles_, &pairs_, &triples_, &quads_};
}

CriticInputs CriticNetImpl::read(const Vocabulary& vocabulary,
                                 const std::vector<std::u32string>& poems, std::ptrdiff_t masked,
                                 const std::vector<bool>& counted) const {
  std::size_t longest = 0;
  for (const auto& poem : poems) longest = std::max(longest, poem.size() + 2);
  const auto rows = static_cast<std::int64_t>(poems.size());
  const auto columns = static_cast<std::int64_t>(longest);
  CriticInputs inputs{torch::full({rows, columns}, Vocabulary::kPad, torch::kLong),
                      torch::zeros({rows, columns, kCriticFeatures})};
  auto tokens = inputs.tokens.accessor<std::int64_t, 2>();
  auto features = inputs.features.accessor<float, 3>();
  std::vector<const float*> tables;
  for (const auto* table : this->tables()) tables.push_back(table->data_ptr<float>());
  const int bits = config_.table_bits;
  for (std::int64_t row = 0; row < rows; ++row) {
    const std::u32string& poem = poems[static_cast<std::size_t>(row)];
    const auto n = static_cast<std::ptrdiff_t>(poem.size());
    // A character the corpus can speak of: in a line, and not masked.
    const auto known = [&](std::ptrdiff_t i) {
      return i >= 0 && i < n && i != masked && !is_verse_punctuation(poem[static_cast<std::size_t>(i)]);
    };
    const auto at = [&](std::ptrdiff_t i) { return poem[static_cast<std::size_t>(i)]; };
    // The poem's own runs, by table and slot, where the corpus counted it.
    std::map<std::pair<int, std::size_t>, float> own;
    if (static_cast<std::size_t>(row) < counted.size() && counted[static_cast<std::size_t>(row)]) {
      for (const auto line : verse_lines(poem))
        each_run(bits, line, [&](int table, std::size_t at) { ++own[{table, at}]; });
    }
    // log(1 + the corpus's count) of a run, less the poem's own.
    const auto corpus_count = [&](std::u32string_view run, int table) {
      const std::size_t at = slot(bits, run);
      const auto it = own.find({table, at});
      return std::log1p(tables[static_cast<std::size_t>(table)][at] - (it == own.end() ? 0.0F : it->second));
    };
    const std::u32string_view text(poem);
    tokens[row][0] = Vocabulary::kStart;
    tokens[row][n + 1] = Vocabulary::kEnd;
    std::ptrdiff_t line_start = 0;
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      auto f = features[row][i + 1];
      // Masked, a character is a gap, read as padding is: an unknown one would read as a rare
      // character, which only real poems have.
      tokens[row][i + 1] = i == masked ? Vocabulary::kPad : vocabulary.token(at(i));
      f[13] = static_cast<float>(i - line_start) / 7;
      if (is_verse_punctuation(at(i))) line_start = i + 1;
      if (!known(i)) continue;
      // Each run around it, by its first index and length: its count, and a flag where the
      // corpus never has it.
      const std::pair<std::ptrdiff_t, int> runs[] = {{i - 1, 2}, {i, 2},     {i - 2, 3}, {i - 1, 3},
                                                     {i, 3},     {i - 3, 4}, {i - 2, 4}, {i - 1, 4},
                                                     {i, 4}};
      int feature = 0;
      for (const auto& [first, length] : runs) {
        bool whole = true;
        for (std::ptrdiff_t j = first; j < first + length; ++j) whole = whole && known(j);
        if (whole) {
          const float count = corpus_count(text.substr(static_cast<std::size_t>(first), static_cast<std::size_t>(length)), length);
          f[feature < 10 ? feature : feature + 4] = count / 10;
          f[(feature < 10 ? feature : feature + 4) + 1] = count == 0 ? 1 : 0;
        }
        feature += 2;
      }
      f[10] = corpus_count(text.substr(static_cast<std::size_t>(i), 1), kSingles) / 15;
      f[11] = known(i - 1) && at(i - 1) == at(i) ? 1 : 0;
      int earlier = 0;
      for (std::ptrdiff_t j = 0; j < i; ++j) earlier += j != masked && at(j) == at(i);
      f[12] = static_cast<float>(std::min(earlier, 3)) / 3;
      // Its whole line, unless a character of it is masked.
      std::ptrdiff_t end = i;
      while (end < n && !is_verse_punctuation(at(end))) ++end;
      if (masked < line_start || masked >= end)
        f[22] = corpus_count(text.substr(static_cast<std::size_t>(line_start), static_cast<std::size_t>(end - line_start)), kLines) / 5;
    }
  }
  return inputs;
}

torch::Tensor CriticNetImpl::forward(const CriticInputs& inputs) {
  const auto present = inputs.tokens.ne(Vocabulary::kPad).unsqueeze(1);  // [poems, 1, longest]
  // Padding reads as zeros at every layer, so that a poem scores alike alone and in a batch (an
  // embedding adopted from the generator has a <pad> row of its own).
  auto x = torch::cat({dropout_(embedding_(inputs.tokens)), inputs.features}, 2).transpose(1, 2) *
           present;
  for (std::size_t layer = 0; layer < convolutions_.size(); ++layer) {
    auto y = torch::relu(convolutions_[layer](x)) * present;
    x = layer == 0 ? y : x + y;  // residual past the first layer, whose width differs
  }
  const auto most = x.masked_fill(present.logical_not(), -1e9).amax(2);
  const auto mean = (x * present).sum(2) / present.sum(2).clamp_min(1);
  return score_(torch::cat({most, mean}, 1)).squeeze(1);
}

void CriticNetImpl::adopt_embedding(const torch::Tensor& weights) {
  torch::NoGradGuard no_grad;
  embedding_->weight.copy_(weights);
  embedding_->weight.set_requires_grad(false);
}

std::vector<checkpoint::Tensor> critic_tensors(CriticNet& net) {
  std::vector<checkpoint::Tensor> tensors;
  for (const auto& item : net->named_parameters(true))
    tensors.push_back(to_checkpoint(item.key(), item.value()));
  for (const auto& item : net->named_buffers())
    tensors.push_back(to_checkpoint(item.key(), item.value()));
  return tensors;
}

namespace {

nlohmann::json config_json(const CriticConfig& config) {
  return {{"embedding_size", config.embedding_size},
          {"channels", config.channels},
          {"layers", config.layers},
          {"width", config.width},
          {"table_bits", config.table_bits}};
}

CriticConfig config_from(const nlohmann::json& json) {
  CriticConfig config;
  const auto field = [&](const char* name, int least, int most) {
    const int value = json.at(name).get<int>();
    if (value < least || value > most)
      throw std::invalid_argument(fmt::format("critic {} must be {} to {}", name, least, most));
    return value;
  };
  config.embedding_size = field("embedding_size", 1, 4096);
  config.channels = field("channels", 1, 4096);
  config.layers = field("layers", 1, 8);
  config.width = field("width", 1, 15);
  config.table_bits = field("table_bits", 8, 24);
  if (config.width % 2 == 0) throw std::invalid_argument("critic width must be odd");
  return config;
}

}  // namespace

checkpoint::Contents critic_contents(CriticNet& net, const Vocabulary& vocabulary,
                                     const ModelConfig& generator, nlohmann::json training) {
  checkpoint::Contents contents;
  contents.model = generator;
  contents.vocabulary = vocabulary.characters();
  contents.tensors = critic_tensors(net);
  contents.training = std::move(training);
  contents.critic = config_json(net->config());
  return contents;
}

// ---- Critic -----------------------------------------------------------------------------------

struct Critic::Impl {
  Vocabulary vocabulary;
  mutable CriticNet net;  // forward() is not const in LibTorch, but scoring changes nothing
  CriticInfo info;
};

Critic::Critic(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Critic::~Critic() = default;

std::unique_ptr<Critic> Critic::load(const std::filesystem::path& file) {
  checkpoint::Contents contents = checkpoint::read(file);
  if (contents.critic.is_null())
    throw Error::file(fmt::format("'{}' is a model's checkpoint, not a critic's", file.string()));
  CriticConfig config;
  try {
    config = config_from(contents.critic);
  } catch (const std::exception& error) {
    throw Error::file(fmt::format("'{}' is corrupt: {}", file.string(), error.what()));
  }
  Vocabulary vocabulary(contents.vocabulary);
  // The network is allocated from the header's shape: a damaged header must not ask for more
  // than the file holds.
  const std::int64_t tables = 5 * (std::int64_t{1} << config.table_bits);
  const std::int64_t needed =
      tables + static_cast<std::int64_t>(vocabulary.size()) * config.embedding_size +
      static_cast<std::int64_t>(config.width) * config.channels *
          (config.embedding_size + kCriticFeatures + (config.layers - 1) * config.channels);
  std::int64_t held = 0;
  for (const auto& tensor : contents.tensors) held += static_cast<std::int64_t>(tensor.values.size());
  if (needed > held)
    throw Error::file(fmt::format("'{}' is corrupt: its critic needs {} values, its tensors hold {}",
                                  file.string(), needed, held));
  CriticNet net(config, vocabulary.size());
  auto tensors = net->named_parameters(true);
  for (const auto& item : net->named_buffers()) tensors.insert(item.key(), item.value());
  if (tensors.size() != contents.tensors.size())
    throw Error::file(fmt::format("'{}' holds {} tensors; its critic has {}", file.string(),
                                  contents.tensors.size(), tensors.size()));
  for (const auto& tensor : contents.tensors) {
    auto* target = tensors.find(tensor.name);
    if (target == nullptr || target->sizes().vec() != tensor.shape)
      throw Error::file(fmt::format("'{}' has a tensor '{}' its critic lacks or shapes otherwise",
                                    file.string(), tensor.name));
    copy_from_checkpoint(*target, tensor);
  }
  net->eval();
  CriticInfo info;
  info.config = config;
  for (const auto& parameter : net->parameters()) info.parameters += parameter.numel();
  if (const auto it = contents.training.find("test_auc");
      it != contents.training.end() && it->is_number())
    info.auc = it->get<double>();
  info.file = std::filesystem::absolute(file);
  return std::unique_ptr<Critic>(
      new Critic(std::make_unique<Impl>(Impl{std::move(vocabulary), std::move(net), info})));
}

std::vector<double> Critic::scores(const std::vector<std::u32string>& poems) const {
  if (poems.empty()) return {};
  c10::InferenceMode inference;
  const auto probabilities =
      torch::sigmoid(impl_->net->forward(impl_->net->read(impl_->vocabulary, poems))).contiguous();
  return {probabilities.data_ptr<float>(), probabilities.data_ptr<float>() + poems.size()};
}

CriticReading Critic::read(const std::u32string& poem) const {
  // The poem whole, then each copy with one character masked, all in one batch.
  std::vector<std::ptrdiff_t> places{-1};
  for (std::size_t i = 0; i < poem.size(); ++i) {
    if (!is_verse_punctuation(poem[i])) places.push_back(static_cast<std::ptrdiff_t>(i));
  }
  std::vector<torch::Tensor> tokens, features;
  for (const auto place : places) {
    const CriticInputs inputs = impl_->net->read(impl_->vocabulary, {poem}, place);
    tokens.push_back(inputs.tokens);
    features.push_back(inputs.features);
  }
  c10::InferenceMode inference;
  const auto scores =
      torch::sigmoid(impl_->net->forward({torch::cat(tokens, 0), torch::cat(features, 0)})).contiguous();
  const float* score = scores.data_ptr<float>();
  CriticReading reading{score[0], {}};
  for (std::size_t i = 1; i < places.size(); ++i) {
    const auto index = static_cast<std::size_t>(places[i]);
    reading.blames.push_back({index, poem[index], score[i] - reading.score});
  }
  std::stable_sort(reading.blames.begin(), reading.blames.end(),
                   [](const auto& a, const auto& b) { return a.rise > b.rise; });
  return reading;
}

const CriticInfo& Critic::info() const { return impl_->info; }

double area_under_roc(const std::vector<double>& real, const std::vector<double>& generated) {
  if (real.empty() || generated.empty()) return std::nan("");
  // The share of (real, generated) pairs the score orders right, ties counting half: from one
  // sort of both, by ranks (Mann-Whitney).
  std::vector<std::pair<double, bool>> all;
  for (const double s : real) all.emplace_back(s, true);
  for (const double s : generated) all.emplace_back(s, false);
  std::sort(all.begin(), all.end());
  double rank_sum = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double mean_rank = (static_cast<double>(i + j) + 1) / 2;  // 1-based ranks i+1..j
    for (std::size_t k = i; k < j; ++k) {
      if (all[k].second) rank_sum += mean_rank;
    }
    i = j;
  }
  const double n = static_cast<double>(real.size()), m = static_cast<double>(generated.size());
  return (rank_sum - n * (n + 1) / 2) / (n * m);
}

}  // namespace poet
