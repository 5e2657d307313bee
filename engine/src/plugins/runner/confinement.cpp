#include "plugins/runner/confinement.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace poet {
namespace {

void write_file(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  [[maybe_unused]] const auto written = ::write(fd, text.data(), text.size());
  ::close(fd);
}

// A user namespace, in which the plugin keeps its user and group ids, a PID namespace for the
// children to come, and a mount namespace for their /proc. False where they cannot be made (a
// container's seccomp policy, or kernel.unprivileged_userns_clone = 0), or
// POET_PLUGIN_NAMESPACES=off says not to.
bool enter_namespaces() {
  // Off by choice: as where the kernel forbids them, and for the tests of that path.
  if (const char* choice = std::getenv("POET_PLUGIN_NAMESPACES"); choice && std::string(choice) == "off")
    return false;
  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS) != 0) return false;
  write_file("/proc/self/uid_map", fmt::format("{0} {0} 1", uid));
  write_file("/proc/self/setgroups", "deny");  // required before gid_map, unprivileged
  write_file("/proc/self/gid_map", fmt::format("{0} {0} 1", gid));
  return true;
}

// In the namespace's first process: a /proc of the namespace's own, so that the plugin sees its
// own processes only, and /proc/<its id> names itself (LeakSanitizer, for one, lists a process's
// threads so). Where the kernel refuses (the /proc outside is partly covered, as in some
// containers), the plugin keeps the /proc outside.
void mount_own_proc() {
  ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
}

// In a child: ends with its parent, the guard, even if the guard is already gone (`alive`'s
// write end closes when it ends).
void follow_guard(const int alive[2]) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::close(alive[1]);
  pollfd guard{alive[0], 0, 0};
  if (::poll(&guard, 1, 0) > 0) ::_exit(1);
  ::close(alive[0]);
}

// The capabilities a user namespace granted, and any a setuid program would: the plugin needs
// none of them.
void drop_capabilities() {
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {};
  ::syscall(SYS_capset, &header, none);
}

// The namespace's init: reaps what is orphaned to it until the host ends, hands the guard how
// the host ended, and exits; the kernel then kills whatever is left in the namespace.
[[noreturn]] void run_init(pid_t host, int status_out) {
  int status = 0;
  for (;;) {
    const pid_t reaped = ::wait(&status);
    if (reaped == host || (reaped < 0 && errno != EINTR)) break;
  }
  [[maybe_unused]] const auto written = ::write(status_out, &status, sizeof status);
  ::_exit(0);
}

// Reaps the children orphaned to this process (a subreaper) that have ended, leaving `child`.
void reap_orphans(pid_t child) {
  for (;;) {
    siginfo_t ended{};
    if (::waitid(P_ALL, 0, &ended, WEXITED | WNOHANG | WNOWAIT) != 0 || ended.si_pid == 0 ||
        ended.si_pid == child)
      return;
    ::waitpid(ended.si_pid, nullptr, 0);
  }
}

// Waits for `child` to end; kills it first if poet hangs up its socket.
int guard(pid_t child, int poet_socket) {
  const int child_fd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
  if (child_fd >= 0) {
    pollfd ends[2] = {{poet_socket, 0, 0}, {child_fd, POLLIN, 0}};  // no events: hang-up only
    for (;;) {
      const int woke = ::poll(ends, 2, 1000);
      if (woke < 0 && errno != EINTR) break;
      reap_orphans(child);
      if (woke <= 0) continue;
      if (ends[1].revents != 0) break;
      if (ends[0].revents != 0) {
        ::kill(child, SIGKILL);
        ends[0].fd = -1;
      }
    }
    ::close(child_fd);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// This process's children, from /proc (a subreaper's include every orphan of its descendants).
std::vector<pid_t> children() {
  std::vector<pid_t> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');  // the command name may hold anything, ')' included
    int parent = 0;
    char state = 0;
    if (close != std::string::npos &&
        std::sscanf(line.c_str() + close + 1, " %c %d", &state, &parent) == 2 &&
        parent == ::getpid())
      found.push_back(std::stoi(name));
  }
  return found;
}

// Without a namespace: kills what the host left, round after round, since the children of each
// process killed are orphaned to this one, until none is left but those it may not kill.
void end_descendants() {
  std::vector<pid_t> untouchable;  // changed their user (setuid): beyond this process's reach
  for (;;) {
    bool killed = false;
    for (const pid_t pid : children()) {
      if (std::find(untouchable.begin(), untouchable.end(), pid) != untouchable.end()) continue;
      if (::kill(pid, SIGKILL) == 0 || errno != EPERM) {
        killed = true;
      } else {
        untouchable.push_back(pid);
      }
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (!killed) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Ends this process as the host ended: by the same signal, or with the same status.
[[noreturn]] void end_as(int status) {
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    ::signal(signal, SIG_DFL);
    sigset_t only;
    ::sigemptyset(&only);
    ::sigaddset(&only, signal);
    ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
    ::raise(signal);
    ::_exit(128 + signal);
  }
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

}  // namespace

void confine(int poet_socket) {
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);  // a crashing plugin leaves no core file behind
  const bool namespaced = enter_namespaces();
  if (!namespaced) ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  int alive[2], host_status[2] = {-1, -1};
  if (::pipe2(alive, O_CLOEXEC) != 0 || (namespaced && ::pipe2(host_status, O_CLOEXEC) != 0))
    ::_exit(1);
  const pid_t child = ::fork();
  if (child < 0) ::_exit(1);
  if (child == 0) {
    follow_guard(alive);
    if (namespaced) {
      ::close(host_status[0]);
      mount_own_proc();
      const pid_t host = ::fork();
      if (host < 0) ::_exit(1);
      if (host > 0) {  // init, process 1 of the namespace
        ::close(poet_socket);
        run_init(host, host_status[1]);
      }
      ::close(host_status[1]);  // the host: init's end ends it, with the namespace
    }
    drop_capabilities();
    return;
  }
  ::close(alive[0]);
  if (namespaced) ::close(host_status[1]);
  int status = guard(child, poet_socket);
  if (namespaced) {
    int host = 0;
    if (::read(host_status[0], &host, sizeof host) == sizeof host) status = host;
  } else {
    end_descendants();
  }
  end_as(status);
}

void limit_address_space(std::uint64_t bytes) {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  statm >> pages;
  const auto in_use = pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGE_SIZE));
  rlimit limit{};
  ::getrlimit(RLIMIT_AS, &limit);
  rlim_t wanted = in_use + bytes;
  if (limit.rlim_max != RLIM_INFINITY && wanted > limit.rlim_max) wanted = limit.rlim_max;
  limit.rlim_cur = limit.rlim_max = wanted;
  ::setrlimit(RLIMIT_AS, &limit);
}

}  // namespace poet
