// poet_bench_engine: how fast the generation service steps, against what the hardware allows.
//
// The floor for one decoding step is reading every weight once (an RNN step touches each weight
// once), so the benchmark times that read with a plain loop and reports the step as a multiple of
// it. It also times a 五律 (48 characters) written greedily, a batch of 8 states in one step
// against 8 single steps, poet's peak memory with the model loaded, and the decoder plugins: the
// greedy plugin against the same loop written directly on the engine (what the ABI and the form
// rule cost), a beam of width 8 against greedy, and both plugins isolated in a process of their
// own against the same plugins in poet's (what isolation costs).
//
// With --compare it times instead a greedy 五律 (the greedy plugin, form rule included) by two
// checkpoints in alternation: what a new model costs against the one it replaces.
//
// usage: poet_bench_engine [--quick]   (--quick: a small model and few repeats, as a smoke test)
//        poet_bench_engine --compare A.ckpt B.ckpt [--quick]

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "model/checkpoint_file.h"
#include "model/model.h"
#include "poet/engine/files/corpus.h"
#include "poet/engine/model/engine.h"
#include "poet/engine/model/runtime.h"
#include "poet/engine/plugins/decoders.h"
#include "poet/engine/text/text.h"
#include "poet/engine/writing/writing.h"
#include "rounds.h"
#include "subprocess.h"

