// poet_bench_batch: what writing a command's poems in one batch gains, and what --best-of costs.
//
// With gen's defaults (its decoder and metre rule), from 湖:
//   - 32 poems written one after another (write_poem, as 32 `gen` commands would) against the
//     same 32 in one batch (write_poems, as `gen -n 32`): poems per second, the ratio, and
//     whether the batch wrote the very same poems;
//   - one poem with --best-of K for several K: its time as a multiple of one poem's, and the
//     critic's mean score of the poems kept (K = 1 scores the poem written alone).
// Every figure is the median of rounds taken in turn, so that all see the same machine.
//
// usage: poet_bench_batch [--model CKPT] [--critic CKPT] [--quick]
//   --quick: 8 poems, K up to 4 and two rounds, as a smoke test in the suite.

#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "generation_settings.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/model/critic.h"
#include "poet/engine/model/engine.h"
#include "poet/engine/plugins/decoders.h"
#include "poet/engine/writing/writing.h"
#include "rounds.h"

namespace {

using namespace poet;

struct Candidates {
  std::vector<std::unique_ptr<Generation>> owned;
  std::vector<Generation*> generations;
};

Candidates generations(Engine& engine, const std::vector<std::uint64_t>& seeds) {
  Candidates c;
  for (const auto seed : seeds) {
    c.owned.push_back(engine.begin_generation(seed));
    c.generations.push_back(c.owned.back().get());
  }
  return c;
}

int usage() {
  fmt::print(stderr, "usage: poet_bench_batch [--model CKPT] [--critic CKPT] [--quick]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path model = std::filesystem::path(POET_CORPORA_DIR) / "tang.ckpt";
  std::filesystem::path critic_file = std::filesystem::path(POET_CORPORA_DIR) / "critic.ckpt";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
      model = argv[++i];
    } else if (std::strcmp(argv[i], "--critic") == 0 && i + 1 < argc) {
      critic_file = argv[++i];
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      return usage();
    }
  }
  const int poems = quick ? 8 : 32, rounds_count = quick ? 2 : 7;
  const std::vector<int> best_ofs = quick ? std::vector<int>{1, 2, 4}
                                          : std::vector<int>{1, 2, 4, 6, 8, 16};
  try {
    Engine engine(DeviceChoice::cpu);
    const ModelInfo info = engine.load(model);
    const auto critic = Critic::load(critic_file);
    const DecoderSet decoders({POET_BUILT_IN_DECODERS});
    const repl::Settings defaults;
    const auto decoder = repl::find_decoder(decoders, defaults.decoder);
    const MetreLexicon lexicon =
        MetreLexicon::read(std::filesystem::path(POET_CORPORA_DIR) / "metre.tsv");
    PoemRequest request;
    request.start.push_back(U'湖');
    request.metre = defaults.metre.rule(lexicon);
    request.params = defaults.values(*decoder);

    std::vector<std::uint64_t> seeds;
    for (int i = 0; i < poems; ++i) seeds.push_back(static_cast<std::uint64_t>(1 + i));
    enum Slot { kAlone, kBatch, kBestOf };
    bench::Rounds rounds;
    bool same = true;
    std::vector<double> critic_sum(best_ofs.size(), 0);
    for (int round = 0; round < rounds_count; ++round) {
      std::vector<std::string> alone, batched;
      rounds.time(kAlone, [&] {
        for (const auto seed : seeds) {
          auto generation = engine.begin_generation(seed);
          alone.push_back(write_poem(*generation, *decoder, request).text);
        }
      });
      rounds.time(kBatch, [&] {
        auto c = generations(engine, seeds);
        for (const auto& poem : write_poems(c.generations, *decoder,
                                            std::vector<PoemRequest>(seeds.size(), request)))
          batched.push_back(poem.text);
      });
      same = same && alone == batched;
      for (std::size_t k = 0; k < best_ofs.size(); ++k) {
        rounds.time(kBestOf + k, [&] {
          const auto seed = static_cast<std::uint64_t>(100 + round);
          std::vector<std::uint64_t> candidate_seeds;
          for (int j = 0; j < best_ofs[k]; ++j) candidate_seeds.push_back(repl::candidate_seed(seed, j));
          auto c = generations(engine, candidate_seeds);
          const auto written = write_poems(c.generations, *decoder,
                                           std::vector<PoemRequest>(candidate_seeds.size(), request));
          critic_sum[k] += choose_by_critic(*critic, written).score;
        });
      }
    }
    const double alone_us = rounds.median_us(kAlone), batch_us = rounds.median_us(kBatch);
    fmt::print("model: {} ({}); critic: {}; decoder {} with gen's metre rule; medians of {} rounds\n\n",
               model.string(), describe(info.config), critic_file.string(), decoder->name(),
               rounds_count);
    fmt::print("| measure | value |\n|---|---|\n");
    fmt::print("| {} poems one after another | {:.1f} poems/s |\n", poems, poems / alone_us * 1e6);
    fmt::print("| the same {} in one batch | {:.1f} poems/s ({:.2f}x; the same poems: {}) |\n", poems,
               poems / batch_us * 1e6, alone_us / batch_us, same ? "yes" : "NO");
    const double one_us = rounds.median_us(kBestOf);
    for (std::size_t k = 0; k < best_ofs.size(); ++k) {
      fmt::print("| one poem, --best-of {} | {:.0f} ms ({:.2f}x one poem; critic {:.3f}) |\n",
                 best_ofs[k], rounds.median_us(kBestOf + k) / 1e3,
                 rounds.median_us(kBestOf + k) / one_us, critic_sum[k] / rounds_count);
    }
    return same ? 0 : 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "poet_bench_batch: {}\n", error.what());
    return 1;
  }
}
