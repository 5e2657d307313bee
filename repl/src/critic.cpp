#include "critic.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "bundled.h"
#include "interrupt.h"
#include "poet/engine/error.h"
#include "poet/engine/files/corpus.h"
#include "poet/engine/text/text.h"
#include "poet/engine/training/critic_training.h"
#include "poet/engine/writing/writing.h"
#include "shell.h"
#include "words.h"

namespace poet::repl {
namespace {

namespace fs = std::filesystem;

// The characters `critic` names: those whose masking raises the score most, a few at most.
constexpr std::size_t kBlamesShown = 3;

// What poems the critic learns from: these forms, which gen writes and readers judge.
constexpr Form kCriticForms[] = {Form::wujue, Form::qijue, Form::wulv, Form::qilv};

void run_critic(Shell& shell, const Args& args) {
  std::string poem;
  for (const auto& word : args.positional) poem += word;  // a line of verse per word, as check
  std::u32string text = decode_utf8(poem);
  normalise_punctuation(text);
  if (const auto problem = verse_problem(text)) throw Error::input(*problem);
  shell.terminal().reply(critic_reply(shell.critic(), text));
}

// The real poems of a corpus's split in the critic's forms, in the corpus's order.
std::vector<Poem> real_poems(const fs::path& corpus, Split split) {
  std::vector<Poem> poems;
  read_corpus(corpus, [&](Poem&& poem) {
    if (poem.split == split &&
        std::find(std::begin(kCriticForms), std::end(kCriticForms), poem.form) !=
            std::end(kCriticForms))
      poems.push_back(std::move(poem));
  });
  return poems;
}

// `count` of them (all when fewer), drawn with `random`.
std::vector<std::u32string> sample(std::vector<Poem> poems, std::size_t count,
                                   std::mt19937_64& random, std::vector<Form>& forms,
                                   std::vector<char32_t>& firsts) {
  std::shuffle(poems.begin(), poems.end(), random);
  poems.resize(std::min(count, poems.size()));
  std::vector<std::u32string> texts;
  for (const auto& poem : poems) {
    texts.push_back(decode_utf8(poem.text));
    forms.push_back(poem.form);
    firsts.push_back(texts.back().front());
  }
  return texts;
}

// Poems the loaded model writes with gen's defaults, one for each real poem: beginning with its
// first character and in its form, so that only how they read tells the two apart.
std::vector<std::u32string> written_poems(Shell& shell, const std::vector<Form>& forms,
                                          const std::vector<char32_t>& firsts, std::uint64_t seed,
                                          const std::string& what) {
  const Settings defaults;
  const auto decoder = find_decoder(shell.decoders(), defaults.decoder);
  const MetreRule metre = defaults.metre.rule(shell.metre_lexicon());
  constexpr std::size_t kBatch = 32;
  std::vector<std::u32string> poems;
  for (std::size_t first = 0; first < forms.size(); first += kBatch) {
    const std::size_t last = std::min(forms.size(), first + kBatch);
    std::vector<std::unique_ptr<Generation>> owned;
    std::vector<Generation*> generations;
    std::vector<PoemRequest> requests;
    for (std::size_t i = first; i < last; ++i) {
      owned.push_back(shell.engine().begin_generation(seed + i));
      generations.push_back(owned.back().get());
      PoemRequest request;
      request.form = FormRule::exact(forms[i]);
      request.metre = metre;
      request.cancel = &interrupted();
      try {
        generations.back()->tokens(std::u32string(1, firsts[i]));
        request.start = std::u32string(1, firsts[i]);
      } catch (const Error&) {  // a first character the model lacks: let it begin
      }
      requests.push_back(std::move(request));
    }
    for (const auto& poem : write_poems(generations, *decoder, requests))
      poems.push_back(decode_utf8(poem.text));
    if (last % 1024 < kBatch || last == forms.size())
      shell.terminal().note(fmt::format("{}: wrote {} of {} poems", what, last, forms.size()));
  }
  return poems;
}

}  // namespace

Reply critic_reply(const Critic& critic, const std::u32string& poem) {
  auto [score, blames] = critic.read(poem);
  blames.resize(std::min(blames.size(), kBlamesShown));
  nlohmann::json least = nlohmann::json::array();
  std::string named;
  for (const auto& blame : blames) {
    least.push_back({{"character", encode_utf8(blame.character)},
                     {"index", blame.index},
                     {"rise", blame.rise}});
    named += fmt::format("{}{} (+{:.2f})", named.empty() ? "" : ", ", encode_utf8(blame.character),
                         blame.rise);
  }
  return {{{"critic", score}, {"least_real", least}},
          fmt::format("critic {:.2f}: {}{}", score,
                      score >= 0.5 ? "reads as real" : "reads as a machine's",
                      named.empty() ? "" : "; least real: " + named)};
}

void train_critic_command(Shell& shell, const Args& args) {
  for (const auto& [option, value] : args.options) {
    if (option != "--critic" && option != "--corpus" && option != "--epochs" && option != "--poems")
      throw Error::input(fmt::format("train --critic takes --corpus, --epochs and --poems, not {}",
                                     option));
  }
  const auto info = shell.engine().model_info();
  if (!info) throw Error::model("no model is loaded: the critic learns from its poems");
  CriticTraining training;
  training.out = *args.option("--critic");
  const fs::path corpus = args.option("--corpus") ? fs::path(*args.option("--corpus")) : bundled_corpus();
  std::size_t count = 16000;
  if (const auto* poems = args.option("--poems")) count = whole_at_least<std::size_t>(*poems, "--poems", 8);
  if (const auto* epochs = args.option("--epochs"))
    training.epochs = whole_at_least<int>(*epochs, "--epochs", 1);
  const InterruptScope interrupt;
  std::mt19937_64 random(training.seed);
  // Held-out sets an eighth of the training set's size, so that most of the time goes to it.
  const std::pair<CriticExamples*, std::pair<Split, std::size_t>> sets[] = {
      {&training.train, {Split::train, count}},
      {&training.valid, {Split::valid, std::max<std::size_t>(count / 8, 4)}},
      {&training.test, {Split::test, std::max<std::size_t>(count / 8, 4)}}};
  std::uint64_t seed = 1;
  for (const auto& [set, which] : sets) {
    std::vector<Form> forms;
    std::vector<char32_t> firsts;
    set->real = sample(real_poems(corpus, which.first), which.second, random, forms, firsts);
    set->generated =
        written_poems(shell, forms, firsts, seed, std::string(split_name(which.first)));
    seed += forms.size();
  }
  read_corpus(corpus, [&](Poem&& poem) {
    if (poem.split == Split::train) training.corpus.push_back(decode_utf8(poem.text));
  });
  training.generator = info->file;
  training.cancel = &interrupted();
  training.on_epoch = [&](const CriticEpoch& epoch) {
    shell.terminal().note(fmt::format("epoch {}/{}: loss {:.4f}, valid AUC {:.4f}", epoch.epoch,
                                      epoch.epochs, epoch.train_loss, epoch.valid_auc));
  };
  const CriticResult result = train_critic(training);
  shell.use_critic(Critic::load(training.out));
  shell.terminal().reply(
      {{{"critic", training.out.string()},
        {"parameters", result.parameters},
        {"best_epoch", result.best_epoch},
        {"valid_auc", result.valid_auc},
        {"test_auc", result.test_auc},
        {"train_poems", training.train.real.size() + training.train.generated.size()}},
       fmt::format("wrote {} ({} parameters, epoch {}): AUC {:.4f} on {} held-out test poems, "
                   "real against written",
                   training.out.string(), result.parameters, result.best_epoch, result.test_auc,
                   training.test.real.size() + training.test.generated.size())});
}

Command critic_command() {
  Command critic{"critic",
                 "<poem>",
                 1,
                 40,
                 "how real a poem reads to the critic (0 to 1) and its least real characters",
                 "The critic is a small classifier trained on the corpus's poems beside the "
                 "model's (train\n"
                 "  --critic); gen --best-of keeps the candidate it rates highest. Each character "
                 "named rose\n"
                 "  the score by as much when masked. The poem may be given in several words, a "
                 "line a word."};
  critic.run = run_critic;
  return critic;
}

}  // namespace poet::repl
