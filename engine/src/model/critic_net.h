#pragma once
// The LibTorch side of the critic (internal to the engine): its network and what it reads, shared
// by scoring (critic.cpp) and training (training/critic_training.cpp).

#include <torch/torch.h>

#include <cstddef>
#include <string>
#include <vector>

#include "model/checkpoint_file.h"
#include "poet/engine/model/critic.h"
#include "poet/engine/model/vocabulary.h"

namespace poet {

// Poems as the network reads them.
struct CriticInputs {
  torch::Tensor tokens;    // [poems, longest] int64: <start>, the characters, <end>, <pad>...
  torch::Tensor features;  // [poems, longest, kCriticFeatures] float: what the corpus says
};

// Per character: each pair, triple and run of four it stands in, counted and flagged if the
// corpus lacks it, the character's own count, whether it doubles the one before, how often the
// poem had it, its column, and how often the corpus has its whole line.
inline constexpr int kCriticFeatures = 23;

class CriticNetImpl : public torch::nn::Module {
 public:
  CriticNetImpl(const CriticConfig& config, int vocabulary_size);
  // Counts the corpus's characters, pairs and triples (within lines) into the tables.
  void count(const std::vector<std::u32string>& corpus);
  // `masked`, when not negative, is the index of one character left out of every poem: a gap,
  // read as padding, of which the corpus says nothing. A poem whose entry in `counted` is true was
  // counted by count(): its own characters, pairs and triples are taken out of the counts it reads,
  // so that a training poem reads the corpus as a poem from outside it does.
  CriticInputs read(const Vocabulary& vocabulary, const std::vector<std::u32string>& poems,
                    std::ptrdiff_t masked = -1, const std::vector<bool>& counted = {}) const;
  // Each poem's logit [poems]: above 0 reads real.
  torch::Tensor forward(const CriticInputs& inputs);
  // Starts the embedding from the generator's (same vocabulary) and keeps it as it is.
  void adopt_embedding(const torch::Tensor& weights);
  const CriticConfig& config() const { return config_; }
  // Its tables, in Table order (critic.cpp).
  std::vector<const torch::Tensor*> tables() const;

 private:
  CriticConfig config_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  std::vector<torch::nn::Conv1d> convolutions_;
  torch::nn::Linear score_{nullptr};
  // The corpus's counts of characters, pairs, triples, runs of four and whole lines, by hashed slot.
  torch::Tensor singles_, pairs_, triples_, quads_, lines_;
};
TORCH_MODULE(CriticNet);

// What a critic's checkpoint stores: its parameters, then its tables.
std::vector<checkpoint::Tensor> critic_tensors(CriticNet& net);

// A critic's checkpoint: the generator's configuration (whose poems it learned to tell from real
// ones) as the model section, the critic's own in the header's "critic" section.
checkpoint::Contents critic_contents(CriticNet& net, const Vocabulary& vocabulary,
                                     const ModelConfig& generator, nlohmann::json training);

}  // namespace poet
