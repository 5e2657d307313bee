#include "poet/engine/model_config.h"

#include <fmt/format.h>

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
         hidden_size == other.hidden_size && layers == other.layers && dropout == other.dropout;
}

void validate(const ModelConfig& config) {
  const auto check = [](bool ok, std::string_view what) {
    if (!ok) throw std::invalid_argument(std::string(what));
  };
  check(config.embedding_size >= 1 && config.embedding_size <= 8192, "embedding_size must be 1 to 8192");
  check(config.hidden_size >= 1 && config.hidden_size <= 8192, "hidden_size must be 1 to 8192");
  check(config.layers >= 1 && config.layers <= 16, "layers must be 1 to 16");
  check(config.dropout >= 0 && config.dropout < 1, "dropout must be at least 0 and below 1");
}

std::string describe(const ModelConfig& config) {
  static constexpr std::string_view kNames[] = {"RNN", "LSTM", "GRU"};
  return fmt::format("{}, {} layer{} of {}, embedding {}, dropout {}",
                     kNames[static_cast<int>(config.cell)], config.layers,
                     config.layers == 1 ? "" : "s", config.hidden_size, config.embedding_size,
                     config.dropout);
}

}  // namespace poet
