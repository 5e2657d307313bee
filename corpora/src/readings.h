#pragma once
// What Unihan's readings say of a character (internal to poet-metre): its Tang and modern
// readings, and from them its classical tone, its Mandarin tone and its 中华新韵 groups.

#include <bitset>
#include <filesystem>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "poet/engine/metre/metre.h"

namespace poet::corpora {

using XinyunGroups = std::bitset<kXinyunKeys.size()>;

struct UnihanEntry {
  std::vector<std::string> tang;       // kTang, without the '*' that marks the commonest
  std::vector<std::string> mandarin;   // kMandarin, kXHC1983, kTGHZ2013, without page numbers
  std::vector<std::string> cantonese;  // kCantonese, in Jyutping
  std::vector<char32_t> traditional;   // kTraditionalVariant
};

struct Unihan {
  std::string version;  // of the Unicode release, from the files' headers
  std::unordered_map<char32_t, UnihanEntry> entries;
};

// Reads Unihan_Readings.txt and Unihan_Variants.txt from `dir`.
Unihan read_unihan(const std::filesystem::path& dir);

// The readings of a simplified character: its own and its traditional forms', since Unihan
// gives the Tang readings of 風 and 國, not of 风 and 国.
struct Readings {
  std::set<std::string> tang, mandarin, cantonese;
};

Readings readings_of(const Unihan& unihan, char32_t c);

enum class Source { none, tang, mandarin_cantonese };

struct Classical {
  Tone tone = Tone::unknown;
  Source source = Source::none;
};

// kTang where Unihan has it; otherwise Mandarin, corrected by Cantonese (below, in readings.cpp).
Classical classical_tone(const Readings& readings);
// Tones 1 and 2 (阴平, 阳平) are level; 3 and 4 oblique; the neutral tone says nothing.
Tone modern_tone(const std::set<std::string>& mandarin);
XinyunGroups xinyun_groups(const std::set<std::string>& mandarin);

}  // namespace poet::corpora
