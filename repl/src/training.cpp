#include "training.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cmath>

#include "bundled.h"
#include "chart.h"
#include "interrupt.h"
#include "poet/engine/config.h"
#include "poet/engine/limits.h"
#include "poet/engine/trainer.h"
#include "shell.h"
#include "words.h"

namespace poet::repl {
namespace {

namespace fs = std::filesystem;

template <typename T>
T positive_integer(const std::string& text, std::string_view option) {
  const auto value = whole_number<T>(text);
  if (!value || *value < 1) {
    throw CommandError(fmt::format("{} must be a positive whole number, not '{}'", option, text));
  }
  return *value;
}

std::string duration(double seconds) {
  const auto s = static_cast<long>(std::lround(seconds));
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60)
                   : fmt::format("{}m{:02}s", s / 60, s % 60);
}

constexpr std::string_view kTrainOptions[] = {"--corpus", "--resume",     "--from",  "--steps",
                                              "--epochs", "--config",     "--out",   "--workers",
                                              "--rank",   "--world-size", "--store", "--timeout"};
// The options of a run on several processes; a worker other than rank 0 takes no other.
constexpr std::string_view kWorkerOptions[] = {"--workers", "--rank", "--world-size", "--store",
                                               "--timeout"};

template <typename T>
T whole_at_least(const std::string& text, std::string_view option, T least) {
  const auto value = whole_number<T>(text);
  if (!value || *value < least) {
    throw CommandError(fmt::format("{} must be a whole number from {}, not '{}'", option, least, text));
  }
  return *value;
}

// --workers, --rank, --world-size, --store, --timeout. This machine's workers are poet itself,
// started in its worker mode (`poet --train-worker`), wherever poet was started from.
Workers parse_workers(const ParsedArgs& parsed) {
  Workers workers;
  if (const auto* count = parsed.option("--workers"))
    workers.count = positive_integer<int>(*count, "--workers");
  if (const auto* rank = parsed.option("--rank")) workers.rank = whole_at_least<int>(*rank, "--rank", 0);
  if (const auto* size = parsed.option("--world-size"))
    workers.world_size = positive_integer<int>(*size, "--world-size");
  if (const auto* store = parsed.option("--store")) workers.store = *store;
  if (const auto* timeout = parsed.option("--timeout"))
    workers.timeout_seconds = positive_integer<int>(*timeout, "--timeout");
  std::error_code error;
  const auto self = fs::read_symlink("/proc/self/exe", error);
  workers.command = {error ? std::string("poet") : self.string(), "--train-worker"};
  try {
    validate(workers);
  } catch (const std::invalid_argument& invalid) {
    throw CommandError(invalid.what());
  }
  return workers;
}

}  // namespace

std::optional<std::vector<std::string>> complete_training(Shell&,
                                                          const std::vector<std::string>& before) {
  const std::string& last = before.back();
  if (last == "--corpus" || last == "--resume" || last == "--from" || last == "--config" ||
      last == "--out" || last == "--store")
    return std::nullopt;
  return std::vector<std::string>(std::begin(kTrainOptions), std::end(kTrainOptions));
}

