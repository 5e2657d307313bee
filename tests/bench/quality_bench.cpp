// poet_bench_quality: the poems a model writes, measured. For a checkpoint it prints, as docs/figures.md
// tables:
//   - per-character perplexity on the test and validation splits of the Tang corpus (for a model
//     with metre inputs, also the conditioned figure);
//   - for each decoder setting, poems written from a fixed set of begin words × seeds under gen's
//     metre rule, with and without --form: the share that are exact 五绝/七绝/五律/七律, the share
//     with a repeated line, the share with a character three times in a row, the share of character
//     pairs that double one character (AA: 依依, or an accident), the share with a pair written
//     twice running (ABAB), the critic's mean score, distinct-2 over all
//     poems, the model's own perplexity of the text it chose (how far from its likeliest path the
//     setting strays), leaks (any character that is neither a Han character nor verse punctuation:
//     a marker, <unk>), and speed;
//   - the same text figures for the real poems of the test split, as the reference;
//   - ten poems by gen's default decoder, unedited.
// With --metre, instead: rhyme and tones. For greedy, temperature (gen's default), beam and
// acrostics written with temperature, as `acrostic` writes them (or the --setting ones), with
// gen's default metre rule (rhyme auto, tones loose, 平水韵)
// and without any, the poems of begin words × the four forms × seeds, checked as `check` checks
// them: the share whose rhymes are all in one group, the share repeating a rhyme character, the
// share of tone checks (positions 2/4/6 and line ends) passed, distinct-2, the model's perplexity
// of its own poems (what the rule costs), where the rule gave way, and the time per 五律; beside
// the same figures for the regulated poems of the test split; then ten poems by gen's default, with
// the rule.
//
// usage: poet_bench_quality [--model CKPT] [--critic CKPT|none] [--seeds N] [--setting SETTING]...
//                           [--metre] [--quick]
//   --model: default, the bundled model (corpora/tang.ckpt)
//   --critic: the critic that scores every poem and chooses under best-of (default, the bundled
//             corpora/critic.ckpt; none: no critic column, no best-of)
//   --setting: a decoder and parameters to measure instead of the list below, e.g.
//              "temperature temperature=0.7 top-p=0.95", "temperature best-of=8" (8 candidates in
//              one batch, the critic's choice kept), or with --metre "acrostic beam" for acrostics
//   --quick: two begin words and one seed, as a smoke test in the suite.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "generation_settings.h"
#include "poet/engine/files/corpus.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/model/critic.h"
#include "poet/engine/model/engine.h"
#include "poet/engine/plugins/decoders.h"
#include "poet/engine/text/text.h"
#include "poet/engine/writing/writing.h"

namespace {

using namespace poet;
using Clock = std::chrono::steady_clock;

// The course's begin words, then forty more common openings of Tang poems.
constexpr std::u32string_view kBeginWords =
    U"日红山夜湖海月"
    U"春秋风花雪云江水天人白青长故明清孤落寒西东南北高登独一何空远流金玉碧楼城烟松竹草";

struct TextStats {
  std::size_t poems = 0;
  std::size_t regulated = 0;      // exact 五绝, 七绝, 五律 or 七律
  std::size_t repeated_line = 0;  // a line (without its mark) written twice
  std::size_t triple = 0;         // a character three times in a row
  std::size_t leaks = 0;          // a character that is neither Han nor verse punctuation
  std::size_t characters = 0;
  std::size_t reused = 0;  // characters (Han) the poem already had
  std::set<std::u32string> bigrams;
  std::size_t bigram_count = 0;
  std::size_t doubled = 0;  // bigrams of one character twice (AA): 依依 or an accident
  std::size_t looped = 0;   // poems with a pair written twice running (ABAB: 明月明月)
  double critic = 0;        // summed critic scores, of the poems it scored
  std::size_t critic_poems = 0;

