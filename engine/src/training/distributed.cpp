// c10d for the trainer: the meeting (training/meeting.h) where the workers find each other, the
// Gloo process group that carries their tensors, the local worker processes, and one-line messages
// for every way a run of several processes can fail. Compiled with USE_C10D_GLOO
// (engine/CMakeLists.txt), which the c10d headers need to declare ProcessGroupGloo.

#include "training/distributed.h"

#include <arpa/inet.h>
#include <c10/util/Logging.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netdb.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "model/torch_errors.h"
#include "poet/engine/error.h"
#include "training/meeting.h"

extern char** environ;

namespace poet {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// c10d logs its own errors (a store it cannot reach) through glog on standard error; poet turns
// each into one line of its own, so only fatal ones are let through.
void quiet_c10d_logs() {
  using namespace c10;  // the flag is c10's, or global where LibTorch was built with gflags
  FLAGS_caffe2_log_level = std::max(FLAGS_caffe2_log_level, 3);
}

std::string first_line(const std::exception& error) {
  std::string message;
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&error)) {
    message = c10_error->what_without_backtrace();
  } else {
    message = error.what();
  }
  message = message.substr(0, message.find('\n'));
  // Gloo prefixes its messages with its source file: "[./gloo/transport/tcp/pair.cc:598] ".
  if (message.rfind("[", 0) == 0 && message.find("] ") != std::string::npos)
    message = message.substr(message.find("] ") + 2);
  return message;
}

std::string seconds_of(std::chrono::milliseconds timeout) {
  return fmt::format("{} s", std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
}

// The address of this machine on the route to the store's host: where the other workers reach
// this one (a hostname's own entry in /etc/hosts, often 127.0.1.1, would not do across machines).
// GLOO_SOCKET_IFNAME names an interface instead, as in PyTorch.
std::shared_ptr<gloo::transport::Device> gloo_device(const StoreAddress& store) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  std::string local = "127.0.0.1";
  if (getaddrinfo(store.host.c_str(), std::to_string(store.port).c_str(), &hints, &found) == 0) {
    const int fd = socket(found->ai_family, SOCK_DGRAM, 0);
    sockaddr_storage self{};
    socklen_t length = sizeof self;
    char text[INET6_ADDRSTRLEN] = {};
    if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&self), &length) == 0) {
      const void* address = self.ss_family == AF_INET6
                                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&self)->sin6_addr)
                                : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&self)->sin_addr);
      if (inet_ntop(self.ss_family, address, text, sizeof text)) local = text;
    }
    if (fd >= 0) close(fd);
    freeaddrinfo(found);
  }
  return c10d::ProcessGroupGloo::createDeviceForHostname(local);
}

// The meeting as c10d's process group asks a store: every wait within the store's timeout.
class MeetingStore final : public c10d::Store {
 public:
  MeetingStore(std::shared_ptr<Meeting> meeting, std::chrono::milliseconds timeout)
      : Store(timeout), meeting_(std::move(meeting)) {}

  void set(const std::string& key, const std::vector<std::uint8_t>& value) override {
    meeting_->set(key, value, deadline(timeout_));
  }
  std::vector<std::uint8_t> get(const std::string& key) override { return wait_for(key, deadline(timeout_)); }
  int64_t add(const std::string& key, int64_t value) override {
    return meeting_->add(key, value, deadline(timeout_));
  }
  bool deleteKey(const std::string& key) override { return meeting_->remove(key, deadline(timeout_)); }
  bool check(const std::vector<std::string>& keys) override {
    return std::all_of(keys.begin(), keys.end(),
                       [&](const std::string& key) { return meeting_->check(key, deadline(timeout_)); });
  }
  int64_t getNumKeys() override { return meeting_->count(deadline(timeout_)); }
  void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override {
    const Deadline until = deadline(timeout);
    for (const auto& key : keys) wait_for(key, until);
  }

 private:
  static Deadline deadline(std::chrono::milliseconds timeout) { return Clock::now() + timeout; }
  std::vector<std::uint8_t> wait_for(const std::string& key, Deadline until) {
    auto value = meeting_->get(key, until);
    if (!value) throw MeetingError(MeetingError::Kind::timeout, fmt::format("'{}' was not set in time", key));
    return std::move(*value);
  }

  std::shared_ptr<Meeting> meeting_;
};

// A process group's two collectives the trainer uses. Held by type, not through c10d's base
// class: LibTorch 2 moved ProcessGroupGloo and ProcessGroupNCCL under another (Backend).
struct Collectives {
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)> allreduce;
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)> broadcast;
};

