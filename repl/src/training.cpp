#include "training.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cmath>

#include "poet/engine/config.h"
#include "poet/engine/trainer.h"
#include "shell.h"
#include "words.h"

namespace poet::repl {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> stop_requested{false};

// Ctrl-C while training stops it at the end of the current step, with a checkpoint.
class StopOnInterrupt {
 public:
  StopOnInterrupt() {
    stop_requested = false;
    struct sigaction action {};
    action.sa_handler = [](int) { stop_requested = true; };
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~StopOnInterrupt() { sigaction(SIGINT, &previous_, nullptr); }
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;

 private:
  struct sigaction previous_ {};
};

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

}  // namespace

void run_training(Shell& shell, const std::vector<std::string>& args) {
  const ParsedArgs parsed =
      parse_options(args, {"--corpus", "--resume", "--steps", "--epochs", "--config", "--out"});
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

  StopOnInterrupt interrupt;
  const TrainResult result = train(request, events, stop_requested);
  terminal.result(fmt::format(
      "{} at step {}{}; latest: {}{}", result.stopped ? "stopped" : "trained", result.step,
      result.best_valid_perplexity ? fmt::format(", best validation perplexity {:.2f}", *result.best_valid_perplexity) : "",
      result.latest.string(), result.best_valid_perplexity ? fmt::format(", best: {}", result.best.string()) : ""));
}

}  // namespace poet::repl
