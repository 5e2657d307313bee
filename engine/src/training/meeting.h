#pragma once
// Where the processes of a training run meet (internal to the engine): a small key-value store
// that rank 0 holds on a TCP port and the others reach over the network. They claim their ranks
// there, rank 0 leaves the run's plan and each worker why it failed, and c10d's process group
// finds its peers through it (distributed.cpp adapts it to c10d::Store).
//
// poet's own rather than c10d's TCPStore because every wait here ends by a deadline, every error
// is an exception on the thread that asked (TCPStore's background thread ends the process when
// rank 0's connection is reset), and a port that some other program holds is told apart from a
// store by a greeting. No LibTorch here.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace poet {

using Bytes = std::vector<std::uint8_t>;
using Deadline = std::chrono::steady_clock::time_point;

// Why a meeting failed; what() is one line for the user, without the address.
class MeetingError : public std::runtime_error {
 public:
  enum class Kind {
    port_in_use,  // rank 0 cannot listen on the port
    unreachable,  // nothing accepted the connection before the deadline
    foreign,      // something accepted it, but did not greet as a poet store
    lost,         // the connection broke
    timeout,      // no answer before the deadline
  };
  MeetingError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// The store's operations, the same for the host and its guests. Each throws MeetingError. A guest's
// request, once sent, gets a second for its answer however near its deadline.
class Meeting {
 public:
  virtual ~Meeting() = default;
  virtual void set(const std::string& key, const Bytes& value, Deadline deadline) = 0;
  // The value, once the key exists; nothing if it does not by the deadline.
  virtual std::optional<Bytes> get(const std::string& key, Deadline deadline) = 0;
  // Adds `delta` to the whole number under `key` (0 where there is none); the sum.
  virtual std::int64_t add(const std::string& key, std::int64_t delta, Deadline deadline) = 0;
  virtual bool check(const std::string& key, Deadline deadline) = 0;
  virtual bool remove(const std::string& key, Deadline deadline) = 0;
  virtual std::int64_t count(Deadline deadline) = 0;
};

// The values, and a wait for a key to appear.
class MeetingTable {
 public:
  void set(const std::string& key, const Bytes& value);
  std::optional<Bytes> get(const std::string& key, Deadline deadline);
  std::int64_t add(const std::string& key, std::int64_t delta);
  bool check(const std::string& key);
  bool remove(const std::string& key);
  std::int64_t count();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Bytes> values_;
};

// Rank 0's end: the table, served on `port` on every interface (0: a free port), and used
// directly by this process. Throws MeetingError(port_in_use).
class MeetingHost final : public Meeting {
 public:
  explicit MeetingHost(std::uint16_t port);
  ~MeetingHost() override;  // closes every connection, then the port
  MeetingHost(const MeetingHost&) = delete;
  MeetingHost& operator=(const MeetingHost&) = delete;
  std::uint16_t port() const { return port_; }

  void set(const std::string& key, const Bytes& value, Deadline) override { table_.set(key, value); }
  std::optional<Bytes> get(const std::string& key, Deadline deadline) override {
    return table_.get(key, deadline);
  }
  std::int64_t add(const std::string& key, std::int64_t delta, Deadline) override {
    return table_.add(key, delta);
  }
  bool check(const std::string& key, Deadline) override { return table_.check(key); }
  bool remove(const std::string& key, Deadline) override { return table_.remove(key); }
  std::int64_t count(Deadline) override { return table_.count(); }

 private:
  struct Guest {
    int connection = -1;  // -1 once its server is done with it
    std::thread server;
    bool done = false;
  };
  void accept_guests();
  void serve(Guest& guest);
  void answer(int connection);

  MeetingTable table_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // written to end accept_guests()
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex guests_mutex_;
  std::list<Guest> guests_;  // their connections are shut down on the way out, ending the servers
  bool closing_ = false;
};

// Another rank's end: one connection to the host, made by `deadline` (retrying while nothing
// listens yet, since rank 0 may start later), over which each operation is a request and its
// answer.
class MeetingGuest final : public Meeting {
 public:
  MeetingGuest(const std::string& host, std::uint16_t port, Deadline deadline);
  ~MeetingGuest() override;
  MeetingGuest(const MeetingGuest&) = delete;
  MeetingGuest& operator=(const MeetingGuest&) = delete;

  void set(const std::string& key, const Bytes& value, Deadline deadline) override;
  std::optional<Bytes> get(const std::string& key, Deadline deadline) override;
  std::int64_t add(const std::string& key, std::int64_t delta, Deadline deadline) override;
  bool check(const std::string& key, Deadline deadline) override;
  bool remove(const std::string& key, Deadline deadline) override;
  std::int64_t count(Deadline deadline) override;

 private:
  struct Answer {
    bool yes = false;
    Bytes value;
  };
  Answer ask(std::uint8_t op, const std::string& key, const Bytes& value, Deadline deadline);

  std::mutex mutex_;  // one request at a time on the connection
  int socket_ = -1;
};

}  // namespace poet
