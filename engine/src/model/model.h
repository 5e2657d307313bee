#pragma once
// The LibTorch side of a character model (internal to the engine): the module, its recurrent
// state, and its conversion to and from checkpoint tensors.

#include <torch/torch.h>

#include <atomic>
#include <filesystem>

#include "model/checkpoint_file.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/model/model_config.h"
#include "poet/engine/model/positions.h"
#include "poet/engine/model/vocabulary.h"

namespace poet {

// The recurrent state of a batch: h is [layers, batch, hidden]; c likewise for an LSTM and
// undefined for the other cells.
struct RnnState {
  torch::Tensor h;
  torch::Tensor c;
};

class CharRnnImpl : public torch::nn::Module {
 public:
  CharRnnImpl(const ModelConfig& config, int vocabulary_size);

  // tokens: [batch, time] int64. Returns the top layer's outputs [batch, time, hidden] and the
  // state after the last step; an empty state starts from zeros. A model with position_inputs
  // also reads `positions`: [batch, time, config().form_input_count()] int64, each token's column,
  // left and line, and with metre_inputs its tone and rhyme (poet/engine/positions.h); the others
  // ignore them.
  std::pair<torch::Tensor, RnnState> forward(const torch::Tensor& tokens,
                                             const RnnState& state = {},
                                             const torch::Tensor& positions = {});
  // The next token's log-probabilities over the whole vocabulary: [rows, hidden] → [rows,
  // vocabulary].
  torch::Tensor log_probs(const torch::Tensor& outputs);
  // The summed negative log-likelihood of `targets` [rows] after `outputs` [rows, hidden]. With an
  // adaptive softmax this computes only the clusters the targets fall in: most of its speed.
  torch::Tensor summed_nll(const torch::Tensor& outputs, const torch::Tensor& targets);

  const ModelConfig& config() const { return config_; }
  int vocabulary_size() const { return vocabulary_size_; }
  // With metre_inputs: each token's metre, which the model keeps (and its checkpoint with it) so
  // that it reads the same inputs wherever it goes; empty for another model.
  void set_token_metre(const std::vector<MetreEntry>& metre);
  std::vector<MetreEntry> token_metre() const;

 private:
  ModelConfig config_;
  int vocabulary_size_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Embedding column_embedding_{nullptr};  // with position_inputs only
  torch::nn::Embedding left_embedding_{nullptr};
  torch::nn::Embedding line_embedding_{nullptr};
  torch::nn::Embedding tone_embedding_{nullptr};  // with metre_inputs only
  torch::nn::Embedding rhyme_embedding_{nullptr};
  torch::Tensor metre_table_;  // [vocabulary, 3]: 平水韵 tone, groups' low and high 16 bits
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::GRU gru_{nullptr};
  torch::nn::RNN rnn_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear head_{nullptr};                          // a full softmax's output layer
  torch::nn::AdaptiveLogSoftmaxWithLoss adaptive_{nullptr};  // or an adaptive one
};
TORCH_MODULE(CharRnn);

// A tensor as a checkpoint stores it: float32 values copied to the CPU.
checkpoint::Tensor to_checkpoint(const std::string& name, const torch::Tensor& tensor);
// Copies a checkpoint tensor's values into `target`, whose shape it must have.
void copy_from_checkpoint(torch::Tensor& target, const checkpoint::Tensor& source);

// The model's weights (and its metre table, with metre inputs) as checkpoint tensors, named as the
// module names them.
std::vector<checkpoint::Tensor> weights_of(CharRnn& model);
// How a checkpoint's weights must fit the model they fill: exactly (the same model), or as those of
// the same model reading fewer inputs (a run that starts from it with inputs added): the model's
// other tensors keep what they hold, and its first layer's weights for the added inputs start at 0.
enum class WeightFit { exact, fewer_inputs };
// Fills a model with a checkpoint's weights; throws poet::Error when they do not fit it.
void load_weights(CharRnn& model, const std::vector<checkpoint::Tensor>& weights,
                  const std::filesystem::path& file, WeightFit fit = WeightFit::exact);

// A model built from a checkpoint's configuration and filled with its weights on `device`.
// Throws poet::Error when the weights do not fit the configuration or the vocabulary.
CharRnn model_from(const checkpoint::Contents& contents, const std::filesystem::path& file,
                   const torch::Device& device);

torch::Device torch_device(const std::string& name);

// ---- Scoring poems ----------------------------------------------------------------------------

using Poems = std::vector<std::vector<std::int64_t>>;  // each <start> characters <end>

// The tokens a model reads for a poem: <start>, its characters (<unk> outside the vocabulary),
// <end>.
std::vector<std::int64_t> poem_tokens(const Vocabulary& vocabulary, std::u32string_view text);

struct Batch {
  torch::Tensor tokens;      // [poems, longest], padded with <pad>
  torch::Tensor positions;   // [poems, longest, 3 or 5] with form inputs, else undefined
  std::int64_t targets = 0;  // the real next-token predictions in it: the loss's denominator
};
// With `tables` (form_tables() of the vocabulary; none for a model without form inputs) it also
// holds each token's form inputs, as poem_positions() computes them; the rows whose entry in
// `without_metre` is true read blank metre inputs (an empty vector blanks none).
Batch make_batch(const Poems& poems, const std::vector<std::size_t>& indices,
                 const FormTables* tables = nullptr, const std::vector<bool>& without_metre = {});

// The summed negative log-likelihood of every real next token of a batch.
torch::Tensor summed_loss(CharRnn& model, const Batch& batch);

// Per-character perplexity over a set of poems: exp of the mean negative log-likelihood of each
// character and of each poem's end, with dropout off (the model's mode is restored after).
// A model with form inputs needs `tables`, its vocabulary's form_tables(); `without_metre` blanks
// a metre model's metre inputs, leaving what the form alone fixes. Throws Error::stopped once
// *cancel is set, between two batches.
double perplexity(CharRnn& model, const Poems& poems, int batch_size,
                  const FormTables* tables = nullptr, bool without_metre = false,
                  const std::atomic<bool>* cancel = nullptr);

}  // namespace poet
