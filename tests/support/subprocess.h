#pragma once
// Runs a program with the given standard input and collects what it prints, as a test would from
// a shell: `printf 'help\n' | poet`; or starts one beside the test, to kill it at a chosen moment.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poet::test {

struct Completed {
  int exit_code = -1;  // 128 + signal number if a signal ended it
  std::string out;
  std::string err;
  long max_rss_kb = 0;  // the child's peak resident memory
};

// What the child runs under, set between fork and exec.
struct Limits {
  // RLIMIT_FSIZE in bytes, with SIGXFSZ ignored: a write past it fails with EFBIG, as a write to
  // a full disk fails with ENOSPC, and no root is needed to arrange it.
  std::optional<std::uint64_t> file_size;
};

Completed run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::string& input = {}, const Limits& limits = {});

// The processes whose parent is `parent` (from /proc): the workers a training run started.
std::vector<pid_t> child_processes(pid_t parent);

// Whether a process still runs (a zombie no longer counts: nobody may be left to reap it).
bool process_runs(pid_t pid);

// Waits, up to a minute, for a process to end; whether it did.
bool process_ends(pid_t pid);

// Whether the process that locked the file at `path` (flock) still runs: a lock names a process
// the same inside a plugin's PID namespace and outside, where a process id does not.
bool lock_holder_runs(const std::string& path);
// Waits, up to a minute, for it to end; whether it did.
bool lock_holder_ends(const std::string& path);

// A program running beside the test, its standard output and error read through one pipe.
class RunningProgram {
 public:
  RunningProgram(const std::string& program, const std::vector<std::string>& args);
  ~RunningProgram();  // kills it if it still runs
  RunningProgram(const RunningProgram&) = delete;
  RunningProgram& operator=(const RunningProgram&) = delete;

  // Reads its output until `expected` appears after what earlier waits consumed; false on timeout
  // or when the program has closed its output without printing it.
  bool wait_for(std::string_view expected,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Sends `signal` and waits for the program to end: its exit code as Completed gives it.
  int kill(int signal);
  // Everything it has printed so far.
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string output_;
  std::size_t consumed_ = 0;
};

}  // namespace poet::test
