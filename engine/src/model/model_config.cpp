#include "poet/engine/model/model_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

#include "poet/engine/error.h"
#include "poet/engine/model/positions.h"

namespace poet {

std::string_view cell_name(CellType cell) {
  switch (cell) {
    case CellType::rnn: return "rnn";
    case CellType::lstm: return "lstm";
    case CellType::gru: return "gru";
  }
  return "lstm";
}

std::optional<CellType> parse_cell(std::string_view name) {
  for (const auto cell : {CellType::rnn, CellType::lstm, CellType::gru}) {
    if (name == cell_name(cell)) return cell;
  }
  return std::nullopt;
}

bool ModelConfig::operator==(const ModelConfig& other) const {
  return cell == other.cell && embedding_size == other.embedding_size &&
         hidden_size == other.hidden_size && layers == other.layers && dropout == other.dropout &&
         adaptive_cutoffs == other.adaptive_cutoffs && position_inputs == other.position_inputs &&
         metre_inputs == other.metre_inputs &&
         (!position_inputs || position_embedding_size == other.position_embedding_size);  // else unused
}

std::optional<std::string> problem_with(const ModelConfig& config) {
  if (!(config.embedding_size >= 1 && config.embedding_size <= 8192))
    return std::string("embedding_size must be 1 to 8192");
  if (!(config.hidden_size >= 1 && config.hidden_size <= 8192))
    return std::string("hidden_size must be 1 to 8192");
  if (!(config.layers >= 1 && config.layers <= 16)) return std::string("layers must be 1 to 16");
  if (!(config.dropout >= 0 && config.dropout < 1))
    return std::string("dropout must be at least 0 and below 1");
  if (!(config.position_embedding_size >= 1 && config.position_embedding_size <= 1024))
    return std::string("position_embedding_size must be 1 to 1024");
  if (!(!config.metre_inputs || config.position_inputs))
    return std::string("metre_inputs needs position_inputs: the metre asks by line and column");
  for (std::size_t i = 0; i < config.adaptive_cutoffs.size(); ++i) {
    if (!(config.adaptive_cutoffs[i] > (i == 0 ? 0 : config.adaptive_cutoffs[i - 1])))
      return std::string("adaptive_cutoffs must be positive and increasing");
  }
  return std::nullopt;
}

std::vector<std::int64_t> adaptive_cutoffs(const ModelConfig& config, std::int64_t vocabulary_size) {
  std::vector<std::int64_t> cutoffs;
  for (const int cutoff : config.adaptive_cutoffs) {
    if (cutoff < vocabulary_size - 1) cutoffs.push_back(cutoff);
  }
  std::size_t fit = 0;
  for (std::int64_t projection = config.hidden_size / 4; projection >= 1; projection /= 4) ++fit;
  if (cutoffs.size() > fit) {
    throw Error::input(fmt::format(
        "adaptive_cutoffs gives {} clusters inside the vocabulary, but hidden_size {} has room for "
        "{} (each cluster's projection is a quarter of the one before): give fewer cutoffs or a "
        "larger hidden_size",
        cutoffs.size(), config.hidden_size, fit));
  }
  return cutoffs;
}

int gate_count(CellType cell) { return cell == CellType::lstm ? 4 : cell == CellType::gru ? 3 : 1; }

std::int64_t parameter_count(const ModelConfig& config, std::int64_t vocabulary_size) {
  const std::int64_t embedding = config.embedding_size, hidden = config.hidden_size;
  const std::int64_t gates = gate_count(config.cell);
  std::int64_t count = vocabulary_size * embedding;
  if (config.position_inputs) {
    count += std::int64_t{PositionInputs::kColumns + PositionInputs::kLefts + PositionInputs::kLines} *
             config.position_embedding_size;
  }
  if (config.metre_inputs) {
    count += std::int64_t{PositionInputs::kTones + PositionInputs::kRhymes} * config.position_embedding_size;
  }
  for (int layer = 0; layer < config.layers; ++layer) {
    const std::int64_t input = layer == 0 ? config.input_size() : hidden;
    count += gates * hidden * (input + hidden + 2);  // input and hidden weights, two biases
  }
  std::vector<std::int64_t> cutoffs = adaptive_cutoffs(config, vocabulary_size);
  if (cutoffs.empty()) return count + hidden * vocabulary_size + vocabulary_size;
  // The adaptive softmax: a head over the frequent tokens and one entry per cluster, then per
  // cluster a projection shrunk by 4 at each step and its output layer, none with biases.
  count += hidden * (cutoffs.front() + static_cast<std::int64_t>(cutoffs.size()));
  cutoffs.push_back(vocabulary_size);
  std::int64_t projection = hidden;
  for (std::size_t i = 0; i + 1 < cutoffs.size(); ++i) {
    projection /= 4;
    count += hidden * projection + projection * (cutoffs[i + 1] - cutoffs[i]);
  }
  return count;
}

std::string describe(const ModelConfig& config) {
  static constexpr std::string_view kNames[] = {"RNN", "LSTM", "GRU"};
  return fmt::format("{}, {} layer{} of {}, embedding {}{}, dropout {}, {}", kNames[static_cast<int>(config.cell)],
                     config.layers, config.layers == 1 ? "" : "s", config.hidden_size, config.embedding_size,
                     config.position_inputs ? fmt::format(", {} inputs {}", config.metre_inputs ? "position and metre" : "position",
                                                          config.position_embedding_size)
                                            : "",
                     config.dropout,
                     config.adaptive_cutoffs.empty() ? std::string("full softmax")
                                                     : fmt::format("adaptive softmax {}", fmt::join(config.adaptive_cutoffs, "/")));
}

}  // namespace poet