namespace {

TrainRequest parse_request(const std::vector<std::string>& args,
                           const std::optional<std::filesystem::path>& config_file) {
  const ParsedArgs parsed = parse_options(
      args, std::vector<std::string_view>(std::begin(kTrainOptions), std::end(kTrainOptions)));
  if (!parsed.positional.empty()) throw CommandError(fmt::format("usage: {}", kTrainUsage));

  TrainRequest request;
  request.workers = parse_workers(parsed);
  if (request.workers.rank != 0) {
    // A worker on another machine takes the whole run from rank 0.
    for (const auto& [option, value] : parsed.options) {
      if (std::find(std::begin(kWorkerOptions), std::end(kWorkerOptions), option) == std::end(kWorkerOptions))
        throw CommandError(fmt::format("{} is for rank 0's train: worker {} takes the run from rank 0", option,
                                       request.workers.rank));
    }
    return request;
  }
  Config config;
  if (const auto* file = parsed.option("--config")) {
    config = load_config(*file);
  } else if (config_file) {
    config = load_config(*config_file);
  }
  request.model = config.model;
  request.train = config.train;
  if (const auto* corpus = parsed.option("--corpus")) request.corpus = *corpus;
  request.default_corpus = bundled_corpus();
  request.metre_lexicon = bundled_metre();
  if (const auto* resume = parsed.option("--resume")) request.resume = *resume;
  if (const auto* from = parsed.option("--from")) request.start_from = *from;
  request.out = parsed.option("--out") ? fs::path(*parsed.option("--out"))
                : request.resume       ? *request.resume
                                       : fs::path("model.ckpt");
  if (const auto* steps = parsed.option("--steps"))
    request.steps = positive_integer<std::int64_t>(*steps, "--steps");
  if (const auto* epochs = parsed.option("--epochs"))
    request.epochs = positive_integer<int>(*epochs, "--epochs");
  return request;
}

std::string progress_line(const TrainProgress& p) {
  return fmt::format("step {}/{}  epoch {:.2f}  loss {:.3f}  {:.0f} chars/s  {} left", p.step,
                     p.total_steps, p.epoch, p.loss, p.tokens_per_second, duration(p.seconds_left));
}

std::string history_line(const HistoryEntry& e, const TrainProgress& latest) {
  std::string line = fmt::format("step {}/{}  epoch {:.2f}", e.step, latest.total_steps, e.epoch);
  if (e.train_loss) line += fmt::format("  loss {:.4f}", *e.train_loss);
  if (e.valid_perplexity)
    line += fmt::format("  validation perplexity {:.2f}", *e.valid_perplexity);
  return line + fmt::format("  {:.0f} chars/s  {} left", e.tokens_per_second,
                            duration(latest.seconds_left));
}

std::string summary(const TrainResult& result) {
  if (result.rank != 0) {
    return fmt::format("{} at step {} as worker {} of {}; worker 0 wrote the checkpoints",
                       result.stopped ? "stopped" : "trained", result.step, result.rank, result.world_size);
  }
  if (result.already_finished) {
    return fmt::format(
        "{} is at its last step already ({} of {}): nothing to train, nothing written; --steps or "
        "--epochs makes the run longer",
        result.latest.string(), result.step, result.total_steps);
  }
  return fmt::format(
      "{} at step {}{}; latest: {}{}", result.stopped ? "stopped" : "trained", result.step,
      result.best_valid_perplexity
          ? fmt::format(", best validation perplexity {:.2f}", *result.best_valid_perplexity)
          : "",
      result.latest.string(),
      result.best_valid_perplexity ? fmt::format(", best: {}", result.best.string()) : "");
}

// In a script: to completion before the next line, progress on standard error.
void train_in_foreground(Shell& shell, const TrainRequest& request) {
  Terminal& terminal = shell.terminal();
  TrainEvents events;
  events.note = [&](const std::string& text) { terminal.note(text); };
  TrainProgress latest;
  events.progress = [&](const TrainProgress& p) {
    latest = p;
    terminal.status(progress_line(p));
  };
  // The lines that stay: in scripts and logs the only progress there is.
  events.history = [&](const HistoryEntry& e) { terminal.note(history_line(e, latest)); };
  events.checkpoint = [&](const fs::path& path, std::int64_t step) {
    terminal.note(fmt::format("saved {} (step {})", path.string(), step));
  };
  // Ctrl-C stops training after the current step, with a checkpoint.
  const InterruptScope interrupt;
  terminal.result(summary(train(request, events, interrupted())));
}

}  // namespace