template <typename Group>
Collectives collectives_of(c10::intrusive_ptr<Group> group) {
  return {[group](std::vector<at::Tensor>& tensors) { return group->allreduce(tensors); },
          [group](std::vector<at::Tensor>& tensors) {
            c10d::BroadcastOptions options;
            options.rootRank = 0;
            return group->broadcast(tensors, options);
          }};
}

Collectives make_process_group(const c10::intrusive_ptr<c10d::Store>& store, const StoreAddress& address,
                               int rank, int size, std::chrono::milliseconds timeout,
                               [[maybe_unused]] bool on_cuda) {
#ifdef USE_C10D_NCCL
  // Tensors on CUDA GPUs travel on NCCL; a LibTorch built without it (Debian's) has Gloo only.
  if (on_cuda) {
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    return collectives_of(c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options));
  }
#endif
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(gloo_device(address));
  options->threads = 1;  // one exchange at a time: the trainer waits for each
  return collectives_of(c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options));
}

// The local workers' environment: poet's own, with OpenBLAS's pool sized to their share of the
// cores (it would start one thread per core in each of them).
std::vector<std::string> worker_environment(int blas_threads) {
  std::vector<std::string> environment;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    if (std::strncmp(*variable, "OPENBLAS_NUM_THREADS=", 21) != 0) environment.emplace_back(*variable);
  }
  environment.push_back(fmt::format("OPENBLAS_NUM_THREADS={}", blas_threads));
  return environment;
}

// Starts a worker in a process group of its own (Ctrl-C at a terminal reaches only poet, which
// stops the run for all), with no terminal: it reports through the store.
int spawn(const std::vector<std::string>& arguments, const std::vector<std::string>& environment) {
  std::vector<char*> argv, envp;
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  for (const auto& variable : environment) envp.push_back(const_cast<char*>(variable.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults, none;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0)
    throw Error::training(
        fmt::format("cannot start a worker '{}': {}", arguments[0], std::strerror(error)));
  return pid;
}

const std::string kLostContact = "lost contact";

std::string rank_key(std::string_view what, int rank) { return fmt::format("poet/{}/{}", what, rank); }

// "worker 3", "workers 1, 4-255": ranks in order, runs of them as ranges, so that a world of
// 256 with none joined is one short line.
std::string workers_named(const std::vector<int>& ranks) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < ranks.size();) {
    std::size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    parts.push_back(j == i ? std::to_string(ranks[i]) : fmt::format("{}-{}", ranks[i], ranks[j]));
    i = j + 1;
  }
  const bool one = ranks.size() == 1;
  return fmt::format("worker{} {}", one ? "" : "s", fmt::join(parts, ", "));
}

}  // namespace

StoreAddress parse_store_address(const std::string& text) {
  const auto bad = [&](std::string_view why) {
    return Error::input(
        fmt::format("the store address '{}' {}: give HOST:PORT, e.g. 10.0.0.1:29500", text, why));
  };
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw bad("has no HOST:PORT");
  StoreAddress address;
  address.host = text.substr(0, colon);
  if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']')
    address.host = address.host.substr(1, address.host.size() - 2);
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) < 1 || std::stoi(port) > 65535)
    throw bad("has no port from 1 to 65535");
  address.port = static_cast<std::uint16_t>(std::stoi(port));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(address.host.c_str(), nullptr, &hints, &found); error != 0)
    throw bad(fmt::format("names no host this machine can find ({})", gai_strerror(error)));
  freeaddrinfo(found);
  return address;
}

struct WorkerGroup::Impl {
  std::shared_ptr<Meeting> meeting;
  std::optional<Collectives> group;
};

