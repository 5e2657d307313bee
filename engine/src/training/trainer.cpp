// The training loop. A run is planned once (training/plan.h), then stepped until its last step
// or a stop (training/run.h); with several workers, rank 0 plans and hands the others the plan,
// which is the only difference between them. Every source of randomness is a function of (seed,
// epoch) or (seed, step), and the optimizer's state travels in the checkpoint, so a resumed run
// continues exactly.

#include "poet/engine/training/trainer.h"

#include <fmt/format.h>

#include "model/torch_errors.h"
#include "poet/engine/error.h"
#include "poet/engine/files/files.h"
#include "training/distributed.h"
#include "training/environment.h"
#include "training/plan.h"
#include "training/run.h"

namespace poet {
namespace {

// The plan rank 0 hands over, or why it could not make one.
TrainPlan received_plan(WorkerGroup& group) {
  const auto plan = nlohmann::json::parse(group.fetch("plan"), nullptr, false);
  if (plan.is_object() && plan.contains("error") && plan["error"].is_string())
    throw Error::training(
        fmt::format("worker 0 could not start the run: {}", plan["error"].get<std::string>()));
  return TrainPlan::from_json(plan);
}

// `group` is null for one process.
TrainResult run(const TrainRequest& request, const TrainEvents& events,
                const std::atomic<bool>& stop, WorkerGroup* group) {
  TrainPlan plan;
  std::optional<Lead> lead;
  std::optional<WriterLock> writing;  // rank 0 writes the checkpoints, and no other run beside it
  if (group == nullptr || group->rank() == 0) {
    writing.emplace(request.out, "training run");
    auto [resolved, led] = resolve_plan(request, [&](const std::string& text) {
      if (events.note) events.note(text);
    });
    plan = std::move(resolved);
    lead = std::move(led);
    if (group != nullptr) group->publish("plan", plan.to_json().dump());
  } else {
    plan = received_plan(*group);
  }
  const TrainingEnvironment environment(plan.config, group != nullptr ? group->local_workers() : 1);
  TrainingRun run(std::move(plan), std::move(lead), request, events, stop, group);
  while (!run.finished()) {
    run.step();
    if (!run.leader()) continue;  // the rest is rank 0's: validation, the history, the checkpoints
    run.validate_and_log();
    run.save_if_due();
  }
  run.finish();
  return run.result();
}

// Several workers meet before anything is read (rank 0 starting this machine's others), so that a
// bad address or a missing worker is known at once. A worker that fails tells the others why.
TrainResult run_workers(const TrainRequest& request, const TrainEvents& events,
                        const std::atomic<bool>& stop) {
  if (const auto problem = problem_with(request.workers)) throw Error::input(*problem);
  WorkerGroup group(request.workers);
  try {
    return run(request, events, stop, &group);
  } catch (const std::exception& error) {
    const auto* torch_error = dynamic_cast<const c10::Error*>(&error);
    const std::string message = torch_error ? torch_message(*torch_error) : error.what();
    if (group.rank() == 0 && !group.published("plan"))
      group.publish("plan", nlohmann::json{{"error", message}}.dump());
    if (!group.failed()) group.report_failure(message);
    throw;
  }
}

}  // namespace

std::optional<std::string> problem_with(const Workers& workers) {
  if (!(workers.count >= 1 && workers.count <= kMostWorkers))
    return fmt::format("--workers must be 1 to {}, not {}", kMostWorkers, workers.count);
  if (workers.world_size && !(*workers.world_size >= 1 && *workers.world_size <= kMostWorkers))
    return fmt::format("--world-size must be 1 to {}, not {}", kMostWorkers, *workers.world_size);
  const int world = workers.total();
  if (!(workers.rank >= 0 && workers.rank < world))
    return fmt::format("rank {} is outside a world of {} (ranks 0 to {})", workers.rank, world,
                       world - 1);
  if (!(workers.rank + workers.count <= world)) {
    return fmt::format("ranks {} to {} (--workers {} from rank {}) do not fit a world of {}",
                       workers.rank, workers.rank + workers.count - 1, workers.count, workers.rank,
                       world);
  }
  if (!(workers.count == world || !workers.store.empty()))
    return std::string(
        "workers on other machines meet at a store: give its HOST:PORT (rank 0's address)");
  if (!workers.store.empty() && world == 1)
    return std::string(
        "--store is where the workers of a run meet, but this run has one: give --world-size N "
        "(and --rank R on each machine but rank 0's), or --workers N");
  if (!(workers.timeout_seconds >= 1 && workers.timeout_seconds <= 86400))
    return std::string("--timeout must be 1 to 86400 seconds");
  if (!(workers.count == 1 || !workers.command.empty()))
    return std::string("no command to start this machine's workers with");
  return std::nullopt;
}

std::vector<std::string> worker_arguments(const Workers& workers, int rank, const std::string& store) {
  return {"--rank",       std::to_string(rank),
          "--world-size", std::to_string(workers.total()),
          "--store",      store,
          "--timeout",    std::to_string(workers.timeout_seconds)};
}

TrainResult train(const TrainRequest& request, const TrainEvents& events,
                  const std::atomic<bool>& stop) {
  return with_torch_errors(ErrorKind::training, "training failed", [&] {
    return request.workers.distributed() ? run_workers(request, events, stop)
                                         : run(request, events, stop, nullptr);
  });
}

}  // namespace poet