  void add(std::u32string_view text) {
    ++poems;
    const Form form = classify_form(text);
    regulated +=
        form == Form::wujue || form == Form::qijue || form == Form::wulv || form == Form::qilv;
    std::set<std::u32string_view> lines;
    bool repeated = false;
    for (const auto line : verse_lines(text)) repeated |= !lines.insert(line).second;
    repeated_line += repeated;
    bool tripled = false, leaked = false, loop = false;
    std::set<char32_t> seen;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (!is_han(text[i]) && !is_verse_punctuation(text[i])) leaked = true;
      if (i >= 2 && text[i] == text[i - 1] && text[i] == text[i - 2] && is_han(text[i]))
        tripled = true;
      if (is_han(text[i])) {
        ++characters;
        reused += !seen.insert(text[i]).second;
      }
      if (i >= 1 && is_han(text[i]) && is_han(text[i - 1])) {
        bigrams.insert(std::u32string(text.substr(i - 1, 2)));
        ++bigram_count;
        doubled += text[i] == text[i - 1];
      }
      if (i >= 3 && text[i] == text[i - 2] && text[i - 1] == text[i - 3] && text[i] != text[i - 1] &&
          is_han(text[i]) && is_han(text[i - 1]) && is_han(text[i - 2]) && is_han(text[i - 3]))
        loop = true;
    }
    looped += loop;
    triple += tripled;
    leaks += leaked;
  }

  static std::string share(std::size_t part, std::size_t whole) {
    return whole == 0 ? "–"
                      : fmt::format("{:.1f}%",
                                    100.0 * static_cast<double>(part) / static_cast<double>(whole));
  }
  void add_critic(double score) {
    critic += score;
    ++critic_poems;
  }
  std::string critic_mean() const {
    return critic_poems == 0 ? "–" : fmt::format("{:.2f}", critic / static_cast<double>(critic_poems));
  }
  std::string doubling() const { return share(doubled, bigram_count); }
  std::string distinct2() const {
    return bigram_count == 0 ? "–"
                             : fmt::format("{:.3f}", static_cast<double>(bigrams.size()) /
                                                         static_cast<double>(bigram_count));
  }
};

// The settings compared: each built-in decoder with its defaults (those of gen's default
// decoder are the ones chosen by this table), and sampling cooler, warmer and unclipped.
const std::vector<std::string> kSettings = {
    "greedy",
    "beam",
    "temperature",
    "temperature temperature=0.6",
    "temperature temperature=0.7",
    "temperature temperature=0.8",
    "temperature temperature=0.9",
    "temperature temperature=1 top-p=1",
    "temperature best-of=4",
    "temperature best-of=8",
};

// A decoder, its parameters' values, and whether it writes acrostics (the begin words, one a line,
// as heads).
struct MeasuredSetting {
  std::shared_ptr<const Decoder> decoder;
  std::vector<double> params;
  bool acrostic = false;
  int best_of = 1;  // "best-of=K": K candidates in one batch, the critic's choice kept
};

// "temperature temperature=0.7 top-p=0.95", or "acrostic temperature" for acrostics: the decoder,
// and its parameters' values with those given set as `set` would set them.
MeasuredSetting parse_setting(const std::string& setting, const DecoderSet& decoders) {
  std::istringstream words(setting);
  std::string name, assignment;
  words >> name;
  const bool acrostic = name == "acrostic";
  if (acrostic) words >> name;
  const auto decoder = repl::find_decoder(decoders, name);
  repl::Settings values;
  values.best_of = 1;  // a setting's own decoder alone, unless it says best-of=K
  while (words >> assignment) {
    const auto equals = assignment.find('=');
    if (equals == std::string::npos)
      throw std::runtime_error(fmt::format("'{}' is not PARAM=VALUE", assignment));
    const std::string key = assignment.substr(0, equals);
    repl::set_setting(values, key == "best-of" ? key : name + "." + key,
                      assignment.substr(equals + 1), decoders);
  }
  return {decoder, values.values(*decoder), acrostic, values.best_of};
}

constexpr Form kForms[] = {Form::wujue, Form::qijue, Form::wulv, Form::qilv};

// A poem as gen writes it under a setting with `seed`: with best-of, its candidates in one batch
// and the critic's choice. `critic` (null: none) also scores it, into `stats`.
WrittenPoem write_measured(Engine& engine, const MeasuredSetting& setting, const PoemRequest& request,
                           std::uint64_t seed, const Critic* critic, TextStats& stats) {
  std::vector<std::unique_ptr<Generation>> generations;
  std::vector<Generation*> pointers;
  for (int j = 0; j < candidate_count(*setting.decoder, setting.best_of); ++j) {
    generations.push_back(engine.begin_generation(repl::candidate_seed(seed, j)));
    pointers.push_back(generations.back().get());
  }
  std::vector<WrittenPoem> candidates = write_poems(
      pointers, *setting.decoder, std::vector<PoemRequest>(pointers.size(), request));
  std::size_t chosen = 0;
  if (critic != nullptr) {
    const CriticChoice choice = choose_by_critic(*critic, candidates);
    chosen = choice.index;
    stats.add_critic(choice.score);
  } else if (setting.best_of > 1) {
    throw std::runtime_error("best-of needs a critic (--critic)");
  }
  return std::move(candidates[chosen]);
}

