// Where the workers of a run meet (engine/src/training/meeting.h): the store's operations between
// rank 0 and its guests, and each way a port can fail them, each ending by its deadline with an
// exception on the thread that asked, never with the process.

#include "training/meeting.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <thread>

namespace poet {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Deadline in(milliseconds time) { return Clock::now() + time; }
Bytes bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

// How late past its deadline a call may return: the work around the wait, on a slow machine.
constexpr milliseconds kMargin{5000};

// A port where something other than a poet store listens, serving each connection with `serve`.
class OtherProgram {
 public:
  explicit OtherProgram(std::function<void(int)> serve) : serve_(std::move(serve)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listener_, 8) != 0)
      throw std::runtime_error("cannot listen");
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection >= 0) serve_(connection);
    });
  }
  ~OtherProgram() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }

 private:
  std::function<void(int)> serve_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// Ends a connection with a reset rather than a close, as a killed machine's kernel may.
void reset(int connection) {
  const linger abrupt{1, 0};
  ::setsockopt(connection, SOL_SOCKET, SO_LINGER, &abrupt, sizeof abrupt);
  ::close(connection);
}

TEST(Meeting, GuestsAndTheHostShareOneTable) {
  MeetingHost host(0);
  MeetingGuest first("127.0.0.1", host.port(), in(milliseconds(5000)));
  MeetingGuest second("localhost", host.port(), in(milliseconds(5000)));
  EXPECT_EQ(first.add("poet/rank/1", 1, in(milliseconds(5000))), 1);
  EXPECT_EQ(second.add("poet/rank/1", 1, in(milliseconds(5000))), 2);  // a rank claimed twice
  EXPECT_EQ(host.add("poet/rank/1", -2, in(milliseconds(5000))), 0);
  host.set("plan", bytes("{}"), in(milliseconds(5000)));
  EXPECT_EQ(first.get("plan", in(milliseconds(5000))), bytes("{}"));
  EXPECT_TRUE(second.check("plan", in(milliseconds(5000))));
  EXPECT_FALSE(second.check("none", in(milliseconds(5000))));
  EXPECT_EQ(first.count(in(milliseconds(5000))), 2);
  EXPECT_TRUE(first.remove("plan", in(milliseconds(5000))));
  EXPECT_FALSE(host.check("plan", in(milliseconds(5000))));
  const Bytes large(3 << 20, 7);  // a value larger than any socket buffer
  second.set("large", large, in(milliseconds(20000)));
  EXPECT_EQ(first.get("large", in(milliseconds(20000))), large);
}

TEST(Meeting, GetWaitsForAKeyUntilItsDeadline) {
  MeetingHost host(0);
  MeetingGuest guest("127.0.0.1", host.port(), in(milliseconds(5000)));
  std::thread later([&] {
    std::this_thread::sleep_for(milliseconds(100));
    host.set("late", bytes("here"), in(milliseconds(5000)));
  });
  EXPECT_EQ(guest.get("late", in(milliseconds(20000))), bytes("here"));
  later.join();
  const auto start = Clock::now();
  EXPECT_EQ(guest.get("never", in(milliseconds(300))), std::nullopt);
  EXPECT_EQ(host.get("never", in(milliseconds(300))), std::nullopt);
  EXPECT_LT(Clock::now() - start, milliseconds(600) + 2 * kMargin);
}

MeetingError::Kind failure_of(const std::function<void()>& call, milliseconds deadline) {
  const auto start = Clock::now();
  try {
    call();
  } catch (const MeetingError& error) {
    EXPECT_LT(Clock::now() - start, deadline + kMargin) << error.what();
    return error.kind();
  }
  ADD_FAILURE() << "no error";
  return MeetingError::Kind::lost;
}

TEST(Meeting, APortNobodyListensAtIsUnreachableByTheDeadline) {
  std::uint16_t port = 0;
  {
    MeetingHost closed(0);  // a port that was free a moment ago, and is again
    port = closed.port();
  }
  EXPECT_EQ(failure_of([&] { MeetingGuest("127.0.0.1", port, in(milliseconds(500))); }, milliseconds(500)),
            MeetingError::Kind::unreachable);
}

TEST(Meeting, AProgramThatAcceptsButNeverAnswersIsToldApart) {
  OtherProgram silent([](int connection) {
    std::this_thread::sleep_for(milliseconds(2000));
    ::close(connection);
  });
  EXPECT_EQ(failure_of([&] { MeetingGuest("127.0.0.1", silent.port(), in(milliseconds(500))); },
                       milliseconds(1000)),
            MeetingError::Kind::foreign);
}

TEST(Meeting, AProgramThatAnswersSomethingElseIsToldApart) {
  OtherProgram web([](int connection) {
    const char answer[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    [[maybe_unused]] const auto sent = ::send(connection, answer, sizeof answer - 1, MSG_NOSIGNAL);
    reset(connection);
  });
  EXPECT_EQ(failure_of([&] { MeetingGuest("127.0.0.1", web.port(), in(milliseconds(5000))); },
                       milliseconds(5000)),
            MeetingError::Kind::foreign);
}

// A store that greets, then stops answering (its process stopped), or whose connection is reset
// (its machine gone): each request fails by its deadline, and every later one at once.
TEST(Meeting, AHostThatStopsAnsweringOrResetsFailsTheRequestNotTheProcess) {
  // Greets as a store does (meeting.cpp's protocol), then does what `after` does, which ends the
  // connection.
  const auto greet_then = [](std::function<void(int)> after) {
    return [after](int connection) {
      char guest[20];
      const char host[] = "poet-meeting/1 host\n";
      if (::recv(connection, guest, sizeof guest, MSG_WAITALL) == sizeof guest &&
          ::send(connection, host, sizeof host - 1, MSG_NOSIGNAL) == sizeof host - 1) {
        after(connection);
      } else {
        ::close(connection);
      }
    };
  };
  OtherProgram stopped(greet_then([](int connection) {
    std::this_thread::sleep_for(milliseconds(2000));
    ::close(connection);
  }));
  MeetingGuest frozen("127.0.0.1", stopped.port(), in(milliseconds(5000)));
  EXPECT_EQ(failure_of([&] { frozen.check("x", in(milliseconds(500))); }, milliseconds(500)),
            MeetingError::Kind::timeout);
  EXPECT_EQ(failure_of([&] { frozen.check("x", in(milliseconds(5000))); }, milliseconds(0)),
            MeetingError::Kind::lost);

  OtherProgram killed(greet_then([](int connection) {
    char request[64];
    [[maybe_unused]] const auto got = ::recv(connection, request, sizeof request, 0);
    reset(connection);
  }));
  MeetingGuest cut("127.0.0.1", killed.port(), in(milliseconds(5000)));
  EXPECT_EQ(failure_of([&] { cut.get("plan", in(milliseconds(5000))); }, milliseconds(5000)),
            MeetingError::Kind::lost);
}

TEST(Meeting, APortInUseIsSaidSo) {
  MeetingHost first(0);
  try {
    MeetingHost second(first.port());
    ADD_FAILURE() << "two hosts on one port";
  } catch (const MeetingError& error) {
    EXPECT_EQ(error.kind(), MeetingError::Kind::port_in_use);
    EXPECT_EQ(std::string(error.what()), "port " + std::to_string(first.port()) + " is in use on this machine");
  }
}

}  // namespace
}  // namespace poet
