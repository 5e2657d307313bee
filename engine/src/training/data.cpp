#include "training/data.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>

#include "poet/engine/error.h"
#include "poet/engine/files/corpus.h"
#include "poet/engine/model/runtime.h"
#include "poet/engine/text/text.h"

namespace poet {

// The corpus's train and validation splits (never its test split), encoded. A resumed run keeps
// the vocabulary its weights were trained with.
Dataset load_dataset(const std::filesystem::path& corpus, const TrainConfig& config,
                     const std::vector<char32_t>* vocabulary,
                     const std::function<void(const std::string&)>& note) {
  std::vector<std::u32string> train_texts, valid_texts;
  std::size_t too_long = 0;
  const auto problems = read_corpus(corpus, [&](Poem&& poem) {
    if (poem.split == Split::test) return;
    auto text = decode_utf8(poem.text);
    if (text.size() > static_cast<std::size_t>(config.max_length)) {
      ++too_long;
      return;
    }
    (poem.split == Split::train ? train_texts : valid_texts).push_back(std::move(text));
  });
  if (!problems.empty()) {
    note(fmt::format("{}: skipped {} line{} that do not parse (line {}: {})", corpus.string(),
                     problems.size(), problems.size() == 1 ? "" : "s", problems.front().line,
                     problems.front().message));
  }
  if (train_texts.empty())
    throw Error::file(fmt::format("'{}' has no poems to train on", corpus.string()));

  CharCounts counts;
  for (const auto& text : train_texts) counts.add(text);
  Dataset data{vocabulary ? Vocabulary(*vocabulary)
                          : Vocabulary::build(counts, static_cast<std::size_t>(config.min_count)),
               {},
               {}};
  const auto encode = [&](const std::vector<std::u32string>& texts) {
    Poems poems;
    for (const auto& text : texts) poems.push_back(poem_tokens(data.vocabulary, text));
    return poems;
  };
  data.train = encode(train_texts);
  data.valid = encode(valid_texts);
  note(fmt::format(
      "{}: {} poems to train on, {} to validate with, {} longer than {} characters left out; "
      "vocabulary {} characters",
      corpus.string(), data.train.size(), data.valid.size(), too_long, config.max_length,
      data.vocabulary.size() - Vocabulary::kSpecialCount));
  return data;
}

// One epoch's batches: poems sorted by length (ties in random order) so that a batch holds poems
// of one length and no step computes on padding, then the batches in random order. A function of
// (seed, epoch) alone, so a resumed run sees the very batches the uninterrupted one would have.
std::vector<PoemIndices> epoch_batches(const Poems& poems, int batch_size, std::uint64_t seed,
                                       std::int64_t epoch) {
  std::mt19937_64 random(seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch));
  std::vector<std::size_t> order(poems.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), random);
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return poems[a].size() < poems[b].size(); });
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(batch_size)) {
    const auto end = std::min(order.size(), start + static_cast<std::size_t>(batch_size));
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  std::shuffle(batches.begin(), batches.end(), random);
  return batches;
}

// A linear warm-up to the peak, then a cosine down to the final rate at the last step.
double learning_rate_at(const TrainConfig& config, std::int64_t step, std::int64_t total_steps) {
  if (step < config.warmup_steps) {
    return config.learning_rate * static_cast<double>(step + 1) /
           static_cast<double>(config.warmup_steps);
  }
  const double progress =
      static_cast<double>(step - config.warmup_steps) /
      static_cast<double>(std::max<std::int64_t>(1, total_steps - config.warmup_steps));
  return config.final_learning_rate + 0.5 * (config.learning_rate - config.final_learning_rate) *
                                          (1 + std::cos(M_PI * std::min(1.0, progress)));
}

// LibTorch's intra-op threads. OpenBLAS runs the matrix products, which dominate training, on a
// pool of its own with one thread per core; a LibTorch pool on the same cores only competes with
// it. So 0 means one LibTorch thread with OpenBLAS and one per core with any other BLAS.
int intra_op_threads(int configured) {
  if (configured > 0) return configured;
  if (runtime_info().blas.name == "OpenBLAS") return 1;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// ---- Several workers -------------------------------------------------------------------------
// Each takes its contiguous share of the very batch one process would train on, and one exchange
// per step sums what they computed (training/distributed.h).

PoemIndices share_of(const PoemIndices& batch, int rank, int size) {
  const auto begin = batch.size() * static_cast<std::size_t>(rank) / static_cast<std::size_t>(size);
  const auto end =
      batch.size() * static_cast<std::size_t>(rank + 1) / static_cast<std::size_t>(size);
  return {batch.begin() + static_cast<std::ptrdiff_t>(begin),
          batch.begin() + static_cast<std::ptrdiff_t>(end)};
}

// The next-character predictions in these poems: the denominator of the batch's mean loss.
std::int64_t targets_of(const Poems& poems, const PoemIndices& indices) {
  std::int64_t targets = 0;
  for (const auto i : indices) targets += static_cast<std::int64_t>(poems[i].size()) - 1;
  return targets;
}

// The dropout masks of a step: a function of (seed, step), and of the rank with several workers,
// whose shares must not share masks.
std::uint64_t dropout_seed(const TrainConfig& config, std::int64_t step, int rank) {
  return config.seed * 1000003 + static_cast<std::uint64_t>(step) +
         static_cast<std::uint64_t>(rank) * 0x9E3779B97F4A7C15ULL;
}

// Which of a step's poems read blank metre inputs (metre_dropout): a function of (seed, step, poem)
// alone, so that a resumed run, and any split of the batch among workers, blanks the same poems.
std::vector<bool> metre_blanks(const TrainConfig& config, std::int64_t step,
                               const PoemIndices& poems) {
  if (config.metre_dropout == 0) return {};
  const auto mix = [](std::uint64_t x) {  // splitmix64's finaliser
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  };
  const std::uint64_t step_key = mix(mix(config.seed) ^ static_cast<std::uint64_t>(step));
  std::vector<bool> blanks;
  for (const auto poem : poems) {
    const double uniform = static_cast<double>(mix(step_key ^ poem) >> 11) * 0x1.0p-53;
    blanks.push_back(uniform < config.metre_dropout);
  }
  return blanks;
}

std::int64_t token_count(const Poems& poems) {
  std::int64_t tokens = 0;
  for (const auto& poem : poems) tokens += static_cast<std::int64_t>(poem.size());
  return tokens;
}

}  // namespace poet
