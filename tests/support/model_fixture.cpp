#include "model_fixture.h"

#include <gtest/gtest.h>

#include "poet/engine/files/corpus.h"
#include "poet/engine/text/text.h"
#include "scratch.h"

namespace poet::test {

std::vector<char32_t> fixture_characters() {
  CharCounts counts;
  std::size_t poems = 0;
  read_corpus(std::filesystem::path(POET_CORPORA_DIR) / "fixture.tsv", [&](Poem&& poem) {
    if (poems++ < 40) counts.add(decode_utf8(poem.text));
  });
  return Vocabulary::build(counts, 1).characters();
}

ModelConfig small_config(CellType cell) {
  ModelConfig config;
  config.cell = cell;
  config.embedding_size = 16;
  config.hidden_size = 32;
  config.layers = 2;
  return config;
}

TrainRequest tiny_train_request(CellType cell, const std::string& name) {
  TrainRequest request;
  request.corpus = std::filesystem::path(POET_CORPORA_DIR) / "fixture.tsv";
  request.model = small_config(cell);
  request.train.batch_size = 16;
  request.train.steps = 8;
  request.train.warmup_steps = 2;
  request.train.eval_every = 4;
  request.train.checkpoint_every = 3;
  request.train.log_every = 2;
  request.train.min_count = 1;
  request.train.threads = 1;
  request.train.seed = 5;
  const auto dir = std::filesystem::path(scratch_dir()) / name;
  std::filesystem::remove_all(dir);  // nothing from an earlier run may pass for this one's output
  std::filesystem::create_directories(dir);
  request.out = dir / "model.ckpt";
  return request;
}

checkpoint::Contents make_contents(CellType cell, std::uint64_t seed, std::int64_t step) {
  torch::manual_seed(seed);
  checkpoint::Contents contents;
  contents.model = small_config(cell);
  contents.vocabulary = fixture_characters();
  CharRnn model(contents.model, static_cast<int>(contents.vocabulary.size()) + Vocabulary::kSpecialCount);
  contents.tensors = weights_of(model);
  contents.training = {{"step", step}};
  return contents;
}

std::filesystem::path write_checkpoint(const std::string& name, CellType cell, std::uint64_t seed,
                                       std::int64_t step) {
  const auto path = std::filesystem::path(test::scratch_dir()) / name;
  checkpoint::write(path, make_contents(cell, seed, step));
  return path;
}

}  // namespace poet::test
