#pragma once
// The shape of a character model: embedding → a stack of RNN (tanh), LSTM or GRU layers → one
// output layer over the vocabulary.

#include <optional>
#include <string>
#include <string_view>

namespace poet {

enum class CellType { rnn, lstm, gru };

std::string_view cell_name(CellType cell);  // "rnn", "lstm", "gru"
std::optional<CellType> parse_cell(std::string_view name);

struct ModelConfig {
  CellType cell = CellType::lstm;
  int embedding_size = 128;
  int hidden_size = 256;
  int layers = 2;
  double dropout = 0.0;  // between layers and before the output layer, in training only

  bool operator==(const ModelConfig& other) const;
};

// Throws std::invalid_argument naming the first value out of range.
void validate(const ModelConfig& config);

// For people: "LSTM, 2 layers of 256, embedding 128, dropout 0.1".
std::string describe(const ModelConfig& config);

}  // namespace poet
