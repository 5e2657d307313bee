#pragma once
// Reading the chinese-poetry package: its numbered JSON files in a fixed order, and OpenCC to
// simplify their traditional characters; and the builders' common main(). Shared by poet-corpus
// and poet-metre.

#include <opencc/opencc.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace poet::corpora {

// OpenCC's traditional-to-simplified conversion.
class Simplifier {
 public:
  Simplifier();
  ~Simplifier();
  Simplifier(const Simplifier&) = delete;
  Simplifier& operator=(const Simplifier&) = delete;

  std::string operator()(const std::string& text) const;

 private:
  opencc_t handle_;
};

// poet.tang.0.json, poet.tang.1000.json, ... in numeric order, so the output order is fixed.
std::vector<std::filesystem::path> source_files(const std::filesystem::path& dir,
                                                const std::string& dynasty);

// A builder's main(): `run` on the arguments. A std::invalid_argument (a bad command line) exits
// with status 2 after the usage, any other failure with 1, each as one line naming the builder.
int run_builder(std::string_view name, std::string_view usage,
                int (*run)(const std::vector<std::string>& args), int argc, char** argv);

}  // namespace poet::corpora
