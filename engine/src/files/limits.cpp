#include "poet/engine/files/limits.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

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
  const std::string copy(text);  // strtod needs the terminating NUL
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  const std::string_view suffix(end);
  const double scale = suffix.empty() ? 1 : suffix == "K" ? 1e3 : suffix == "M" ? 1e6 : suffix == "G" ? 1e9 : 0;
  if (!(value * scale >= 1) || value * scale > 1e18) return std::nullopt;
  return static_cast<std::uint64_t>(value * scale);
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