WorkerGroup::WorkerGroup(const Workers& workers)
    : rank_(workers.rank),
      size_(workers.total()),
      timeout_(std::chrono::seconds(workers.timeout_seconds)),
      impl_(std::make_unique<Impl>()) {
  quiet_c10d_logs();
  address_ = workers.store.empty() ? StoreAddress{"127.0.0.1", 0} : parse_store_address(workers.store);
  meet(Clock::now() + timeout_);

  // This machine's other workers: the same program, told their ranks and where to meet.
  if (workers.count > 1) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const auto environment = worker_environment(std::max(1, cores / workers.count));
    try {
      for (int rank = rank_ + 1; rank < rank_ + workers.count; ++rank) {
        auto arguments = workers.command;
        for (auto& argument : worker_arguments(workers, rank, address())) arguments.push_back(std::move(argument));
        children_.push_back({rank, spawn(arguments, environment)});
      }
    } catch (const Error&) {
      end_children(std::chrono::seconds(0));  // those started already: no destructor will
      throw;
    }
  }

  // The process group: Gloo's rendezvous through the store, every pair of workers connected.
  try {
    impl_->group = make_process_group(c10::make_intrusive<MeetingStore>(impl_->meeting, timeout_),
                                      address_, rank_, size_, timeout_, false);
  } catch (const std::exception& error) {
    std::vector<int> missing;
    const Deadline asked_by = Clock::now() + grace();
    for (int rank = 0; rank < size_; ++rank) {
      try {
        if (!impl_->meeting->check(rank_key("rank", rank), asked_by)) missing.push_back(rank);
      } catch (const std::exception&) {
        missing.push_back(rank);
      }
    }
    std::string message =
        missing.empty() ? fmt::format("the workers did not all connect within {}: {}", seconds_of(timeout_), first_line(error))
                        : fmt::format("{} did not join within {}", workers_named(missing), seconds_of(timeout_));
    for (auto& child : children_) {
      if (const auto how = ended(child))
        message += fmt::format("; worker {} (pid {}) {}", child.rank, child.pid, *how);
    }
    end_children(std::chrono::seconds(0));
    throw Error::training(message);
  }
}

// The meeting: rank 0 listens on its port (on every interface); the others connect, retrying
// until the deadline. Each rank is claimed once, and every worker must agree on the size of the
// world.
void WorkerGroup::meet(Deadline joined_by) {
  const std::string joining = fmt::format("worker {} of {}", rank_, size_);
  try {
    if (rank_ == 0) {
      auto host = std::make_shared<MeetingHost>(address_.port);
      address_.port = host->port();
      impl_->meeting = std::move(host);
    } else {
      impl_->meeting = std::make_shared<MeetingGuest>(address_.host, address_.port, joined_by);
    }
  } catch (const MeetingError& error) {
    switch (error.kind()) {
      case MeetingError::Kind::port_in_use:
        throw Error::training(fmt::format(
            "{} (by another program, or a run still ending): give --store HOST:PORT another port",
            error.what()));
      case MeetingError::Kind::foreign:
        throw Error::training(fmt::format(
            "{} cannot join at {}: what listens there does not answer as poet's store (another "
            "program on port {}?): give rank 0's HOST:PORT",
            joining, address(), address_.port));
      default:
        throw Error::training(fmt::format("{} cannot reach the store at {} within {} (is rank 0 started there?)",
                                          joining, address(), seconds_of(timeout_)));
    }
  }
  try {
    if (impl_->meeting->add(rank_key("rank", rank_), 1, joined_by) != 1)
      throw Error::training(
          fmt::format("{} cannot join: another worker has rank {} already", joining, rank_));
    const std::string size_key = "poet/world_size";
    if (rank_ == 0) {
      const std::string size = std::to_string(size_);
      impl_->meeting->set(size_key, Bytes(size.begin(), size.end()), joined_by);
      return;
    }
    const auto value = impl_->meeting->get(size_key, joined_by);
    if (!value)
      throw Error::training(fmt::format("{} cannot join at {}: rank 0 did not say the size of its world within {}",
                                        joining, address(), seconds_of(timeout_)));
    const int theirs = std::stoi(std::string(value->begin(), value->end()));
    if (theirs != size_)
      throw Error::training(
          fmt::format("{} cannot join: rank 0 runs a world of {} workers, not {} (--world-size)",
                      joining, theirs, size_));
  } catch (const MeetingError& error) {
    throw Error::training(fmt::format("{} cannot join at {}: {}", joining, address(), error.what()));
  }
}

