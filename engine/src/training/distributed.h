#pragma once
// The processes of one training run over LibTorch's own distributed engine, c10d (internal to the
// engine): rank 0 holds a TCPStore where the others meet it; the tensors travel on a Gloo process
// group (NCCL where LibTorch has it and the tensors are on a CUDA GPU). The c10d headers stay in
// distributed.cpp; this header shows only what the trainer uses.

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "poet/engine/engine.h"
#include "poet/engine/trainer.h"

namespace poet {

// HOST:PORT (an IPv6 host in brackets: [::1]:29500). Throws EngineError.
struct StoreAddress {
  std::string host;
  std::uint16_t port = 0;
};
StoreAddress parse_store_address(const std::string& text);

// A worker was lost: it died, stopped answering, or failed. The message names it.
struct WorkerLost : EngineError {
  using EngineError::EngineError;
};

// One process's membership of a run of `world_size` processes.
class WorkerGroup {
 public:
  // Rank 0 opens the store (port 0: a free one); the others connect to it. Then the ranks this
  // process starts itself (workers.count - 1 after its own) are spawned with
  // workers.worker_command, and all meet: this returns once every rank has joined, or throws
  // EngineError naming those that did not within workers.timeout_seconds.
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
  // Sums `flat` (one tensor) over the ranks, in place. Throws WorkerLost naming the worker when
  // one is lost before the timeout.
  void allreduce_sum(torch::Tensor& flat);

  // Tells the other ranks why this one is leaving (they name it in their own messages).
  void report_failure(const std::string& message);
  bool failed() const { return failed_; }

 private:
  [[noreturn]] void lost(const std::string& what);
  std::string who_is_lost();

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
  int blas_threads_ = 0;  // OpenBLAS's pool before this process shared the cores, to restore
};

}  // namespace poet
