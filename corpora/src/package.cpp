#include "package.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <stdexcept>
#include <utility>

namespace fs = std::filesystem;

namespace poet::corpora {

Simplifier::Simplifier() : handle_(opencc_open(OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP)) {
  if (handle_ == reinterpret_cast<opencc_t>(-1)) {
    throw std::runtime_error(fmt::format("cannot open OpenCC t2s: {}", opencc_error()));
  }
}

Simplifier::~Simplifier() { opencc_close(handle_); }

std::string Simplifier::operator()(const std::string& text) const {
  std::unique_ptr<char, void (*)(char*)> out(opencc_convert_utf8(handle_, text.data(), text.size()),
                                             opencc_convert_utf8_free);
  if (!out) throw std::runtime_error(fmt::format("OpenCC failed: {}", opencc_error()));
  return out.get();
}

std::vector<fs::path> source_files(const fs::path& dir, const std::string& dynasty) {
  const std::regex name("poet\\." + dynasty + "\\.(\\d+)\\.json");
  std::vector<std::pair<long, fs::path>> numbered;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch match;
    const std::string file = entry.path().filename().string();
    if (std::regex_match(file, match, name))
      numbered.emplace_back(std::stol(match[1]), entry.path());
  }
  std::sort(numbered.begin(), numbered.end());
  std::vector<fs::path> files;
  for (auto& [number, path] : numbered) files.push_back(std::move(path));
  return files;
}

int run_builder(std::string_view name, std::string_view usage,
                int (*run)(const std::vector<std::string>& args), int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::invalid_argument& error) {
    fmt::print(stderr, "{}: {}\n{}", name, error.what(), usage);
    return 2;
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}: {}\n", name, error.what());
    return 1;
  }
}

}  // namespace poet::corpora
