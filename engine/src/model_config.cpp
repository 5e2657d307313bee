#include "poet/engine/model_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

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
         adaptive_cutoffs == other.adaptive_cutoffs;
}

void validate(const ModelConfig& config) {
  const auto check = [](bool ok, std::string_view what) {
    if (!ok) throw std::invalid_argument(std::string(what));
  };
  check(config.embedding_size >= 1 && config.embedding_size <= 8192, "embedding_size must be 1 to 8192");
  check(config.hidden_size >= 1 && config.hidden_size <= 8192, "hidden_size must be 1 to 8192");
  check(config.layers >= 1 && config.layers <= 16, "layers must be 1 to 16");
  check(config.dropout >= 0 && config.dropout < 1, "dropout must be at least 0 and below 1");
  for (std::size_t i = 0; i < config.adaptive_cutoffs.size(); ++i) {
    check(config.adaptive_cutoffs[i] > (i == 0 ? 0 : config.adaptive_cutoffs[i - 1]),
          "adaptive_cutoffs must be positive and increasing");
  }
}

std::string describe(const ModelConfig& config) {
  static constexpr std::string_view kNames[] = {"RNN", "LSTM", "GRU"};
  return fmt::format("{}, {} layer{} of {}, embedding {}, dropout {}, {}", kNames[static_cast<int>(config.cell)],
                     config.layers, config.layers == 1 ? "" : "s", config.hidden_size, config.embedding_size,
                     config.dropout,
                     config.adaptive_cutoffs.empty() ? std::string("full softmax")
                                                     : fmt::format("adaptive softmax {}", fmt::join(config.adaptive_cutoffs, "/")));
}

}  // namespace poet
