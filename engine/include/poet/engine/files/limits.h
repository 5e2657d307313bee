#pragma once
// What one model, checkpoint or input may cost. Each is checked before anything is allocated,
// so a value that would exhaust the machine is refused with a one-line error instead.
//
// The memory limit is half the machine's physical memory, or POET_MEMORY_LIMIT (bytes, or with a
// K, M or G suffix: "48G") where a user wants more or less.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace poet {

// The longest poem poet reads from a file or writes, in characters; longer ones in a corpus are
// left out and counted. The longest Tang poem is under 3,000.
inline constexpr std::size_t kLongestPoem = 20'000;

struct MemoryLimit {
  std::uint64_t bytes = 0;
  std::string origin;  // "half of this machine's 23.4 GB" or "POET_MEMORY_LIMIT=48G"
};
// Throws poet::Error for a POET_MEMORY_LIMIT that is not a size.
MemoryLimit memory_limit();

// A size as POET_MEMORY_LIMIT and poet.toml take it: bytes, or with a unit, K, M or G (powers of
// ten, with or without a B: "48G", "1.5 GB") or KiB, MiB or GiB (powers of two), in either case
// and with or without a space; nothing for what is not a positive size.
std::optional<std::uint64_t> parse_size(std::string_view text);

// "1.5 GB", "820 MB".
std::string describe_bytes(std::uint64_t bytes);

// Throws Error::limit unless `bytes`, what `what` needs ("training a model of ..."), fits the
// limit; the message says "about", for an estimate.
void check_fits(std::string_view what, std::uint64_t bytes);

// Throws poet::Error unless a file of this size may be read whole into memory.
void check_file_fits(const std::filesystem::path& file, std::string_view what);

}  // namespace poet