BackgroundTraining::BackgroundTraining(TrainRequest request, Shell& shell)
    : out_(request.out),
      label_(request.workers.rank != 0 ? fmt::format("as worker {} of {}", request.workers.rank,
                                                     request.workers.total())
                                       : request.out.string()),
      history_(request.resume ? read_history(*request.resume) : std::vector<HistoryEntry>{}) {
  Notices& notices = shell.notices();
  Engine& engine = shell.engine();
  const std::atomic<bool>& autoreload = shell.settings().autoreload;
  thread_ = std::thread([this, request = std::move(request), &notices, &engine, &autoreload] {
    TrainEvents events;
    events.note = [&](const std::string& text) { notices.post(text); };
    events.progress = [&](const TrainProgress& p) {
      std::lock_guard lock(mutex_);
      progress_ = p;
    };
    events.history = [&](const HistoryEntry& e) {
      std::lock_guard lock(mutex_);
      history_.push_back(e);
    };
    events.checkpoint = [&](const fs::path& path, std::int64_t step) {
      const std::string saved = fmt::format("saved {} (step {})", path.string(), step);
      if (!autoreload || path != request.out) {
        notices.post(saved);
        return;
      }
      try {
        engine.load(path);
        notices.post(saved + " and loaded it: gen writes with it now");
      } catch (const std::exception& error) {
        notices.post(fmt::format("{}, but could not load it: {}", saved, error.what()));
      }
    };
    std::string outcome;
    try {
      outcome = "training " + summary(train(request, events, stop_));
    } catch (const std::exception& error) {
      outcome = fmt::format("training failed: {}", error.what());
    }
    {
      std::lock_guard lock(mutex_);
      outcome_ = outcome;
    }
    if (!quiet_) notices.post(outcome);  // `train stop` shows it itself
  });
}

BackgroundTraining::~BackgroundTraining() { stop(); }

bool BackgroundTraining::running() const {
  std::lock_guard lock(mutex_);
  return !outcome_;
}

std::string BackgroundTraining::status() const {
  std::lock_guard lock(mutex_);
  if (outcome_) return *outcome_;
  if (!progress_) return fmt::format("training {}: starting (reading the corpus)", label_);
  std::string text = fmt::format("training {}: {}", label_, progress_line(*progress_));
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (it->valid_perplexity) {
      text += fmt::format("\n  validation perplexity {:.2f} at step {}", *it->valid_perplexity,
                          it->step);
      break;
    }
  }
  return text;
}

std::vector<HistoryEntry> BackgroundTraining::history() const {
  std::lock_guard lock(mutex_);
  return history_;
}

std::string BackgroundTraining::stop(bool announce) {
  if (!announce) quiet_ = true;
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  return outcome_.value_or("");
}

void run_training(Shell& shell, const std::vector<std::string>& args) {
  auto& running = shell.training();
  const std::string subcommand = args.empty() ? "" : args[0];
  if (subcommand == "status" || subcommand == "stop") {
    if (args.size() > 1) throw CommandError(fmt::format("usage: train {}", subcommand));
    if (!running) throw CommandError("no training has been started in this session");
    if (subcommand == "status") {
      shell.terminal().result(running->status());
    } else if (!running->running()) {
      shell.terminal().result("no training is running; the last run ended: " + running->stop());
    } else {
      shell.terminal().note("stopping after the current step...");
      shell.terminal().result(running->stop(false));
    }
    return;
  }
  TrainRequest request = parse_request(args, shell.config_file());
  request.device = shell.engine().device();
  if (!shell.terminal().interactive()) {
    train_in_foreground(shell, request);
    return;
  }
  if (running && running->running()) {
    throw CommandError(
        "a training run is going on already: 'train status' shows it, 'train stop' stops it");
  }
  running.reset();  // the finished run, if any
  running = std::make_unique<BackgroundTraining>(request, shell);
  shell.terminal().result(fmt::format(
      "training in the background, {}: 'train status' shows how it goes, 'loss' draws it, "
      "'train stop' stops it{}",
      request.workers.rank != 0 ? fmt::format("as worker {} of {}", request.workers.rank, request.workers.total())
                                : "writing " + request.out.string(),
      shell.settings().autoreload ? "; each checkpoint is loaded as it is written" : ""));
}