// Waits up to `grace` for this machine's workers to end, then kills those left.
void WorkerGroup::end_children(std::chrono::seconds grace) {
  const auto wait_until = std::chrono::steady_clock::now() + grace;
  for (auto& child : children_) {
    if (child.ended) continue;
    int status = 0;
    while (waitpid(child.pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= wait_until) {
        kill(child.pid, SIGKILL);
        waitpid(child.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    child.ended = true;
  }
}

WorkerGroup::~WorkerGroup() {
  impl_->group.reset();  // closes every pair: the others' next exchange fails at once
  const Deadline deadline = Clock::now() + grace();
  // After a failure rank 0 keeps the store a moment, so that the others can read why; not for
  // those already found silent, which would not read it.
  if (rank_ == 0 && failed_) {
    for (int rank = 1; rank < size_ && Clock::now() < deadline; ++rank) {
      const bool gone = std::any_of(children_.begin(), children_.end(),
                                    [&](const Child& child) { return child.rank == rank && child.ended; });
      if (gone || std::count(silent_.begin(), silent_.end(), rank) != 0) continue;
      while (!impl_->meeting->check(rank_key("failed", rank), deadline) && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);  // rank 0's own table: a check never fails
    }
  }
  // The local workers end with the run (or, lost, have ended); any left after a grace are killed.
  end_children(failed_ ? std::chrono::duration_cast<std::chrono::seconds>(grace()) : 30s);
  impl_->meeting.reset();
}

std::chrono::milliseconds WorkerGroup::grace() const {
  return std::min<std::chrono::milliseconds>(3s, timeout_);
}

std::string WorkerGroup::address() const {
  return address_.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", address_.host, address_.port)
                                                      : fmt::format("{}:{}", address_.host, address_.port);
}

void WorkerGroup::publish(const std::string& key, const std::string& value) {
  impl_->meeting->set("poet/" + key, Bytes(value.begin(), value.end()), Clock::now() + timeout_);
}

std::string WorkerGroup::fetch(const std::string& key) {
  std::optional<Bytes> value;
  try {
    value = impl_->meeting->get("poet/" + key, Clock::now() + timeout_);
  } catch (const MeetingError& error) {
    lost(error.what());
  }
  if (!value) lost(fmt::format("worker 0 gave no {} within {}", key, seconds_of(timeout_)));
  return std::string(value->begin(), value->end());
}

void WorkerGroup::broadcast(const std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat_parts;
  for (const auto& tensor : tensors) flat_parts.push_back(tensor.reshape(-1));
  std::vector<at::Tensor> buffer{torch::cat(flat_parts)};
  try {
    impl_->group->broadcast(buffer)->wait();
  } catch (const std::exception& error) {
    lost(first_line(error));
  }
  if (rank_ == 0) return;
  std::int64_t offset = 0;
  for (const auto& tensor : tensors) {
    const auto count = tensor.numel();
    auto target = tensor;
    target.copy_(buffer[0].narrow(0, offset, count).view_as(tensor));
    offset += count;
  }
}

// How a local worker ended, if it has: "was killed by signal 9 (Killed)".
std::optional<std::string> WorkerGroup::ended(Child& child) {
  int status = 0;
  if (child.ended || waitpid(child.pid, &status, WNOHANG) != child.pid) return std::nullopt;
  child.ended = true;
  if (WIFSIGNALED(status))
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

bool WorkerGroup::published(const std::string& key) {
  try {
    return impl_->meeting->check("poet/" + key, Clock::now() + grace());
  } catch (const MeetingError&) {
    return false;
  }
}

void WorkerGroup::allreduce_sum(torch::Tensor& flat) {
  std::vector<at::Tensor> buffer{flat};
  try {
    impl_->group->allreduce(buffer)->wait();
  } catch (const std::exception& error) {
    lost(first_line(error));
  }
}

void WorkerGroup::report_failure(const std::string& message) {
  failed_ = true;
  try {
    publish(fmt::format("failed/{}", rank_), message);
  } catch (const std::exception&) {
    // The store is gone with rank 0: nobody is left to tell.
  }
}

void WorkerGroup::lost(const std::string& what) {
  failed_ = true;
  const std::string who = who_is_lost();
  throw Error::training(who.empty() ? fmt::format("lost contact with the other workers ({})", what)
                                    : who);
}

// After an exchange failed: each rank that notices says so in the store, and any rank that has
// not within a few seconds (nor ended as a local worker) is the one lost. A rank that failed on
// its own put its reason there.
std::string WorkerGroup::who_is_lost() {
  const Deadline deadline = Clock::now() + grace();
  // What a worker other than rank 0 says when rank 0's store is what it cannot reach: the
  // connection broken (rank 0 ended or was killed), or no answer (frozen, or cut off).
  const auto store_lost = [&](const MeetingError& error) {
    return fmt::format("worker 0, which holds the store at {}, {}", address(),
                       error.kind() == MeetingError::Kind::lost
                           ? std::string("is gone (it ended or was killed)")
                           : fmt::format("stopped answering within {} (frozen, or its machine "
                                         "unreachable)",
                                         seconds_of(timeout_)));
  };
  std::map<int, std::string> reasons;  // rank → its own reason, or how it ended
  try {
    impl_->meeting->set(rank_key("failed", rank_), Bytes(kLostContact.begin(), kLostContact.end()), deadline);
    for (;;) {
      for (int rank = 0; rank < size_ && Clock::now() < deadline; ++rank) {
        if (rank == rank_ || reasons.count(rank)) continue;
        for (auto& child : children_) {
          if (child.rank != rank) continue;
          if (const auto how = ended(child)) reasons[rank] = fmt::format("(pid {}) {}", child.pid, *how);
        }
        const std::string key = rank_key("failed", rank);
        if (impl_->meeting->check(key, deadline)) {
          const auto value = impl_->meeting->get(key, deadline);  // there already: no wait
          if (value) reasons[rank].assign(value->begin(), value->end());
        }
      }
      if (static_cast<int>(reasons.size()) == size_ - 1 || Clock::now() >= deadline) break;
      std::this_thread::sleep_for(50ms);
    }
  } catch (const MeetingError& error) {  // only a guest's requests fail: rank 0's table is its own
    return store_lost(error);
  }
  std::vector<std::string> failed;
  std::vector<int> silent;
  for (int rank = 0; rank < size_; ++rank) {
    if (rank == rank_) continue;
    const auto it = reasons.find(rank);
    if (it == reasons.end()) {
      silent.push_back(rank);
    } else if (it->second != kLostContact) {
      const auto& why = it->second;
      failed.push_back(why.rfind("(pid", 0) == 0 ? fmt::format("worker {} {}", rank, why)
                                                 : fmt::format("worker {} failed: {}", rank, why));
    }
  }
  silent_ = silent;
  if (!silent.empty()) {
    failed.push_back(fmt::format("{} stopped answering within {} (ended, killed, or {} unreachable)",
                                 workers_named(silent), seconds_of(timeout_),
                                 silent.size() == 1 ? "its machine" : "their machines"));
  }
  return fmt::format("{}", fmt::join(failed, "; "));
}

// The step's one exchange, in one bucket: every parameter's gradient end to end, then whether
// each has one (a parameter none of the shares reached keeps none, as with one process), then this
// worker's summed loss and whether it is asked to stop. Summed over the workers.
Exchanged exchange(WorkerGroup& group, CharRnn& model, double loss, bool stop) {
  torch::NoGradGuard no_grad;
  const auto parameters = model->parameters();
  std::vector<torch::Tensor> parts;
  std::vector<float> tail;
  for (const auto& parameter : parameters) {
    const auto& gradient = parameter.grad();
    parts.push_back(gradient.defined() ? gradient.reshape(-1) : torch::zeros({parameter.numel()}));
    tail.push_back(gradient.defined() ? 1.0F : 0.0F);
  }
  tail.push_back(static_cast<float>(loss));
  tail.push_back(stop ? 1.0F : 0.0F);
  parts.push_back(torch::tensor(tail));
  auto bucket = torch::cat(parts);
  group.allreduce_sum(bucket);

  std::int64_t offset = 0;
  const auto sums = bucket.narrow(0, bucket.numel() - static_cast<std::int64_t>(tail.size()),
                                  static_cast<std::int64_t>(tail.size()));
  const auto* sum = sums.data_ptr<float>();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    auto parameter = parameters[i];
    const auto gradient = bucket.narrow(0, offset, parameter.numel()).view_as(parameter);
    offset += parameter.numel();
    if (sum[i] == 0) continue;
    if (parameter.grad().defined()) {
      parameter.mutable_grad().copy_(gradient);
    } else {
      parameter.mutable_grad() = gradient.clone();
    }
  }
  return {sum[parameters.size()], sum[parameters.size() + 1] > 0};
}

// Rank 0 hands the others the training poems, as one tensor: every poem's length, then every
// poem's tokens.
void share_poems(WorkerGroup& group, Poems& poems, std::int64_t count, std::int64_t tokens) {
  auto flat = torch::zeros({count + tokens}, torch::kLong);
  if (group.rank() == 0) {
    auto* out = flat.data_ptr<std::int64_t>();
    for (const auto& poem : poems) *out++ = static_cast<std::int64_t>(poem.size());
    for (const auto& poem : poems) out = std::copy(poem.begin(), poem.end(), out);
  }
  group.broadcast({flat});
  if (group.rank() == 0) return;
  const auto* in = flat.data_ptr<std::int64_t>();
  const auto* token = in + count;
  poems.resize(static_cast<std::size_t>(count));
  for (auto& poem : poems) {
    poem.assign(token, token + *in++);
    token += poem.size();
  }
}

}  // namespace poet
