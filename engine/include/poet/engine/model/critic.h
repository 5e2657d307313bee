#pragma once
// The critic: a small classifier that reads a whole poem and says how real it reads, from 0 (a
// machine's) to 1 (a Tang poet's). It learns from the corpus's poems beside poems the model
// writes (train_critic in poet/engine/training/critic_training.h), so it learns what gives a
// machine away: words that do not exist, characters doubled by accident, stock lines. gen
// --best-of keeps the candidate it rates highest. LibTorch stays behind this header.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace poet {

// Its shape. Each character is read as its embedding (the generator's own, kept as trained, when
// their sizes agree) beside what the corpus says of it: how often the corpus has each pair,
// triple and run of four characters it stands in, the character itself and its whole line, and
// whether it doubles the one before or repeats one earlier in the poem. Convolutions over the
// characters follow, each `width` wide and dilated twice as far as the one before (the last sees
// a span of several words), pooled over the poem by maximum and mean, then one linear score. The
// corpus's runs are counted into hashed tables of 2^table_bits entries each.
struct CriticConfig {
  int embedding_size = 192;
  int channels = 96;
  int layers = 3;
  int width = 3;
  int table_bits = 20;
};

// One character's share in a poem's score: how much the score rises when it is masked (left out,
// a gap the critic reads nothing in). The characters that most lower the score rise most.
struct CharacterBlame {
  std::size_t index = 0;  // in the poem's characters (code points), marks included
  char32_t character = 0;
  double rise = 0;
};

struct CriticReading {
  double score = 0;
  std::vector<CharacterBlame> blames;  // highest rise first; marks left out (every poem needs them)
};

struct CriticInfo {
  CriticConfig config;
  std::int64_t parameters = 0;
  std::optional<double> auc;  // on held-out real against generated poems, as trained
  std::filesystem::path file;
};

class Critic {
 public:
  // Throws poet::Error: a file that is missing, damaged, or a model's rather than a critic's.
  static std::unique_ptr<Critic> load(const std::filesystem::path& file);
  ~Critic();
  Critic(const Critic&) = delete;
  Critic& operator=(const Critic&) = delete;

  // Each poem's score, all in one batch: how real it reads, 0 to 1.
  std::vector<double> scores(const std::vector<std::u32string>& poems) const;
  double score(const std::u32string& poem) const { return scores({poem})[0]; }
  // A poem's score and every character's blame, from one batch.
  CriticReading read(const std::u32string& poem) const;
  const CriticInfo& info() const;

 private:
  struct Impl;
  explicit Critic(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The area under the ROC curve of scores meant to be high for `real` and low for `generated`: the
// share of (real, generated) pairs they order right, ties counting half. NaN when either is empty.
double area_under_roc(const std::vector<double>& real, const std::vector<double>& generated);

}  // namespace poet
