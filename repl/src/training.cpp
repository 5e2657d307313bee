#include "training.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "bundled.h"
#include "chart.h"
#include "critic.h"
#include "interrupt.h"
#include "poet/engine/config/config.h"
#include "poet/engine/error.h"
#include "shell.h"
#include "words.h"

namespace poet::repl {
namespace {

namespace fs = std::filesystem;

std::string duration(double seconds) {
  const auto s = static_cast<long>(std::lround(seconds));
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60)
                   : fmt::format("{}m{:02}s", s / 60, s % 60);
}

Candidates files(Shell&, const std::vector<std::string>&) { return std::nullopt; }

// The options of a run on several processes: a worker other than rank 0 takes no other.
constexpr std::string_view kWorkerOptions[] = {"--workers", "--rank", "--world-size", "--store",
                                               "--timeout"};

Command train_command();

// --workers, --rank, --world-size, --store, --timeout. This machine's workers are poet itself,
// started in its worker mode (`poet --train-worker`), wherever poet was started from.
Workers parse_workers(const Args& args) {
  Workers workers;
  if (const auto* count = args.option("--workers"))
    workers.count = whole_at_least<int>(*count, "--workers", 1);
  if (const auto* rank = args.option("--rank"))
    workers.rank = whole_at_least<int>(*rank, "--rank", 0);
  if (const auto* size = args.option("--world-size"))
    workers.world_size = whole_at_least<int>(*size, "--world-size", 1);
  if (const auto* store = args.option("--store")) workers.store = *store;
  if (const auto* timeout = args.option("--timeout"))
    workers.timeout_seconds = whole_at_least<int>(*timeout, "--timeout", 1);
  std::error_code error;
  const auto self = fs::read_symlink("/proc/self/exe", error);
  workers.command = {error ? std::string("poet") : self.string(), "--train-worker"};
  if (const auto problem = problem_with(workers)) throw Error::input(*problem);
  return workers;
}

// A worker on another machine takes the whole run from rank 0, and only the worker options.
void refuse_all_but_worker_options(const Args& args, int rank) {
  for (const auto& [option, value] : args.options) {
    if (std::find(std::begin(kWorkerOptions), std::end(kWorkerOptions), option) ==
        std::end(kWorkerOptions))
      throw Error::input(fmt::format(
          "{} is for rank 0's train: worker {} takes the run from rank 0", option, rank));
  }
}

TrainRequest parse_request(const Args& args, const std::optional<fs::path>& config_file) {
  TrainRequest request;
  request.workers = parse_workers(args);
  if (request.workers.rank != 0) {
    refuse_all_but_worker_options(args, request.workers.rank);
    return request;
  }
  Config config;
  if (const auto* file = args.option("--config")) {
    config = load_config(*file);
  } else if (config_file) {
    config = load_config(*config_file);
  }
  request.model = config.model;
  request.train = config.train;
  if (const auto* corpus = args.option("--corpus")) request.corpus = *corpus;
  request.default_corpus = bundled_corpus();
  request.metre_lexicon = bundled_metre();
  if (const auto* resume = args.option("--resume")) request.resume = *resume;
  if (const auto* from = args.option("--from")) request.start_from = *from;
  request.out = args.option("--out") ? fs::path(*args.option("--out"))
                : request.resume     ? *request.resume
                                     : fs::path("model.ckpt");
  if (const auto* steps = args.option("--steps"))
    request.steps = whole_at_least<std::int64_t>(*steps, "--steps", 1);
  if (const auto* epochs = args.option("--epochs"))
    request.epochs = whole_at_least<int>(*epochs, "--epochs", 1);
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
    line += fmt::format("  validation perplexity {}", perplexity_text(*e.valid_perplexity));
  return line + fmt::format("  {:.0f} chars/s  {} left", e.tokens_per_second,
                            duration(latest.seconds_left));
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// How a run ended, as `train` (in a script), `train stop` and the notice at its end show it.
Reply result_reply(const TrainResult& result) {
  Reply reply{{{"step", result.step},
               {"total_steps", result.total_steps},
               {"stopped", result.stopped},
               {"already_finished", result.already_finished},
               {"best_valid_perplexity", optional_number(result.best_valid_perplexity)},
               {"latest", result.latest.string()},
               {"best", result.best.string()},
               {"rank", result.rank},
               {"world_size", result.world_size}},
              {}};
  if (result.rank != 0) {
    reply.text = fmt::format("{} at step {} as worker {} of {}; worker 0 wrote the checkpoints",
                             result.stopped ? "stopped" : "trained", result.step, result.rank,
                             result.world_size);
  } else if (result.already_finished) {
    reply.text = fmt::format(
        "{} is at its last step already ({} of {}): nothing to train, nothing written; --steps or "
        "--epochs makes "
        "the run longer",
        result.latest.string(), result.step, result.total_steps);
  } else {
    reply.text = fmt::format(
        "{} at step {}{}; latest: {}{}", result.stopped ? "stopped" : "trained", result.step,
        result.best_valid_perplexity
            ? fmt::format(", best validation perplexity {}",
                          perplexity_text(*result.best_valid_perplexity))
            : "",
        result.latest.string(),
        result.best_valid_perplexity ? fmt::format(", best: {}", result.best.string()) : "");
  }
  return reply;
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
  terminal.reply(result_reply(train(request, events, interrupted())));
}

void run_status_or_stop(Shell& shell, const Args& args) {
  const std::string& subcommand = args.positional[0];
  if (subcommand != "status" && subcommand != "stop")
    throw Error::input(fmt::format("usage: {}", usage(train_command())));
  if (!args.options.empty() || args.positional.size() > 1)
    throw Error::input(fmt::format("usage: train {}", subcommand));
  auto& running = shell.training();
  if (!running) throw Error::input("no training has been started in this session");
  if (subcommand == "status") {
    shell.terminal().reply(running->status());
  } else if (!running->running()) {
    Reply ended = running->stop();
    ended.text = "no training is running; the last run ended: " + ended.text;
    shell.terminal().reply(ended);
  } else {
    shell.terminal().note("stopping after the current step...");
    shell.terminal().reply(running->stop(false));
  }
}

void run_train(Shell& shell, const Args& args) {
  if (!args.positional.empty()) {
    run_status_or_stop(shell, args);
    return;
  }
  if (args.option("--critic") != nullptr) {
    train_critic_command(shell, args);
    return;
  }
  TrainRequest request = parse_request(args, shell.config_file());
  request.device = shell.engine().device();
  if (!shell.terminal().interactive()) {
    train_in_foreground(shell, request);
    return;
  }
  auto& running = shell.training();
  if (running && running->running())
    throw Error::input(
        "a training run is going on already: 'train status' shows it, 'train stop' stops it");
  running.reset();  // the finished run, if any
  running = std::make_unique<BackgroundTraining>(request, shell);
  const std::string what =
      request.workers.rank != 0
          ? fmt::format("as worker {} of {}", request.workers.rank, request.workers.total())
          : "writing " + request.out.string();
  shell.terminal().reply(
      {{{"started", true}, {"out", request.out.string()}, {"rank", request.workers.rank}},
       fmt::format(
           "training in the background, {}: 'train status' shows how it goes, 'loss' draws it, "
           "'train stop' "
           "stops it{}",
           what,
           shell.settings().autoreload ? "; each checkpoint is loaded as it is written" : "")});
}

Command train_command() {
  Command train{
      "train",
      "[status|stop]",
      0,
      2,
      "train a model in the background, or resume one exactly where it stopped",
      "At the prompt the run goes on in the background: 'train status' shows it, 'loss' charts\n"
      "  it, 'train stop' stops it after the current step with a checkpoint, and a notice says "
      "when\n"
      "  a checkpoint is written ('set autoreload on' loads each one). In a script, train runs to\n"
      "  the end before the next line, and Ctrl-C stops it with a checkpoint. The checkpoint "
      "--out\n"
      "  names (default model.ckpt, or the resumed one) has the best kept beside it as\n"
      "  NAME.best.ckpt and the loss history as NAME.loss.csv.",
      {{"--corpus", "FILE",
        "a prepared corpus or a file of one poem per line (default: the Tang poems)", files},
       {"--resume", "CKPT",
        "continue a checkpoint's run with its optimizer, schedule and data order", files},
       {"--from", "CKPT",
        "a new run from a checkpoint's weights and vocabulary; added inputs start at 0", files},
       {"--steps", "N", "the length of the run in steps"},
       {"--epochs", "N", "the length of the run in epochs"},
       {"--config", "FILE", "the [model] and [train] settings (default ./poet.toml)", files},
       {"--out", "CKPT", "the checkpoint to write", files},
       {"--workers", "N",
        "train on N processes of this machine, each taking a share of every batch"},
       {"--rank", "R", "this process's rank in a run across machines"},
       {"--world-size", "N", "the processes on every machine"},
       {"--store", "HOST:PORT", "where rank 0 listens, for the others to meet it"},
       {"--timeout", "SECONDS", "how long to wait for a worker (default 60)"},
       {"--critic", "CKPT",
        "train the critic instead, on the loaded model's poems, and write it (the bundled one is "
        "corpora/critic.ckpt)",
        files},
       {"--poems", "N", "with --critic: real and written poems of each kind to learn from (default 16000)"}}};
  train.run = run_train;
  train.complete_arguments = [](Shell&, const std::vector<std::string>&) -> Candidates {
    return std::vector<std::string>{"status", "stop"};
  };
  return train;
}

void run_loss(Shell& shell, const Args& args) {
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
    throw Error::model("no model is loaded: 'load' a checkpoint to see how it was trained");
  }
  Reply reply{{{"file", file.string()}, {"history", nlohmann::json::array()}}, {}};
  for (const auto& e : history) {
    reply.fields["history"].push_back({{"step", e.step},
                                       {"epoch", e.epoch},
                                       {"train_loss", optional_number(e.train_loss)},
                                       {"valid_perplexity", optional_number(e.valid_perplexity)},
                                       {"wall_seconds", e.wall_seconds},
                                       {"tokens_per_second", e.tokens_per_second}});
  }
  if (const auto* csv = args.option("--csv"); csv != nullptr && !history.empty()) {
    write_history_csv(*csv, history, {file});
    shell.terminal().reply({{{"file", file.string()}, {"csv", *csv}, {"rows", history.size()}},
                            fmt::format("wrote {} rows of {}'s history to {}", history.size(),
                                        file.filename().string(), *csv)});
    return;
  }
  reply.text = history.empty() ? fmt::format("{} has no loss history yet", file.string())
                               : fmt::format("{}, {} steps\n{}", file.string(), history.back().step,
                                             describe_history(history, terminal_width()));
  shell.terminal().reply(reply);
}

Command loss_command() {
  Command loss{
      "loss",
      "",
      0,
      0,
      "chart how the loaded model was trained: loss and validation perplexity",
      "The training loss and the validation perplexity over the steps, as the checkpoint records\n"
      "  them (or the run training now, while it trains), with the last values.",
      {{"--csv", "FILE",
        "write the history out instead: step, epoch, loss, perplexity, wall time, chars/s",
        files}}};
  loss.run = run_loss;
  return loss;
}

}  // namespace