int train_worker(const std::vector<std::string>& args) {
  Workers workers;
  try {
    const ParsedArgs parsed = parse_options(
        args, std::vector<std::string_view>(std::begin(kWorkerOptions), std::end(kWorkerOptions)));
    if (!parsed.positional.empty()) throw CommandError("usage: poet --train-worker --rank R --world-size N --store HOST:PORT");
    workers = parse_workers(parsed);
    workers.count = 1;  // this machine's workers were all started by the first
    TrainRequest request;
    request.workers = workers;
    const std::atomic<bool> never{false};
    train(request, {}, never);
    return 0;
  } catch (const std::exception& error) {
    fmt::print(stderr, "poet worker {}: {}\n", workers.rank, error.what());
    return 1;
  }
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
    last.push_back(fmt::format("validation perplexity {:.2f} at step {} (best {:.2f} at step {})",
                               *e->valid_perplexity, e->step, *best->valid_perplexity, best->step));
  }
  text += last.empty() ? "no values yet" : fmt::format("last: {}", fmt::join(last, "; "));
  return text;
}

void run_eval(Shell& shell, const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_options(args, {"--split"});
  if (parsed.positional.size() != 1)
    throw CommandError("usage: eval <file> [--split train|valid|test]");
  std::optional<Split> split;
  if (const auto* name = parsed.option("--split")) split = split_option(*name);
  const fs::path file = parsed.positional[0];
  const Evaluation result = shell.engine().evaluate(file, split);
  std::string text =
      fmt::format("{}{}: {} poems, {} characters ({} outside the vocabulary): perplexity {:.2f}",
                  file.string(), split ? fmt::format(" ({} split)", split_name(*split)) : "",
                  result.poems, result.characters, result.unknown, result.perplexity);
  if (result.metre_perplexity) {
    text += fmt::format(
        " with its metre inputs blank; {:.2f} conditioned on the metre the patterns ask",
        *result.metre_perplexity);
  }
  if (result.skipped_lines > 0)
    text += fmt::format("; {} lines that do not parse skipped", result.skipped_lines);
  if (result.too_long > 0)
    text +=
        fmt::format("; {} poems longer than {} characters left out", result.too_long, kLongestPoem);
  shell.terminal().result(text);
}

void run_export(Shell& shell, const std::vector<std::string>& args) {
  const fs::path from = args[0], to = args[1];
  write_inference_checkpoint(from, to);
  const auto megabytes = [](const fs::path& file) {
    return static_cast<double>(fs::file_size(file)) / 1e6;
  };
  shell.terminal().result(
      fmt::format("wrote {} ({:.1f} MB, for generation only) from {} ({:.1f} MB)", to.string(),
                  megabytes(to), from.string(), megabytes(from)));
}

void run_loss(Shell& shell, const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_options(args, {"--csv"});
  if (!parsed.positional.empty()) throw CommandError("usage: loss [--csv FILE]");
  // The run training now, or else the model loaded.
  std::vector<HistoryEntry> history;
  fs::path file;
  if (const auto& run = shell.training(); run && run->running()) {
    history = run->history();
    file = run->out();
  } else if (const auto model = shell.engine().model_info()) {
    history = model->history;  // the loaded model's, whatever has replaced its file since
    file = model->file;
  } else {
    throw CommandError("no model is loaded: 'load' a checkpoint to see how it was trained");
  }
  if (history.empty()) {
    shell.terminal().result(fmt::format("{} has no loss history yet", file.string()));
    return;
  }
  if (const auto* csv = parsed.option("--csv")) {
    write_history_csv(*csv, history, {file});
    shell.terminal().result(fmt::format("wrote {} rows of {}'s history to {}", history.size(),
                                        file.filename().string(), *csv));
    return;
  }
  shell.terminal().result(fmt::format("{}, {} steps\n{}", file.string(), history.back().step,
                                      describe_history(history, terminal_width())));
}

}  // namespace poet::repl
