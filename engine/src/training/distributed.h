#pragma once
// The processes of one training run over LibTorch's own distributed engine, c10d (internal to the
// engine): rank 0 holds the meeting (training/meeting.h) where the others find it; the tensors travel on a Gloo process
// group (NCCL where LibTorch has it and the tensors are on a CUDA GPU). The c10d headers stay in
// distributed.cpp; this header shows only what the trainer uses.

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "poet/engine/error.h"
#include "poet/engine/training/trainer.h"

namespace poet {

// HOST:PORT (an IPv6 host in brackets: [::1]:29500). Throws Error::input.
struct StoreAddress {
  std::string host;
  std::uint16_t port = 0;
};
StoreAddress parse_store_address(const std::string& text);

// One process's membership of a run of `world_size` processes.
class WorkerGroup {
 public:
  // Rank 0 opens the store (port 0: a free one); the others connect to it. Then the ranks this
  // process starts itself (workers.count - 1 after its own) are spawned with
  // workers.worker_command, and all meet: this returns once every rank has joined, or throws
  // Error::training naming those that did not within workers.timeout_seconds.
  explicit WorkerGroup(const Workers& workers);
  ~WorkerGroup();  // leaves the group; the local workers are waited for, then killed
  WorkerGroup(const WorkerGroup&) = delete;
  WorkerGroup& operator=(const WorkerGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  std::string address() const;  // HOST:PORT of the store
  int local_workers() const { return static_cast<int>(children_.size()) + 1; }

  // Rank 0 puts a value in the store; the others wait for it (up to the timeout).
  void publish(const std::string& key, const std::string& value);
  std::string fetch(const std::string& key);
  bool published(const std::string& key);

  // Every rank gets rank 0's values of `tensors`, sent as one flat buffer of their type.
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // Sums `flat` (one tensor) over the ranks, in place. Throws Error::training naming the worker
  // when one is lost before the timeout.
  void allreduce_sum(torch::Tensor& flat);

  // Tells the other ranks why this one is leaving (they name it in their own messages).
  void report_failure(const std::string& message);
  bool failed() const { return failed_; }

 private:
  void meet(std::chrono::steady_clock::time_point joined_by);
  [[noreturn]] void lost(const std::string& what);
  std::string who_is_lost();
  // How long, after a failure, the workers give each other to say why: a few seconds, within
  // the timeout.
  std::chrono::milliseconds grace() const;

  int rank_ = 0;
  int size_ = 1;
  StoreAddress address_;
  std::chrono::milliseconds timeout_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  struct Child {
    int rank;
    int pid;
    bool ended = false;  // reaped: how it ended is known
  };
  std::optional<std::string> ended(Child& child);
  void end_children(std::chrono::seconds grace);
  std::vector<Child> children_;
  bool failed_ = false;
  std::vector<int> silent_;  // the ranks that said nothing after the last failure
};

// What one step's exchange sums over the workers.
struct Exchanged {
  double loss = 0;    // the whole batch's summed loss
  bool stop = false;  // some worker was asked to stop
};

// The step's one exchange, in one bucket: every parameter's gradient end to end, then whether each
// has one (a parameter none of the shares reached keeps none, as with one process), then this
// worker's summed loss and whether it is asked to stop. Summed over the workers; each parameter's
// gradient becomes the sum.
Exchanged exchange(WorkerGroup& group, CharRnn& model, double loss, bool stop);

// Rank 0 hands the others the training poems, as one tensor: every poem's length, then every
// poem's tokens. The others pass an empty `poems` and the counts from the plan.
void share_poems(WorkerGroup& group, Poems& poems, std::int64_t count, std::int64_t tokens);

}  // namespace poet
