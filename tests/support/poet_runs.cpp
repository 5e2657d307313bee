#include "poet_runs.h"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

#include "scratch.h"

namespace poet::test {

namespace fs = std::filesystem;

Completed poet(const std::vector<std::string>& args, const std::string& input) {
  return run_program(POET_EXECUTABLE, args, input);
}

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::path(scratch_dir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

fs::path small_config(const fs::path& dir, const std::map<std::string, std::string>& train) {
  std::map<std::string, std::string> keys{
      {"batch_size", "16"}, {"min_count", "1"},        {"threads", "1"},  {"warmup_steps", "2"},
      {"eval_every", "4"},  {"checkpoint_every", "2"}, {"log_every", "2"}};
  for (const auto& [key, value] : train) keys[key] = value;
  const auto file = dir / "poet.toml";
  std::ofstream out(file);
  out << "[model]\nembedding_size = 16\nhidden_size = 32\n[train]\n";
  for (const auto& [key, value] : keys) out << key << " = " << value << "\n";
  return file;
}

const fs::path& tiny_model() {
  static const fs::path model = [] {
    const auto dir = fresh_dir("tiny_model");
    const auto out = dir / "tiny.ckpt";
    const auto run =
        poet({"-c", fmt::format("train --corpus {}/fixture.tsv --steps 4 --config {} --out {}",
                                POET_CORPORA_DIR, small_config(dir).string(), out.string())});
    if (run.exit_code != 0) throw std::runtime_error("training the tiny model failed: " + run.err);
    return out;
  }();
  return model;
}

}  // namespace poet::test