std::vector<Command> training_commands() { return {train_command(), loss_command()}; }

BackgroundTraining::BackgroundTraining(TrainRequest request, Shell& shell)
    : out_(request.out),
      label_(request.workers.rank != 0
                 ? fmt::format("as worker {} of {}", request.workers.rank, request.workers.total())
                 : request.out.string()),
      history_(request.resume ? read_history(*request.resume) : std::vector<HistoryEntry>{}) {
  Notices& notices = shell.notices();
  Engine& engine = shell.engine();
  const std::atomic<bool>& autoreload = shell.autoreload();
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
    Reply outcome;
    try {
      outcome = result_reply(train(request, events, stop_));
      outcome.text = "training " + outcome.text;
    } catch (const std::exception& error) {
      outcome = {{{"error", error.what()}}, fmt::format("training failed: {}", error.what())};
    }
    {
      std::lock_guard lock(mutex_);
      outcome_ = outcome;
    }
    if (!quiet_) notices.post(outcome.text);  // `train stop` shows it itself
  });
}

BackgroundTraining::~BackgroundTraining() { stop(); }

bool BackgroundTraining::running() const {
  std::lock_guard lock(mutex_);
  return !outcome_;
}

Reply BackgroundTraining::status() const {
  std::lock_guard lock(mutex_);
  if (outcome_) return *outcome_;
  Reply reply{{{"running", true}, {"run", label_}}, {}};
  if (!progress_) {
    reply.text = fmt::format("training {}: starting (reading the corpus)", label_);
    return reply;
  }
  const TrainProgress& p = *progress_;
  reply.fields.update({{"step", p.step},
                       {"total_steps", p.total_steps},
                       {"epoch", p.epoch},
                       {"loss", p.loss},
                       {"tokens_per_second", p.tokens_per_second},
                       {"seconds_left", p.seconds_left}});
  reply.text = fmt::format("training {}: {}", label_, progress_line(p));
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (it->valid_perplexity) {
      reply.fields["valid_perplexity"] = *it->valid_perplexity;
      reply.text += fmt::format("\n  validation perplexity {} at step {}",
                                perplexity_text(*it->valid_perplexity), it->step);
      break;
    }
  }
  return reply;
}

std::vector<HistoryEntry> BackgroundTraining::history() const {
  std::lock_guard lock(mutex_);
  return history_;
}

Reply BackgroundTraining::stop(bool announce) {
  if (!announce) quiet_ = true;
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  return outcome_.value_or(Reply{});
}

int train_worker(const std::vector<std::string>& words) {
  Workers workers;
  try {
    const Args args = parse_args(train_command(), words);
    if (!args.positional.empty())
      throw Error::input("usage: poet --train-worker --rank R --world-size N --store HOST:PORT");
    workers = parse_workers(args);
    refuse_all_but_worker_options(args, workers.rank);
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
  if (const auto* e = last_of(&HistoryEntry::train_loss))
    last.push_back(fmt::format("loss {:.4f} at step {}", *e->train_loss, e->step));
  if (const auto* e = last_of(&HistoryEntry::valid_perplexity)) {
    last.push_back(fmt::format("validation perplexity {} at step {} (best {} at step {})",
                               perplexity_text(*e->valid_perplexity), e->step,
                               perplexity_text(*best->valid_perplexity), best->step));
  }
  text += last.empty() ? "no values yet" : fmt::format("last: {}", fmt::join(last, "; "));
  return text;
}

}  // namespace poet::repl
