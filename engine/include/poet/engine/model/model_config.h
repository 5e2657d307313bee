#pragma once
// The shape of a character model: embedding → a stack of RNN (tanh), LSTM or GRU layers → one
// output layer over the vocabulary.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poet {

enum class CellType { rnn, lstm, gru };

std::string_view cell_name(CellType cell);  // "rnn", "lstm", "gru"
int gate_count(CellType cell);              // the weight blocks a layer has: 1, 4, 3
std::optional<CellType> parse_cell(std::string_view name);

struct ModelConfig {
  CellType cell = CellType::gru;
  int embedding_size = 128;
  int hidden_size = 256;
  int layers = 2;
  double dropout = 0.0;  // between layers and before the output layer, in training only
  // The output layer: empty for a full softmax over the vocabulary; otherwise an adaptive
  // softmax whose head holds the tokens below the first cutoff and whose smaller clusters hold
  // the rarer ones (tokens are numbered most frequent first). Cutoffs at or beyond the
  // vocabulary's size are left out, so one setting serves any corpus.
  std::vector<int> adaptive_cutoffs = {1000, 3000};
  // The form inputs (poet/engine/positions.h): when on, each token's embedding is concatenated
  // with learned embeddings of its column, the characters left in its line and its line, each of
  // position_embedding_size, so the first layer reads embedding_size + 3 x that.
  bool position_inputs = false;
  int position_embedding_size = 16;
  // With position_inputs: two more embeddings of that size, of the tone and the rhyme the metre
  // asks of the next character (positions.h). The model keeps each token's metre as a buffer.
  bool metre_inputs = false;

  // The form inputs a step reads beside its token: 0, 3 (position) or 5 (and metre).
  int form_input_count() const { return position_inputs ? (metre_inputs ? 5 : 3) : 0; }
  // What the first recurrent layer reads at each step.
  int input_size() const { return embedding_size + form_input_count() * position_embedding_size; }

  bool operator==(const ModelConfig& other) const;
};

// The first value out of range, said for the user; nothing when every value is in range.
std::optional<std::string> problem_with(const ModelConfig& config);

// The adaptive softmax's cutoffs that fall inside a vocabulary of `vocabulary_size` tokens; none
// for a full softmax. Throws Error::input where there are more clusters than the hidden size can
// project to, each cluster's projection being a quarter of the one before.
std::vector<std::int64_t> adaptive_cutoffs(const ModelConfig& config, std::int64_t vocabulary_size);

// How many weights a model of this shape has over a vocabulary of `vocabulary_size` tokens
// (special ones included), worked out from the shape alone, as LibTorch lays the layers out: so
// a model's cost is known before anything is allocated.
std::int64_t parameter_count(const ModelConfig& config, std::int64_t vocabulary_size);

// For people: "LSTM, 2 layers of 256, embedding 128, dropout 0.1, adaptive softmax 1000/3000".
std::string describe(const ModelConfig& config);

}  // namespace poet
