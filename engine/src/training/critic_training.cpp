#include "poet/engine/training/critic_training.h"

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "model/critic_net.h"
#include "model/model.h"
#include "poet/engine/error.h"
#include "training/environment.h"
#include "training/optimizer.h"

namespace poet {
namespace {

struct Example {
  const std::u32string* poem;
  float label;  // 1: real
};

std::vector<Example> examples_of(const CriticExamples& set) {
  std::vector<Example> examples;
  for (const auto& poem : set.real) examples.push_back({&poem, 1});
  for (const auto& poem : set.generated) examples.push_back({&poem, 0});
  return examples;
}

std::vector<double> scores_of(CriticNet& net, const Vocabulary& vocabulary,
                              const std::vector<std::u32string>& poems, int batch_size) {
  c10::InferenceMode inference;
  std::vector<double> scores;
  for (std::size_t first = 0; first < poems.size(); first += static_cast<std::size_t>(batch_size)) {
    const auto last = std::min(poems.size(), first + static_cast<std::size_t>(batch_size));
    const std::vector<std::u32string> batch(poems.begin() + static_cast<std::ptrdiff_t>(first),
                                            poems.begin() + static_cast<std::ptrdiff_t>(last));
    const auto logits = net->forward(net->read(vocabulary, batch)).contiguous();
    scores.insert(scores.end(), logits.data_ptr<float>(), logits.data_ptr<float>() + batch.size());
  }
  return scores;
}

double auc_of(CriticNet& net, const Vocabulary& vocabulary, const CriticExamples& set,
              int batch_size) {
  return area_under_roc(scores_of(net, vocabulary, set.real, batch_size),
                        scores_of(net, vocabulary, set.generated, batch_size));
}

}  // namespace

CriticResult train_critic(const CriticTraining& training) {
  for (const auto* set : {&training.train, &training.valid, &training.test}) {
    if (set->real.empty() || set->generated.empty())
      throw Error::input("a critic needs real and generated poems to train, choose and test on");
  }
  const checkpoint::Contents generator = checkpoint::read_model(training.generator);
  const Vocabulary vocabulary(generator.vocabulary);
  TrainConfig config;
  config.optimizer = OptimizerKind::adamw;
  config.seed = training.seed;
  const TrainingEnvironment environment(config, 1);  // seeds the first weights
  CriticNet net(training.config, vocabulary.size());
  net->count(training.corpus);
  for (const auto& tensor : generator.tensors) {
    if (tensor.name == "embedding.weight" &&
        tensor.shape == std::vector<std::int64_t>{vocabulary.size(), training.config.embedding_size}) {
      auto weights = torch::empty({tensor.shape[0], tensor.shape[1]});
      copy_from_checkpoint(weights, tensor);
      net->adopt_embedding(weights);
    }
  }
  Optimizer optimizer(config, *net);
  std::mt19937_64 shuffle(training.seed);
  std::vector<Example> examples = examples_of(training.train);

  CriticResult result;
  for (const auto& parameter : net->parameters()) result.parameters += parameter.numel();
  std::vector<torch::Tensor> best;  // the kept epoch's weights
  result.valid_auc = -1;
  for (int epoch = 1; epoch <= training.epochs; ++epoch) {
    std::shuffle(examples.begin(), examples.end(), shuffle);
    net->train();
    double loss_sum = 0;
    std::size_t batches = 0;
    for (std::size_t first = 0; first < examples.size();
         first += static_cast<std::size_t>(training.batch_size)) {
      if (training.cancel != nullptr && training.cancel->load()) throw Error::stopped();
      const auto last = std::min(examples.size(), first + static_cast<std::size_t>(training.batch_size));
      std::vector<std::u32string> poems;
      std::vector<float> labels;
      std::vector<bool> counted;  // the real ones come from the corpus the tables counted
      for (std::size_t i = first; i < last; ++i) {
        poems.push_back(*examples[i].poem);
        labels.push_back(examples[i].label);
        counted.push_back(examples[i].label == 1);
      }
      const auto loss = torch::binary_cross_entropy_with_logits(
          net->forward(net->read(vocabulary, poems, -1, counted)), torch::tensor(labels));
      optimizer.zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(net->parameters(), 1.0);
      optimizer.step(training.learning_rate);
      loss_sum += loss.item<double>();
      ++batches;
    }
    net->eval();
    const double valid_auc = auc_of(net, vocabulary, training.valid, training.batch_size);
    if (valid_auc > result.valid_auc) {
      result.valid_auc = valid_auc;
      result.best_epoch = epoch;
      best.clear();
      for (const auto& parameter : net->parameters()) best.push_back(parameter.detach().clone());
    }
    if (training.on_epoch)
      training.on_epoch({epoch, training.epochs, loss_sum / static_cast<double>(batches), valid_auc});
  }
  {
    torch::NoGradGuard no_grad;
    auto parameters = net->parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(best[i]);
  }
  result.test_auc = auc_of(net, vocabulary, training.test, training.batch_size);
  nlohmann::json record{{"epochs", training.epochs},
                        {"best_epoch", result.best_epoch},
                        {"valid_auc", result.valid_auc},
                        {"test_auc", result.test_auc},
                        {"train_poems", training.train.real.size() + training.train.generated.size()},
                        {"seed", training.seed}};
  checkpoint::write(training.out,
                    critic_contents(net, vocabulary, generator.model, std::move(record)));
  return result;
}

}  // namespace poet