namespace {

using namespace poet;
using bench::Rounds;

int argmax(const float* values, int count) {
  return static_cast<int>(std::max_element(values, values + count) - values);
}

PoemRequest greedy_wulv() {
  PoemRequest wulv;
  wulv.start.push_back(U'湖');  // not = U"湖": GCC 12 warns falsely (-Wrestrict) on that assignment
  wulv.form = FormRule::exact(Form::wulv);
  return wulv;
}

int compare(const std::vector<std::filesystem::path>& models, int rounds_count) {
  const DecoderSet decoders({POET_BUILT_IN_DECODERS});
  const auto greedy = decoders.find("greedy");
  if (!greedy) {
    fmt::print(stderr, "the built-in decoders are not in {}\n", POET_BUILT_IN_DECODERS);
    return 1;
  }
  std::vector<std::unique_ptr<Engine>> engines;
  std::vector<ModelInfo> infos;
  for (const auto& model : models) {
    engines.push_back(std::make_unique<Engine>(DeviceChoice::cpu));
    infos.push_back(engines.back()->load(model));
  }
  const PoemRequest wulv = greedy_wulv();
  Rounds rounds;
  for (int round = 0; round < rounds_count; ++round) {
    for (std::size_t m = 0; m < engines.size(); ++m) {
      auto generation = engines[m]->begin_generation(0);
      rounds.time(m, [&] { write_poem(*generation, *greedy, wulv); });
    }
  }
  const RuntimeInfo runtime = runtime_info();
  fmt::print("runtime: LibTorch {}, {}, {} CPU thread{}; medians of {} interleaved rounds\n\n",
             runtime.torch_version, runtime.blas.name, runtime.cpu_threads,
             runtime.cpu_threads == 1 ? "" : "s", rounds_count);
  fmt::print("| model | parameters | a greedy 五律 | against the first |\n|---|---|---|---|\n");
  for (std::size_t m = 0; m < engines.size(); ++m) {
    fmt::print("| {} ({}) | {:.2f}M | {:.1f} ms | {:.2f}x |\n", models[m].string(),
               describe(infos[m].config), static_cast<double>(infos[m].parameters) / 1e6,
               rounds.median_us(m) / 1e3, rounds.median_us(m) / rounds.median_us(0));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const bool quick = std::find(args.begin(), args.end(), "--quick") != args.end();
  const int repeats = quick ? 5 : 300;
  if (const auto at = std::find(args.begin(), args.end(), "--compare"); at != args.end()) {
    if (args.end() - at < 3) {
      fmt::print(stderr, "usage: poet_bench_engine --compare A.ckpt B.ckpt [--quick]\n");
      return 2;
    }
    return compare({*(at + 1), *(at + 2)}, quick ? 3 : 100);
  }

  // The default architecture over the Tang train split's characters.
  CharCounts counts;
  std::size_t poems = 0;
  read_corpus(std::filesystem::path(POET_CORPORA_DIR) / (quick ? "fixture.tsv" : "tang.tsv"),
              [&](Poem&& poem) {
                if (poem.split == Split::train) counts.add(decode_utf8(poem.text)), ++poems;
              });
  checkpoint::Contents contents;
  contents.vocabulary = Vocabulary::build(counts, 1).characters();
  if (quick) contents.model.hidden_size = 32;
  torch::manual_seed(0);
  CharRnn model(contents.model,
                static_cast<int>(contents.vocabulary.size()) + Vocabulary::kSpecialCount);
  contents.tensors = weights_of(model);
  const auto path = std::filesystem::temp_directory_path() /
                    ("poet_bench_engine_" + std::to_string(getpid()) + ".ckpt");
  checkpoint::write(path, contents);

  Engine engine(DeviceChoice::cpu);
  const ModelInfo info = engine.load(path);
  auto generation = engine.begin_generation(0);
  const int vocabulary = generation->vocabulary_size();

  // The floor: one pass over the weights a step reads (all of them but the embedding table, of
  // which it reads one row), XOR-folded as 64-bit words so the loop runs at memory speed.
  std::vector<std::uint64_t> step_weights;
  for (const auto& tensor : contents.tensors) {
    const std::size_t floats = tensor.name == "embedding.weight"
                                   ? static_cast<std::size_t>(tensor.shape[1])
                                   : tensor.values.size();
    const std::size_t start = step_weights.size();
    step_weights.resize(start + (floats * sizeof(float) + 7) / 8);
    std::memcpy(step_weights.data() + start, tensor.values.data(), floats * sizeof(float));
  }
  const std::size_t weight_bytes = step_weights.size() * sizeof(std::uint64_t);
  volatile std::uint64_t sink = 0;
  StateId state = generation->start(U"湖");
  std::vector<StateId> beam;
  for (int i = 0; i < 8; ++i) beam.push_back(generation->start(U"湖"));
  const std::vector<int> tokens(8, generation->vocabulary().token(U'水'));

  const DecoderSet decoders({POET_BUILT_IN_DECODERS});
  PluginPolicy isolate_all;
  isolate_all.config.isolate = PluginIsolation::all;
  isolate_all.runner = POET_DECODER_RUNNER;
  const DecoderSet isolated({POET_BUILT_IN_DECODERS}, isolate_all);
  const auto greedy = decoders.find("greedy"), beam_search = decoders.find("beam");
  const auto isolated_greedy = isolated.find("greedy"), isolated_beam = isolated.find("beam");
  if (!greedy || !beam_search || !isolated_greedy || !isolated_beam) {
    fmt::print(stderr, "the built-in decoders are not in {}\n", POET_BUILT_IN_DECODERS);
    return 1;
  }
  const PoemRequest wulv = greedy_wulv();
  std::size_t plugin_chars = 0;

  enum Slot { kRead, kStep, kBatch, kPoem, kPluginGreedy, kPluginBeam, kIsolatedGreedy, kIsolatedBeam };
  Rounds rounds;
  for (int round = 0; round < repeats; ++round) {
    rounds.time(kRead, [&] {
      sink = std::accumulate(step_weights.begin(), step_weights.end(), std::uint64_t{0},
                             std::bit_xor<>());
    });
    rounds.time(kStep, [&] {
      const int token = argmax(generation->log_probs(state), vocabulary);
      generation->step(&state, &token, 1);
    });
    rounds.time(kBatch, [&] { generation->step(beam.data(), tokens.data(), beam.size()); });
    if (round % 10 == 0) {
      rounds.time(kPoem, [&] {
        StateId s = generation->start(U"湖");
        for (int i = 1; i < 48; ++i) {
          const int token = argmax(generation->log_probs(s), vocabulary);
          generation->step(&s, &token, 1);
        }
        generation->release(s);
      });
      rounds.time(kPluginGreedy,
                  [&] { plugin_chars = write_poem(*generation, *greedy, wulv).text.size(); });
      rounds.time(kPluginBeam, [&] { write_poem(*generation, *beam_search, wulv); });
      rounds.time(kIsolatedGreedy, [&] { write_poem(*generation, *isolated_greedy, wulv); });
      rounds.time(kIsolatedBeam, [&] { write_poem(*generation, *isolated_beam, wulv); });
    }
  }
  const double read_us = rounds.median_us(kRead), step_us = rounds.median_us(kStep);
  const double batch_us = rounds.median_us(kBatch), poem_us = rounds.median_us(kPoem);
  const double plugin_greedy_us = rounds.median_us(kPluginGreedy),
               plugin_beam_us = rounds.median_us(kPluginBeam);
  const double isolated_greedy_us = rounds.median_us(kIsolatedGreedy),
               isolated_beam_us = rounds.median_us(kIsolatedBeam);

  // poet itself with this model loaded: its peak resident memory.
  const auto run = test::run_program(POET_EXECUTABLE,
                                     {"--model", path.string(), "--device", "cpu", "-c", "model"});
  std::filesystem::remove(path);
  if (run.exit_code != 0) {
    fmt::print(stderr, "poet failed: {}\n", run.err);
    return 1;
  }

  const RuntimeInfo runtime = runtime_info();
  fmt::print(
      "model: {}; vocabulary {} tokens ({} train poems); {:.2f}M parameters, {:.1f} MB read per "
      "step\n",
      describe(info.config), vocabulary, poems, static_cast<double>(info.parameters) / 1e6,
      static_cast<double>(weight_bytes) / 1e6);
  fmt::print("runtime: LibTorch {}, {}, {} CPU thread{}; medians of {} interleaved rounds\n\n",
             runtime.torch_version, runtime.blas.name, runtime.cpu_threads,
             runtime.cpu_threads == 1 ? "" : "s", repeats);
  fmt::print("| measure | value |\n|---|---|\n");
  fmt::print("| reading the weights a step uses, once (the floor) | {:.0f} µs ({:.1f} GB/s) |\n",
             read_us, static_cast<double>(weight_bytes) / read_us / 1e3);
  fmt::print("| one decoding step, one state | {:.0f} µs ({:.2f}x the weight read) |\n", step_us,
             step_us / read_us);
  fmt::print("| a 五律 (48 characters) written greedily | {:.1f} ms |\n", poem_us / 1e3);
  fmt::print(
      "| one step of 8 states batched | {:.0f} µs ({:.2f}x one state, {:.2f}x eight single steps) "
      "|\n",
      batch_us, batch_us / step_us, batch_us / (8 * step_us));
  fmt::print(
      "| the same 五律 through the greedy plugin, form rule included | {:.1f} ms ({:.2f}x the "
      "direct loop) |\n",
      plugin_greedy_us / 1e3, plugin_greedy_us / poem_us);
  fmt::print(
      "| a 五律 by the beam plugin, width 8 | {:.1f} ms ({:.2f}x greedy through its plugin) |\n",
      plugin_beam_us / 1e3, plugin_beam_us / plugin_greedy_us);
  fmt::print(
      "| the greedy 五律, the plugin isolated in its own process | {:.1f} ms ({:.2f}x in poet's "
      "process) |\n",
      isolated_greedy_us / 1e3, isolated_greedy_us / plugin_greedy_us);
  fmt::print(
      "| the beam 五律, width 8, the plugin isolated | {:.1f} ms ({:.2f}x in poet's process) |\n",
      isolated_beam_us / 1e3, isolated_beam_us / plugin_beam_us);
  fmt::print("| poet's peak resident memory with this model loaded | {:.0f} MB |\n",
             static_cast<double>(run.max_rss_kb) / 1024);
  return plugin_chars > 0 ? 0 : 1;
}
