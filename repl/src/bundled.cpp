#include "bundled.h"

namespace poet::repl {
namespace {

namespace fs = std::filesystem;

fs::path bundled_file(const char* name) {
  std::error_code error;
  const fs::path installed =
      fs::read_symlink("/proc/self/exe", error).parent_path() / "../share/poet/corpora" / name;
  if (!error && fs::exists(installed)) return installed.lexically_normal();
  return fs::path(POET_CORPORA_DIR) / name;
}

}  // namespace

fs::path bundled_corpus() { return bundled_file("tang.tsv"); }
fs::path bundled_model() { return bundled_file("tang.ckpt"); }
fs::path bundled_metre() { return bundled_file("metre.tsv"); }
fs::path bundled_critic() { return bundled_file("critic.ckpt"); }

}  // namespace poet::repl
