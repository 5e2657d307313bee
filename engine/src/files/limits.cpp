#include "poet/engine/files/limits.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iterator>
#include <string>
#include <utility>

#include "poet/engine/error.h"

namespace poet {
namespace {

constexpr std::string_view kRaise = "POET_MEMORY_LIMIT raises it";

[[noreturn]] void refuse(std::string_view what, std::uint64_t needs, const MemoryLimit& limit) {
  throw Error::limit(fmt::format("{} needs about {}, over poet's memory limit of {} ({}; {})", what,
                                 describe_bytes(needs), describe_bytes(limit.bytes), limit.origin,
                                 kRaise));
}

}  // namespace

std::string describe_bytes(std::uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1e9) return fmt::format("{:.1f} GB", b / 1e9);
  if (b >= 1e6) return fmt::format("{:.1f} MB", b / 1e6);
  return fmt::format("{:.1f} kB", b / 1e3);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  // Digits with at most one point, then at most one space, then the unit.
  std::size_t digits = 0, points = 0;
  for (; digits < text.size(); ++digits) {
    if (text[digits] == '.' && points++ == 0) continue;
    if (!std::isdigit(static_cast<unsigned char>(text[digits]))) break;
  }
  if (digits == points) return std::nullopt;
  const double value = std::stod(std::string(text.substr(0, digits)));
  std::string_view rest = text.substr(digits);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  std::string unit;
  for (const char c : rest) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},       {"B", 1},          {"K", 1e3},           {"KB", 1e3},
      {"M", 1e6},    {"MB", 1e6},       {"G", 1e9},           {"GB", 1e9},
      {"KIB", 1024}, {"MIB", 1 << 20}, {"GIB", 1 << 30}};
  const auto found = std::find_if(std::begin(kUnits), std::end(kUnits),
                                  [&](const auto& u) { return u.first == unit; });
  if (found == std::end(kUnits)) return std::nullopt;
  const double bytes = value * found->second;
  if (!(bytes >= 1) || bytes > 1e18) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

MemoryLimit memory_limit() {
  if (const char* text = std::getenv("POET_MEMORY_LIMIT"); text != nullptr && *text != '\0') {
    const std::optional<std::uint64_t> bytes = parse_size(text);
    if (!bytes) {
      throw Error::input(fmt::format(
          "POET_MEMORY_LIMIT must be a size such as 8000000000, 8000M or 8G, not '{}'", text));
    }
    return {*bytes, fmt::format("POET_MEMORY_LIMIT={}", text)};
  }
  const auto machine = static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                       static_cast<std::uint64_t>(sysconf(_SC_PAGE_SIZE));
  return {machine / 2, fmt::format("half of this machine's {}", describe_bytes(machine))};
}

void check_fits(std::string_view what, std::uint64_t bytes) {
  const MemoryLimit limit = memory_limit();
  if (bytes > limit.bytes) refuse(what, bytes, limit);
}

void check_file_fits(const std::filesystem::path& file, std::string_view what) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(file, error);
  if (error) return;  // reading it will say what is wrong
  const MemoryLimit limit = memory_limit();
  if (size > limit.bytes) {
    throw Error::limit(fmt::format("{} '{}' is {}, over poet's memory limit of {} ({}; {})", what,
                                   file.string(), describe_bytes(size), describe_bytes(limit.bytes),
                                   limit.origin, kRaise));
  }
}

}  // namespace poet
