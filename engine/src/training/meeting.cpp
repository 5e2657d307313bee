#include "training/meeting.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace poet {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What each end says first: anything else on the port is not a poet store. The two differ, so that
// a connection that reaches itself (a guest on rank 0's machine, before rank 0 listens, on a port
// in the ephemeral range) does not pass for one.
constexpr char kHostGreeting[] = "poet-meeting/1 host\n";
constexpr char kGuestGreeting[] = "poet-meeting/1 gst.\n";
constexpr std::size_t kGreetingSize = sizeof kHostGreeting - 1;
static_assert(sizeof kGuestGreeting == sizeof kHostGreeting);
constexpr std::size_t kLongestKey = 4096;
constexpr std::size_t kLargestValue = std::size_t{64} << 20;
constexpr std::size_t kMostGuests = 512;         // twice the most workers a run may have
constexpr milliseconds kGuestPatience{10'000};  // for a guest to greet, or to read an answer
// A request once sent gets at least this long for its answer, however close its deadline: one
// cut off midway would leave the connection out of step, and useless after.
constexpr milliseconds kAnswerPatience{1000};

enum Op : std::uint8_t { kSet = 1, kGet, kAdd, kCheck, kRemove, kCount };

MeetingError lost(const std::string& why) { return {MeetingError::Kind::lost, why}; }

// Waits until `fd` is ready for `events`; false at the deadline.
bool ready(int fd, short events, Deadline deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd end{fd, events, 0};
    const int woke = ::poll(&end, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (woke > 0) return true;
    if (woke < 0 && errno != EINTR) throw lost(std::strerror(errno));
  }
}

void send_all(int fd, const std::uint8_t* bytes, std::size_t size, Deadline deadline) {
  while (size > 0) {
    if (!ready(fd, POLLOUT, deadline))
      throw MeetingError(MeetingError::Kind::timeout, "the other end did not read in time");
    const ssize_t sent = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (sent < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (sent < 0) throw lost(std::strerror(errno));
    bytes += sent;
    size -= static_cast<std::size_t>(sent);
  }
}

void receive_all(int fd, std::uint8_t* bytes, std::size_t size, Deadline deadline) {
  while (size > 0) {
    if (!ready(fd, POLLIN, deadline))
      throw MeetingError(MeetingError::Kind::timeout, "no answer in time");
    const ssize_t got = ::recv(fd, bytes, size, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0) throw lost(std::strerror(errno));
    if (got == 0) throw lost("the other end closed the connection");
    bytes += got;
    size -= static_cast<std::size_t>(got);
  }
}

// Whole numbers travel little-endian, whatever the machines.
void put_number(Bytes& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}
std::uint64_t number_at(const std::uint8_t* in, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= std::uint64_t{in[i]} << (8 * i);
  return value;
}

std::uint64_t receive_number(int fd, int bytes, Deadline deadline) {
  std::uint8_t in[8];
  receive_all(fd, in, static_cast<std::size_t>(bytes), deadline);
  return number_at(in, bytes);
}

// A length, then that many bytes; a length past `most` ends the connection.
Bytes receive_sized(int fd, std::size_t most, Deadline deadline) {
  const std::uint64_t size = receive_number(fd, 4, deadline);
  if (size > most) throw lost(fmt::format("a message of {} bytes, more than {}", size, most));
  Bytes bytes(size);
  receive_all(fd, bytes.data(), bytes.size(), deadline);
  return bytes;
}

void put_sized(Bytes& out, const std::uint8_t* bytes, std::size_t size) {
  put_number(out, size, 4);
  out.insert(out.end(), bytes, bytes + size);
}

Bytes number_bytes(std::int64_t value) {
  Bytes bytes;
  put_number(bytes, static_cast<std::uint64_t>(value), 8);
  return bytes;
}

void greet(int fd, const char* greeting, Deadline deadline) {
  send_all(fd, reinterpret_cast<const std::uint8_t*>(greeting), kGreetingSize, deadline);
}

// Whether the other end greets as it should.
bool greeted(int fd, const char* greeting, Deadline deadline) {
  std::uint8_t heard[kGreetingSize];
  receive_all(fd, heard, kGreetingSize, deadline);
  return std::memcmp(heard, greeting, kGreetingSize) == 0;
}

void quick_replies(int fd) {
  const int on = 1;  // requests and answers are small: none waits for the next
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// A socket listening on every interface, IPv6 and IPv4 where the machine has both.
int listen_on(std::uint16_t port) {
  int error = 0;
  for (const int family : {AF_INET6, AF_INET}) {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      error = errno;
      continue;
    }
    const int on = 1, off = 0;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_storage address{};
    socklen_t length = 0;
    if (family == AF_INET6) {
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
      auto& in6 = reinterpret_cast<sockaddr_in6&>(address);
      in6.sin6_family = AF_INET6;
      in6.sin6_addr = in6addr_any;
      in6.sin6_port = htons(port);
      length = sizeof in6;
    } else {
      auto& in4 = reinterpret_cast<sockaddr_in&>(address);
      in4.sin_family = AF_INET;
      in4.sin_addr.s_addr = htonl(INADDR_ANY);
      in4.sin_port = htons(port);
      length = sizeof in4;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 && ::listen(fd, 512) == 0)
      return fd;
    error = errno;
    ::close(fd);
    if (error == EADDRINUSE) break;  // in use for IPv4 as much as for IPv6
  }
  if (error == EADDRINUSE)
    throw MeetingError(MeetingError::Kind::port_in_use, fmt::format("port {} is in use on this machine", port));
  throw MeetingError(MeetingError::Kind::port_in_use,
                     fmt::format("cannot listen on port {}: {}", port, std::strerror(error)));
}

// One attempt to connect, by the deadline; -1 where nothing accepted.
int try_connect(const std::string& host, std::uint16_t port, Deadline deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int connected = -1;
  for (const addrinfo* at = found; at != nullptr && connected < 0; at = at->ai_next) {
    const int fd = ::socket(at->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int error = 0;
    socklen_t length = sizeof error;
    if (::connect(fd, at->ai_addr, at->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && ready(fd, POLLOUT, deadline) &&
         ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0)) {
      connected = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  return connected;
}

}  // namespace

// ---- the table -------------------------------------------------------------------------------

void MeetingTable::set(const std::string& key, const Bytes& value) {
  {
    const std::lock_guard lock(mutex_);
    values_[key] = value;
  }
  changed_.notify_all();
}

std::optional<Bytes> MeetingTable::get(const std::string& key, Deadline deadline) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_until(lock, deadline, [&] { return values_.count(key) != 0; }))
    return std::nullopt;
  return values_.at(key);
}

std::int64_t MeetingTable::add(const std::string& key, std::int64_t delta) {
  std::int64_t sum = 0;
  {
    const std::lock_guard lock(mutex_);
    Bytes& value = values_[key];
    if (value.size() == 8) sum = static_cast<std::int64_t>(number_at(value.data(), 8));
    sum += delta;
    value = number_bytes(sum);
  }
  changed_.notify_all();
  return sum;
}

bool MeetingTable::check(const std::string& key) {
  const std::lock_guard lock(mutex_);
  return values_.count(key) != 0;
}

bool MeetingTable::remove(const std::string& key) {
  const std::lock_guard lock(mutex_);
  return values_.erase(key) != 0;
}

std::int64_t MeetingTable::count() {
  const std::lock_guard lock(mutex_);
  return static_cast<std::int64_t>(values_.size());
}

// ---- the host --------------------------------------------------------------------------------

MeetingHost::MeetingHost(std::uint16_t port) : listener_(listen_on(port)) {
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                            : reinterpret_cast<sockaddr_in&>(bound).sin_port);
  if (::pipe2(wake_, O_CLOEXEC) != 0) {
    ::close(listener_);
    throw MeetingError(MeetingError::Kind::port_in_use, std::strerror(errno));
  }
  acceptor_ = std::thread([this] { accept_guests(); });
}

MeetingHost::~MeetingHost() {
  {
    const std::lock_guard lock(guests_mutex_);
    closing_ = true;
    for (const Guest& guest : guests_) {
      if (guest.connection >= 0) ::shutdown(guest.connection, SHUT_RDWR);
    }
  }
  [[maybe_unused]] const auto woken = ::write(wake_[1], "x", 1);
  acceptor_.join();
  for (Guest& guest : guests_) guest.server.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void MeetingHost::accept_guests() {
  for (;;) {
    pollfd ends[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(ends, 2, -1) < 0 && errno != EINTR) return;
    if (ends[1].revents != 0) return;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (connection < 0) {
      // Out of descriptors or memory: the connection waits in the queue; poll() would only say
      // so again at once.
      if (errno != EINTR && errno != ECONNABORTED) std::this_thread::sleep_for(milliseconds(100));
      continue;
    }
    const std::lock_guard lock(guests_mutex_);
    // The servers of guests that have gone are joined here, so that a long run's passing
    // connections (a port scanner's) cost nothing.
    for (auto it = guests_.begin(); it != guests_.end();) {
      if (!it->done) {
        ++it;
        continue;
      }
      it->server.join();
      it = guests_.erase(it);
    }
    if (closing_ || guests_.size() >= kMostGuests) {
      ::close(connection);
      continue;
    }
    Guest& guest = guests_.emplace_back();
    guest.connection = connection;
    guest.server = std::thread([this, &guest] { serve(guest); });
  }
}

void MeetingHost::serve(Guest& guest) {
  answer(guest.connection);
  const std::lock_guard lock(guests_mutex_);
  ::close(guest.connection);
  guest.connection = -1;
  guest.done = true;
}

// Answers one guest's requests until it goes. Whatever goes wrong ends this connection only.
void MeetingHost::answer(int connection) {
  try {
    quick_replies(connection);
    if (!greeted(connection, kGuestGreeting, Clock::now() + kGuestPatience)) return;
    greet(connection, kHostGreeting, Clock::now() + kGuestPatience);
    const Deadline never = Deadline::max();
    for (;;) {
      std::uint8_t op = 0;
      receive_all(connection, &op, 1, never);
      const Bytes key_bytes = receive_sized(connection, kLongestKey, Clock::now() + kGuestPatience);
      const Bytes value = receive_sized(connection, kLargestValue, Clock::now() + kGuestPatience);
      const std::string key(key_bytes.begin(), key_bytes.end());
      bool yes = true;
      Bytes answer;
      switch (op) {
        case kSet:
          table_.set(key, value);
          break;
        case kGet:
          if (auto found = table_.get(key, Clock::now())) {
            answer = std::move(*found);
          } else {
            yes = false;
          }
          break;
        case kAdd:
          if (value.size() != 8) return;
          answer = number_bytes(table_.add(key, static_cast<std::int64_t>(number_at(value.data(), 8))));
          break;
        case kCheck:
          yes = table_.check(key);
          break;
        case kRemove:
          yes = table_.remove(key);
          break;
        case kCount:
          answer = number_bytes(table_.count());
          break;
        default:
          return;  // not a poet store's guest after all
      }
      Bytes reply{static_cast<std::uint8_t>(yes)};
      put_sized(reply, answer.data(), answer.size());
      send_all(connection, reply.data(), reply.size(), Clock::now() + kGuestPatience);
    }
  } catch (const std::exception&) {
    // The guest left, broke the protocol or stopped reading: its connection ends here.
  }
}

// ---- a guest ---------------------------------------------------------------------------------

MeetingGuest::MeetingGuest(const std::string& host, std::uint16_t port, Deadline deadline) {
  while ((socket_ = try_connect(host, port, deadline)) < 0) {
    if (Clock::now() + milliseconds(100) >= deadline)
      throw MeetingError(MeetingError::Kind::unreachable, "nothing accepted the connection");
    std::this_thread::sleep_for(milliseconds(100));  // rank 0 may not have started yet
  }
  quick_replies(socket_);
  // Connected just before the deadline, it still gets a moment to hear the greeting.
  const Deadline greeting = std::max(deadline, Clock::now() + milliseconds(1000));
  bool poet = false;
  try {
    greet(socket_, kGuestGreeting, greeting);
    poet = greeted(socket_, kHostGreeting, greeting);
  } catch (const MeetingError&) {
  }
  if (!poet) {
    ::close(socket_);
    throw MeetingError(MeetingError::Kind::foreign, "it accepted the connection but did not answer as a poet store");
  }
}

MeetingGuest::~MeetingGuest() {
  if (socket_ >= 0) ::close(socket_);
}

MeetingGuest::Answer MeetingGuest::ask(std::uint8_t op, const std::string& key, const Bytes& value,
                                       Deadline deadline) {
  const std::lock_guard lock(mutex_);
  if (socket_ < 0) throw lost("the connection to the store broke earlier");
  deadline = std::max(deadline, Clock::now() + kAnswerPatience);
  try {
    Bytes request{op};
    put_sized(request, reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
    put_sized(request, value.data(), value.size());
    send_all(socket_, request.data(), request.size(), deadline);
    std::uint8_t yes = 0;
    receive_all(socket_, &yes, 1, deadline);
    return {yes != 0, receive_sized(socket_, kLargestValue, deadline)};
  } catch (const MeetingError&) {
    // A request cut off midway leaves the connection out of step: none can follow it.
    ::close(socket_);
    socket_ = -1;
    throw;
  }
}

void MeetingGuest::set(const std::string& key, const Bytes& value, Deadline deadline) {
  ask(kSet, key, value, deadline);
}

std::optional<Bytes> MeetingGuest::get(const std::string& key, Deadline deadline) {
  for (;;) {
    Answer answer = ask(kGet, key, {}, deadline);
    if (answer.yes) return std::move(answer.value);
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(10), deadline - Clock::now()));
  }
}

std::int64_t MeetingGuest::add(const std::string& key, std::int64_t delta, Deadline deadline) {
  const Answer answer = ask(kAdd, key, number_bytes(delta), deadline);
  if (answer.value.size() != 8) throw lost("the store answered an addition with something else");
  return static_cast<std::int64_t>(number_at(answer.value.data(), 8));
}

bool MeetingGuest::check(const std::string& key, Deadline deadline) {
  return ask(kCheck, key, {}, deadline).yes;
}

bool MeetingGuest::remove(const std::string& key, Deadline deadline) {
  return ask(kRemove, key, {}, deadline).yes;
}

std::int64_t MeetingGuest::count(Deadline deadline) {
  const Answer answer = ask(kCount, {}, {}, deadline);
  if (answer.value.size() != 8) throw lost("the store answered a count with something else");
  return static_cast<std::int64_t>(number_at(answer.value.data(), 8));
}

}  // namespace poet
