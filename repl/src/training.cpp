#include "training.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cmath>

#include "poet/engine/config.h"
#include "chart.h"
#include "interrupt.h"
#include "poet/engine/trainer.h"
#include "shell.h"
#include "words.h"

namespace poet::repl {
namespace {

namespace fs = std::filesystem;

// The bundled Tang corpus: installed beside poet, or in the source tree it was built from.
fs::path default_corpus() {
  std::error_code error;
  const fs::path installed = fs::read_symlink("/proc/self/exe", error).parent_path() / "../share/poet/corpora/tang.tsv";
  if (!error && fs::exists(installed)) return installed.lexically_normal();
  return fs::path(POET_CORPORA_DIR) / "tang.tsv";
}

std::int64_t positive_integer(const std::string& text, std::string_view option) {
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < 1) {
    throw CommandError(fmt::format("{} must be a positive whole number, not '{}'", option, text));
  }
  return value;
}

std::string duration(double seconds) {
  const auto s = static_cast<long>(std::lround(seconds));
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60) : fmt::format("{}m{:02}s", s / 60, s % 60);
}

constexpr std::string_view kTrainOptions[] = {"--corpus", "--resume", "--steps", "--epochs", "--config", "--out"};

}  // namespace

std::optional<std::vector<std::string>> complete_training(Shell&, const std::vector<std::string>& before) {
  const std::string& last = before.back();
  if (last == "--corpus" || last == "--resume" || last == "--config" || last == "--out") return std::nullopt;
  return std::vector<std::string>(std::begin(kTrainOptions), std::end(kTrainOptions));
}

void run_training(Shell& shell, const std::vector<std::string>& args) {
  const ParsedArgs parsed =
      parse_options(args, std::vector<std::string_view>(std::begin(kTrainOptions), std::end(kTrainOptions)));
  if (!parsed.positional.empty()) throw CommandError(fmt::format("usage: {}", kTrainUsage));

  Config config;
  if (const auto* file = parsed.option("--config")) {
    config = load_config(*file);
  } else if (fs::exists("poet.toml")) {
    config = load_config("poet.toml");
  }
  TrainRequest request;
  request.model = config.model;
  request.train = config.train;
  request.corpus = parsed.option("--corpus") ? fs::path(*parsed.option("--corpus")) : default_corpus();
  if (const auto* resume = parsed.option("--resume")) request.resume = *resume;
  request.out = parsed.option("--out") ? fs::path(*parsed.option("--out"))
                : request.resume         ? *request.resume
                                         : fs::path("model.ckpt");
  if (const auto* steps = parsed.option("--steps")) request.steps = positive_integer(*steps, "--steps");
  if (const auto* epochs = parsed.option("--epochs")) request.epochs = static_cast<int>(positive_integer(*epochs, "--epochs"));

  Terminal& terminal = shell.terminal();
  TrainEvents events;
  events.note = [&](const std::string& text) { terminal.note(text); };
  TrainProgress latest;
  events.progress = [&](const TrainProgress& p) {
    latest = p;
    terminal.status(fmt::format("step {}/{}  epoch {:.2f}  loss {:.3f}  {:.0f} chars/s  {} left", p.step,
                                p.total_steps, p.epoch, p.loss, p.tokens_per_second, duration(p.seconds_left)));
  };
  // The lines that stay: in scripts and logs the only progress there is.
  events.history = [&](const HistoryEntry& e) {
    std::string line = fmt::format("step {}/{}  epoch {:.2f}", e.step, latest.total_steps, e.epoch);
    if (e.train_loss) line += fmt::format("  loss {:.4f}", *e.train_loss);
    if (e.valid_perplexity) line += fmt::format("  validation perplexity {:.2f}", *e.valid_perplexity);
    terminal.note(line + fmt::format("  {:.0f} chars/s  {} left", e.tokens_per_second, duration(latest.seconds_left)));
  };
  events.checkpoint = [&](const fs::path& path, std::int64_t step) {
    terminal.note(fmt::format("saved {} (step {})", path.string(), step));
  };

  // Ctrl-C stops training after the current step, with a checkpoint.
  const InterruptScope interrupt;
  const TrainResult result = train(request, events, interrupted());
  terminal.result(fmt::format(
      "{} at step {}{}; latest: {}{}", result.stopped ? "stopped" : "trained", result.step,
      result.best_valid_perplexity ? fmt::format(", best validation perplexity {:.2f}", *result.best_valid_perplexity) : "",
      result.latest.string(), result.best_valid_perplexity ? fmt::format(", best: {}", result.best.string()) : ""));
}

}  // namespace poet::repl

namespace poet::repl {

std::string describe_history(const std::vector<HistoryEntry>& history, int width) {
  std::vector<std::pair<double, double>> losses, perplexities;
  const HistoryEntry* best = nullptr;
  for (const auto& entry : history) {
    const auto step = static_cast<double>(entry.step);
    if (entry.train_loss) losses.emplace_back(step, *entry.train_loss);
    if (entry.valid_perplexity) {
      perplexities.emplace_back(step, *entry.valid_perplexity);
      if (best == nullptr || *entry.valid_perplexity < *best->valid_perplexity) best = &entry;
    }
  }
  std::string text = line_chart(losses, {"training loss (per character)", "step", false}, width, 8);
  text += line_chart(perplexities, {"validation perplexity", "step", true}, width, 8);
  const auto last_of = [&](auto field) -> const HistoryEntry* {
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      if ((*it).*field) return &*it;
    }
    return nullptr;
  };
  std::vector<std::string> last;
  if (const auto* e = last_of(&HistoryEntry::train_loss)) {
    last.push_back(fmt::format("loss {:.4f} at step {}", *e->train_loss, e->step));
  }
  if (const auto* e = last_of(&HistoryEntry::valid_perplexity)) {
    last.push_back(fmt::format("validation perplexity {:.2f} at step {} (best {:.2f} at step {})", *e->valid_perplexity,
                               e->step, *best->valid_perplexity, best->step));
  }
  text += last.empty() ? "no values yet" : fmt::format("last: {}", fmt::join(last, "; "));
  return text;
}

void run_loss(Shell& shell, const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_options(args, {"--csv"});
  if (!parsed.positional.empty()) throw CommandError("usage: loss [--csv FILE]");
  const auto model = shell.engine().model_info();
  if (!model) throw CommandError("no model is loaded: 'load' a checkpoint to see how it was trained");
  const auto history = read_history(model->file);
  if (history.empty()) {
    shell.terminal().result(fmt::format("{} has no loss history", model->file.string()));
    return;
  }
  if (const auto* csv = parsed.option("--csv")) {
    write_history_csv(*csv, history);
    shell.terminal().result(fmt::format("wrote {} rows of {}'s history to {}", history.size(),
                                        model->file.filename().string(), *csv));
    return;
  }
  shell.terminal().result(fmt::format("{}, {} steps\n{}", model->file.string(), history.back().step,
                                      describe_history(history, terminal_width())));
}

}  // namespace poet::repl