// A metre table's four shares: rhymes in one group, a rhyme repeated, tone checks passed, every
// rule kept.
std::string metre_cells(const MetreTally& t) {
  const auto share = [](long part, long whole) {
    return TextStats::share(static_cast<std::size_t>(part), static_cast<std::size_t>(whole));
  };
  return fmt::format("{} | {} | {} | {}", share(t.rhyming, t.regulated), share(t.repeating, t.regulated),
                     share(t.key_passed, t.key_checks), share(t.passing, t.regulated));
}

// What the metre table shows of one decoder with or without the rule.
struct MetreStats {
  MetreTally tally;
  TextStats text;
  double log_prob = 0, lu_seconds = 0;
  std::size_t tokens = 0, relaxed = 0, lu_poems = 0;
};

// Table 3: rhyme and tones, with and without the metre rule. Each poem is written both ways in
// turn, so the two times share the machine's moods.
void metre_report(Engine& engine, const DecoderSet& decoders, const std::vector<std::string>& settings,
                  const std::filesystem::path& corpus, std::u32string_view begin_words, int seeds,
                  const Critic* critic) {
  const MetreLexicon lexicon =
      MetreLexicon::read(std::filesystem::path(POET_CORPORA_DIR) / "metre.tsv");
  const repl::Settings defaults;
  const MetreRule rule = defaults.metre.rule(lexicon);
  fmt::print(
      "| decoder | metre rule | poems | rhyme in one group | a rhyme repeated | tone checks passed "
      "| keep every rule | distinct-2 | perplexity of its poems | gave way | ms per 五律 |"
      " 五律 time with the rule |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<std::string> samples;
  std::size_t poems_per_setting = 0;
  for (const std::string& setting : settings) {
    const MeasuredSetting measured = parse_setting(setting, decoders);
    MetreStats stats[2];  // with the rule, without
    std::size_t index = 0;
    for (std::size_t word = 0; word < begin_words.size(); ++word) {
      for (int seed = 1; seed <= seeds; ++seed, ++index) {
        const Form form = kForms[index % 4];
        PoemRequest request;
        request.form = FormRule::exact(form);
        request.params = measured.params;
        if (measured.acrostic) {  // heads: the begin words from this one on, one per line
          for (int line = 0; line < form_shape(form).lines; ++line)
            request.heads += begin_words[(word + static_cast<std::size_t>(line)) % begin_words.size()];
        } else {
          request.start = std::u32string(1, begin_words[word]);
        }
        for (const bool with_rule : {true, false}) {
          MetreStats& s = stats[with_rule ? 0 : 1];
          request.metre = with_rule ? rule : MetreRule{};
          const auto start = Clock::now();
          const WrittenPoem poem = write_measured(engine, measured, request,
                                                  static_cast<std::uint64_t>(seed), critic, s.text);
          const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
          if (form == Form::wulv) s.lu_seconds += seconds, ++s.lu_poems;
          const std::u32string text = decode_utf8(poem.text);
          s.text.add(text);
          s.tally.add(check_poem(text, lexicon, RhymeBook::pingshui));
          s.relaxed += poem.notes.empty() ? 0 : 1;
          s.log_prob += poem.log_prob;
          s.tokens += text.size() - request.start.size() - request.heads.size() + 1;
          if (with_rule && setting == defaults.decoder && samples.size() < 10 &&
              seed == 1 + static_cast<int>(word) % seeds)
            samples.push_back(poem.text);
        }
      }
    }
    poems_per_setting = index;
    const auto lu_ms = [](const MetreStats& s) {
      return s.lu_poems == 0 ? 0.0 : 1e3 * s.lu_seconds / static_cast<double>(s.lu_poems);
    };
    for (const bool with_rule : {true, false}) {
      const MetreStats& s = stats[with_rule ? 0 : 1];
      const MetreTally& t = s.tally;
      fmt::print("| {} | {} | {} | {} | {} | {:.1f} | {} | {:.1f} | {} |\n", setting,
                 with_rule ? "yes" : "no", t.poems, metre_cells(t), s.text.distinct2(),
                 std::exp(-s.log_prob / static_cast<double>(s.tokens)),
                 TextStats::share(s.relaxed, s.text.poems), lu_ms(s),
                 with_rule ? fmt::format("{:.2f}x", lu_ms(stats[0]) / lu_ms(stats[1])) : "");
    }
  }
  // The real regulated poems of the test split; distinct-2 over as many poems as each setting
  // wrote, since it falls as a sample grows.
  MetreTally real;
  TextStats real_stats, real_sample;
  read_corpus(corpus, [&](Poem&& poem) {
    if (poem.split != Split::test || std::find(std::begin(kForms), std::end(kForms), poem.form) == std::end(kForms))
      return;
    const std::u32string text = decode_utf8(poem.text);
    real.add(check_poem(text, lexicon, RhymeBook::pingshui));
    real_stats.add(text);
    if (real_sample.poems < poems_per_setting) real_sample.add(text);
  });
  fmt::print("| the real test poems (五绝 七绝 五律 七律) | | {} | {} | {} (first {}: {}) | | | | |\n",
             real.poems, metre_cells(real), real_stats.distinct2(), real_sample.poems,
             real_sample.distinct2());
  fmt::print("\nTen poems by gen's default, {}, with the metre rule, unedited:\n\n", defaults.decoder);
  for (const auto& poem : samples) fmt::print("    {}\n", poem);
}

int usage() {
  fmt::print(stderr,
             "usage: poet_bench_quality [--model CKPT] [--critic CKPT|none] [--seeds N] [--setting SETTING]... "
             "[--metre] [--quick]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path model = std::filesystem::path(POET_CORPORA_DIR) / "tang.ckpt";
  std::filesystem::path critic_file = std::filesystem::path(POET_CORPORA_DIR) / "critic.ckpt";
  int seeds = 10;
  std::vector<std::string> settings;
  bool quick = false, metre = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
      model = argv[++i];
    } else if (std::strcmp(argv[i], "--critic") == 0 && i + 1 < argc) {
      critic_file = argv[++i];
    } else if (std::strcmp(argv[i], "--setting") == 0 && i + 1 < argc) {
      settings.emplace_back(argv[++i]);
    } else if (std::strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
      seeds = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--metre") == 0) {
      metre = true;
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      return usage();
    }
  }
  const std::u32string_view begin_words = quick ? kBeginWords.substr(0, 2) : kBeginWords;
  if (quick) seeds = 1;
  const std::filesystem::path corpus =
      std::filesystem::path(POET_CORPORA_DIR) / (quick ? "fixture.tsv" : "tang.tsv");

  try {
    Engine engine(DeviceChoice::cpu);
    const ModelInfo info = engine.load(model);
    fmt::print("model: {} ({}), {} steps trained\n", model.string(), describe(info.config),
               info.steps_trained);
    // The critic scores every poem where there is one ("none": no critic column).
    std::unique_ptr<Critic> critic;
    if (critic_file != "none") critic = Critic::load(critic_file);
    fmt::print("critic: {}\n\n", critic ? critic_file.string() : "none");

    if (metre) {
      if (settings.empty()) settings = {"greedy", "temperature", "beam", "acrostic temperature"};
      metre_report(engine, DecoderSet({POET_BUILT_IN_DECODERS}), settings, corpus, begin_words, seeds,
                   critic.get());
      return 0;
    }

    if (settings.empty()) settings = kSettings;

    // 1. Perplexity (a metre model's conditioned one beside it), and the reference figures of
    // the real test poems, whose perplexity is measured as the model reads its own poems.
    const bool metre = info.config.metre_inputs;
    fmt::print(
        "| split | poems | characters | outside the vocabulary | perplexity "
        "{}|\n|---|---|---|---|---|{}\n",
        metre ? "| conditioned on the metre " : "", metre ? "---|" : "");
    double test_perplexity = 0;
    for (const Split split : {Split::test, Split::valid}) {
      const Evaluation e = engine.evaluate(corpus, split);
      if (split == Split::test) test_perplexity = e.metre_perplexity.value_or(e.perplexity);
      fmt::print("| {} | {} | {} | {} | {:.2f} |{}\n", split_name(split), e.poems, e.characters,
                 e.unknown, e.perplexity,
                 e.metre_perplexity ? fmt::format(" {:.2f} |", *e.metre_perplexity) : "");
    }
    TextStats reference;
    read_corpus(corpus, [&](Poem&& poem) {
      if (poem.split != Split::test) return;
      const std::u32string text = decode_utf8(poem.text);
      reference.add(text);
      if (critic) reference.add_critic(critic->score(text));
    });

    // 2. The decoders.
    const DecoderSet decoders({POET_BUILT_IN_DECODERS});
    const std::string gen_default = repl::Settings{}.decoder;
    // gen's metre rule, as gen writes.
    const MetreLexicon lexicon =
        MetreLexicon::read(std::filesystem::path(POET_CORPORA_DIR) / "metre.tsv");
    const MetreRule gen_metre = repl::Settings{}.metre.rule(lexicon);
    std::vector<std::string> samples;
    fmt::print(
        "\n| decoder | --form | poems | exact regulated form | repeated line | a character 3× in a "
        "row | doubled (AA) of character pairs | ABAB loop | critic | characters used again | "
        "distinct-2 | perplexity of its poems | leaks | chars/s | "
        "ms/poem |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const std::string& setting : settings) {
      const MeasuredSetting measured = parse_setting(setting, decoders);
      if (measured.acrostic) throw std::runtime_error("acrostics are measured with --metre");
      for (const bool with_form : {true, false}) {
        TextStats stats;
        double seconds = 0, log_prob = 0;
        std::size_t tokens = 0, index = 0;
        for (const char32_t begin : begin_words) {
          for (int seed = 1; seed <= seeds; ++seed, ++index) {
            PoemRequest request;
            request.start = std::u32string(1, begin);
            request.form = with_form ? FormRule::exact(kForms[index % 4]) : FormRule::automatic();
            request.metre = gen_metre;
            request.params = measured.params;
            const auto start = Clock::now();
            const WrittenPoem poem = write_measured(engine, measured, request,
                                                   static_cast<std::uint64_t>(seed), critic.get(), stats);
            seconds += std::chrono::duration<double>(Clock::now() - start).count();
            const std::u32string text = decode_utf8(poem.text);
            stats.add(text);
            log_prob += poem.log_prob;
            tokens +=
                text.size() - request.start.size() + 1;  // what the decoder chose, and the end
            // One seed per begin word, a different one each time, for samples that differ.
            const bool sample_seed =
                seed == 1 + static_cast<int>(index / static_cast<std::size_t>(seeds)) % seeds;
            if (!with_form && sample_seed && samples.size() < 10 && setting == gen_default) {
              samples.push_back(poem.text);
            }
          }
        }
        fmt::print("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1f} | {} | {:.0f} | {:.1f} |\n",
                   setting, with_form ? "yes" : "no", stats.poems,
                   TextStats::share(stats.regulated, stats.poems),
                   TextStats::share(stats.repeated_line, stats.poems),
                   TextStats::share(stats.triple, stats.poems), stats.doubling(),
                   TextStats::share(stats.looped, stats.poems), stats.critic_mean(),
                   TextStats::share(stats.reused, stats.characters), stats.distinct2(),
                   std::exp(-log_prob / static_cast<double>(tokens)), stats.leaks,
                   static_cast<double>(stats.characters) / seconds,
                   1e3 * seconds / static_cast<double>(stats.poems));
      }
    }
    fmt::print("| the real test poems | | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1f} | {} | | |\n",
               reference.poems, TextStats::share(reference.regulated, reference.poems),
               TextStats::share(reference.repeated_line, reference.poems),
               TextStats::share(reference.triple, reference.poems), reference.doubling(),
               TextStats::share(reference.looped, reference.poems), reference.critic_mean(),
               TextStats::share(reference.reused, reference.characters), reference.distinct2(),
               test_perplexity, reference.leaks);

    fmt::print(
        "\nTen poems by gen's default, {}, without --form, the first ten begin words, "
        "unedited:\n\n",
        gen_default);
    for (const auto& poem : samples) fmt::print("    {}\n", poem);
  } catch (const std::exception& error) {
    fmt::print(stderr, "poet_bench_quality: {}\n", error.what());
    return 1;
  }
  return 0;
}
