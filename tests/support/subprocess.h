#pragma once
// Runs a program with the given standard input and collects what it prints, as a test would from
// a shell: `printf 'help\n' | poet`.

#include <string>
#include <vector>

namespace poet::test {

struct Completed {
  int exit_code = -1;  // 128 + signal number if a signal ended it
  std::string out;
  std::string err;
  long max_rss_kb = 0;  // the child's peak resident memory
};

Completed run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::string& input = {});

}  // namespace poet::test
