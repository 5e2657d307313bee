// poet-metre: builds poet's metre lexicon (corpora/metre.tsv): for every character of the corpus,
// its classical tone, its 平水韵 level rhyme groups, its modern tone and its 中华新韵 groups, from
// Unihan's readings, the rhymes of 声律启蒙 and the usage of the Tang regulated poems. Prints a
// report of where each came from, how much of the corpus it covers, and how it agrees with
// chinese-poetry's 平仄 annotations. corpora/build.sh runs it after poet-corpus.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "package.h"
#include "poet/engine/files/corpus.h"
#include "poet/engine/files/files.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/text/forms.h"
#include "poet/engine/text/text.h"
#include "readings.h"

namespace fs = std::filesystem;
using namespace poet;
using namespace poet::corpora;

namespace {

constexpr std::string_view kUsage =
    "usage: poet-metre CORPUS PACKAGE_DIR UNIHAN_DIR OUTPUT\n"
    "  CORPUS       the prepared corpus (corpora/tang.tsv)\n"
    "  PACKAGE_DIR  chinese-poetry's dist folder: mengxue/shenglvqimeng.json, and the\n"
    "               poet.tang.*.json in quantangshi/ and strains/json/\n"
    "  UNIHAN_DIR   holds Unihan_Readings.txt and Unihan_Variants.txt\n"
    "  OUTPUT       the metre lexicon to write (tab-separated)\n";

using PingshuiGroups = std::bitset<kPingshuiKeys.size()>;

// Settling 中 by usage needs this many uses, this share of them on one side (in tenths).
constexpr std::size_t kMinUses = 8;
constexpr std::size_t kUsageTenths = 9;
// A character joins a level group with this many votes, and more than this share of its votes (in
// tenths): the group most of its rhymes are in.
constexpr std::size_t kMinVotes = 3;
constexpr std::size_t kVoteTenths = 5;

// ---------------------------------------------------------------------------------------------
// The corpus and the lexicon

struct Corpus {
  std::map<char32_t, std::size_t> occurrences;   // of each Han character in the texts
  std::vector<std::vector<char32_t>> regulated;  // the last character of each line, per poem
  std::vector<std::vector<std::u32string>> lines;  // the same poems' lines
};

Corpus read_tang(const fs::path& path) {
  Corpus corpus;
  const auto problems = read_corpus(path, [&](Poem&& poem) {
    const auto text = decode_utf8(poem.text);
    for (const char32_t c : text) {
      if (is_han(c)) ++corpus.occurrences[c];
    }
    if (poem.form == Form::other) return;
    std::vector<char32_t> ends;
    std::vector<std::u32string> lines;
    for (const auto line : verse_lines(text)) {
      ends.push_back(line.back());
      lines.emplace_back(line);
    }
    corpus.regulated.push_back(std::move(ends));
    corpus.lines.push_back(std::move(lines));
  });
  if (!problems.empty()) {
    throw std::runtime_error(fmt::format("{} line {}: {}", path.string(), problems.front().line,
                                         problems.front().message));
  }
  return corpus;
}

struct Entry {
  Classical classical;
  bool settled = false;  // 中 by its readings, settled by usage
  bool seeded = false;   // its groups come from 声律启蒙, which the Tang poems do not change
  PingshuiGroups pingshui;
  Tone modern = Tone::unknown;
  XinyunGroups xinyun;
};

using Lexicon = std::map<char32_t, Entry>;

// 声律启蒙 rhymes each chapter on one level group, named in its title ("一 東"): the character
// before each 。 is a rhyme.
std::map<char32_t, PingshuiGroups> read_seeds(const fs::path& path,
                                              const corpora::Simplifier& simplify) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
  const auto book = nlohmann::json::parse(in);
  std::map<char32_t, PingshuiGroups> seeds;
  PingshuiGroups chapters;
  for (const auto& volume : book.at("content")) {
    for (const auto& chapter : volume.at("content")) {
      const auto title = decode_utf8(simplify(chapter.at("chapter").get<std::string>()));
      const std::size_t group = kPingshuiKeys.find(title.back());
      if (group == std::u32string_view::npos) {
        throw std::runtime_error(
            fmt::format("声律启蒙 chapter '{}' names no level group", encode_utf8(title)));
      }
      chapters.set(group);
      for (const auto& paragraph : chapter.at("paragraphs")) {
        const auto text = decode_utf8(simplify(paragraph.get<std::string>()));
        for (std::size_t i = 1; i < text.size(); ++i) {
          if (text[i] == U'。' && is_han(text[i - 1])) seeds[text[i - 1]].set(group);
        }
      }
    }
  }
  if (!chapters.all()) throw std::runtime_error("声律启蒙 lacks chapters for some level groups");
  return seeds;
}

// A regulated poem follows one of the standard patterns (poet::MetrePattern, the engine's own),
// which fix the tone of positions 2, 4, 6 and each line's end. Where the characters whose tone is
// certain fit a pattern with at most one exception, each 中 character at those positions is used
// there as the pattern says: its uses settle it. Returns how many poems fit a pattern.
std::size_t settle_by_usage(Lexicon& lexicon, const std::vector<std::vector<std::u32string>>& poems) {
  std::map<char32_t, std::array<std::size_t, 2>> uses;  // as 平, as 仄
  std::size_t fitting = 0;
  for (const auto& lines : poems) {
    const int length = static_cast<int>(lines.front().size());
    std::optional<MetrePattern> best;
    int best_misses = 0;
    for (const bool level_start : {false, true}) {
      for (const bool first_rhymes : {false, true}) {
        const MetrePattern pattern{length, level_start, first_rhymes};
        int misses = 0;
        for (std::size_t line = 0; line < lines.size(); ++line) {
          for (int column = 0; column < length; ++column) {
            if (!pattern.key(column)) continue;
            const Tone tone = lexicon.at(lines[line][static_cast<std::size_t>(column)]).classical.tone;
            const bool level = pattern.tone(static_cast<int>(line), column) == Tone::level;
            misses += (tone == Tone::level && !level) || (tone == Tone::oblique && level);
          }
        }
        if (!best || misses < best_misses) best = pattern, best_misses = misses;
      }
    }
    if (best_misses > 1) continue;
    ++fitting;
    for (std::size_t line = 0; line < lines.size(); ++line) {
      for (int column = 0; column < length; ++column) {
        const char32_t c = lines[line][static_cast<std::size_t>(column)];
        if (!best->key(column) || lexicon.at(c).classical.tone != Tone::either) continue;
        ++uses[c][best->tone(static_cast<int>(line), column) == Tone::level ? 0 : 1];
      }
    }
  }
  for (const auto& [c, counts] : uses) {
    auto& entry = lexicon.at(c);
    const auto [as_level, as_oblique] = counts;
    const std::size_t total = as_level + as_oblique;
    if (total < kMinUses) continue;
    if (as_level * 10 >= total * kUsageTenths) {
      entry.classical.tone = Tone::level;
      entry.settled = true;
    } else if (as_oblique * 10 >= total * kUsageTenths) {
      entry.classical.tone = Tone::oblique;
      entry.settled = true;
    }
  }
  return fitting;
}

// The poem's level group: the one holding at least two of its rhymes and more than any other.
std::optional<std::size_t> poem_group(const Lexicon& lexicon, const std::vector<char32_t>& ends) {
  std::array<std::size_t, kPingshuiKeys.size()> rhymes_in{};
  for (std::size_t i = 1; i < ends.size(); i += 2) {
    const auto& groups = lexicon.at(ends[i]).pingshui;
    for (std::size_t g = 0; g < groups.size(); ++g) rhymes_in[g] += groups[g];
  }
  const auto best = std::max_element(rhymes_in.begin(), rhymes_in.end());
  if (*best < 2 || std::count(rhymes_in.begin(), rhymes_in.end(), *best) > 1) return std::nullopt;
  return static_cast<std::size_t>(best - rhymes_in.begin());
}

// Grows the level groups from the seeds: the rhymes of a poem that rhymes on a group vote for it,
// and a level or 中 character with enough votes joins it (a seed keeps the groups 声律启蒙 gave it:
// poets also rhymed neighbouring groups together, 东 with 冬, which is no reason to merge them).
// Rounds go on until none adds anything;
// returns how many added something.
std::size_t extend_pingshui(Lexicon& lexicon, const std::vector<std::vector<char32_t>>& poems) {
  for (std::size_t round = 0;; ++round) {
    std::map<char32_t, std::array<std::size_t, kPingshuiKeys.size()>> votes;
    for (const auto& ends : poems) {
      const auto group = poem_group(lexicon, ends);
      if (!group) continue;
      for (std::size_t i = 1; i < ends.size(); i += 2) ++votes[ends[i]][*group];
    }
    bool changed = false;
    for (const auto& [c, counts] : votes) {
      auto& entry = lexicon.at(c);
      if (entry.seeded || (entry.classical.tone != Tone::level && entry.classical.tone != Tone::either))
        continue;
      const std::size_t total = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
      for (std::size_t g = 0; g < counts.size(); ++g) {
        if (!entry.pingshui[g] && counts[g] >= kMinVotes && counts[g] * 10 > total * kVoteTenths) {
          entry.pingshui.set(g);
          changed = true;
        }
      }
    }
    if (!changed) return round;
  }
}

void write_lexicon(const fs::path& path, const Lexicon& lexicon) {
  std::string text = std::string(kMetreLexiconHeader) + "\n";
  for (const auto& [c, entry] : lexicon) {
    MetreEntry line;
    line.tone[static_cast<int>(RhymeBook::pingshui)] = entry.classical.tone;
    line.tone[static_cast<int>(RhymeBook::xinyun)] = entry.modern;
    line.groups[static_cast<int>(RhymeBook::pingshui)] = static_cast<GroupSet>(entry.pingshui.to_ulong());
    line.groups[static_cast<int>(RhymeBook::xinyun)] = static_cast<GroupSet>(entry.xinyun.to_ulong());
    text += metre_line(c, line) + "\n";
  }
  AtomicFile out(path, "metre lexicon");  // a failed run never leaves half a lexicon
  out.write(text);
  out.commit();
}

// ---------------------------------------------------------------------------------------------
// Agreement with chinese-poetry's 平仄 annotations

struct Agreement {
  std::size_t aligned = 0;
  std::size_t lengths_differ = 0;
  std::size_t without_poem = 0;
  std::size_t annotated = 0;  // positions annotated 平 or 仄
  std::size_t judged = 0;     // of those, where the lexicon says 平 or 仄
  std::size_t agreed = 0;
};

// The annotations (strains/json) name their poem (quantangshi) by id and mark each character 平,
// 仄, ○ (unknown) or 通 (either); they are aligned with the poem's Han characters, punctuation left
// out. Their ？ stands for a question mark and for a character they could not read alike, so it
// goes with the punctuation, and a poem with such a character is skipped: the lengths differ.
Agreement compare_strains(const Lexicon& lexicon, const fs::path& package,
                          const corpora::Simplifier& simplify) {
  std::unordered_map<std::string, std::string> poems;
  for (const auto& file : corpora::source_files(package / "quantangshi", "tang")) {
    std::ifstream in(file);
    for (const auto& entry : nlohmann::json::parse(in)) {
      std::string text;
      for (const auto& paragraph : entry.value("paragraphs", nlohmann::json::array())) {
        text += paragraph.get<std::string>();
      }
      poems.emplace(entry.at("id").get<std::string>(), std::move(text));
    }
  }
  const auto strains_files = corpora::source_files(package / "strains" / "json", "tang");
  if (poems.empty() || strains_files.empty()) {
    throw std::runtime_error(
        fmt::format("no poet.tang.*.json in {}/quantangshi or strains/json", package.string()));
  }
  Agreement agreement;
  for (const auto& file : strains_files) {
    std::ifstream in(file);
    for (const auto& entry : nlohmann::json::parse(in)) {
      const auto poem = poems.find(entry.at("id").get<std::string>());
      if (poem == poems.end()) {
        ++agreement.without_poem;
        continue;
      }
      std::u32string marks;
      for (const auto& line : entry.at("strains")) {
        for (const char32_t c : decode_utf8(line.get<std::string>())) {
          if (!is_verse_punctuation(c)) marks += c;
        }
      }
      std::u32string characters;
      for (const char32_t c : decode_utf8(simplify(poem->second))) {
        if (is_han(c)) characters += c;
      }
      if (marks.size() != characters.size()) {
        ++agreement.lengths_differ;
        continue;
      }
      ++agreement.aligned;
      for (std::size_t i = 0; i < marks.size(); ++i) {
        if (marks[i] != U'平' && marks[i] != U'仄') continue;
        ++agreement.annotated;
        const auto found = lexicon.find(characters[i]);
        const Tone ours = found == lexicon.end() ? Tone::unknown : found->second.classical.tone;
        if (ours != Tone::level && ours != Tone::oblique) continue;
        ++agreement.judged;
        if ((ours == Tone::level) == (marks[i] == U'平')) ++agreement.agreed;
      }
    }
  }
  return agreement;
}

// ---------------------------------------------------------------------------------------------
// The report

std::string percent(std::size_t part, std::size_t whole) {
  return fmt::format(
      "{:.2f}%", whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

struct Facts {
  std::string unihan_version;
  std::size_t corpus_characters = 0;
  std::size_t regulated = 0;
  std::size_t fitting = 0;
  std::size_t seed_characters = 0;
  std::u32string oblique_seeds;  // rhymes in 声律启蒙 that Unihan reads only 仄
  std::size_t rounds = 0;
  Agreement agreement;
};

// Where the lexicon's tones and groups came from.
void print_report(const Lexicon& lexicon, const Facts& facts) {
  fmt::print("Unihan of Unicode {}\n", facts.unihan_version);
  fmt::print("lexicon: {} characters ({} in the corpus, {} more among the rhyme seeds)\n",
             lexicon.size(), facts.corpus_characters, lexicon.size() - facts.corpus_characters);

  std::map<std::pair<Tone, Source>, std::size_t> by_source;
  std::map<Tone, std::size_t> settled;
  std::size_t with_modern = 0;
  std::size_t with_xinyun = 0;
  std::size_t grouped = 0;
  std::size_t memberships = 0;
  std::size_t in_several = 0;
  for (const auto& [c, entry] : lexicon) {
    if (entry.settled) {
      ++settled[entry.classical.tone];
    } else {
      ++by_source[{entry.classical.tone, entry.classical.source}];
    }
    with_modern += entry.modern != Tone::unknown;
    with_xinyun += entry.xinyun.any();
    grouped += entry.pingshui.any();
    memberships += entry.pingshui.count();
    in_several += entry.pingshui.count() > 1;
  }
  for (const Tone tone : {Tone::level, Tone::oblique}) {
    const std::size_t tang = by_source[{tone, Source::tang}];
    const std::size_t mandarin = by_source[{tone, Source::mandarin_cantonese}];
    fmt::print("tone {}: {} ({} by kTang, {} by Mandarin and Cantonese, {} settled by usage)\n",
               tone_mark(tone), tang + mandarin + settled[tone], tang, mandarin, settled[tone]);
  }
  const std::size_t either_tang = by_source[{Tone::either, Source::tang}];
  const std::size_t either_mandarin = by_source[{Tone::either, Source::mandarin_cantonese}];
  fmt::print("tone 中: {} ({} by kTang, {} by Mandarin and Cantonese, left unsettled by usage)\n",
             either_tang + either_mandarin, either_tang, either_mandarin);
  fmt::print("tone unknown: {}\n", by_source[{Tone::unknown, Source::none}]);
  fmt::print("usage: {} regulated poems, {} of them fitting a standard pattern\n", facts.regulated,
             facts.fitting);
  fmt::print("modern tone: {} characters; 中华新韵 groups: {} characters\n", with_modern,
             with_xinyun);
  fmt::print("平水韵 seeds from 声律启蒙: {} characters ({} of them 仄 by their readings: {})\n",
             facts.seed_characters, facts.oblique_seeds.size(), encode_utf8(facts.oblique_seeds));
  fmt::print("平水韵 from the Tang poems: {} characters added in {} rounds\n",
             grouped - facts.seed_characters, facts.rounds);
  fmt::print("平水韵 in all: {} characters in level groups ({} in two or more), {} memberships\n",
             grouped, in_several, memberships);
}

// How much of the corpus the lexicon covers, and how it agrees with chinese-poetry's annotations.
void print_coverage(const Lexicon& lexicon, const Corpus& corpus, const Facts& facts) {
  std::size_t occurrences = 0;
  std::size_t known = 0;
  std::size_t level = 0;
  std::size_t level_grouped = 0;
  for (const auto& [c, count] : corpus.occurrences) {
    const auto& entry = lexicon.at(c);
    occurrences += count;
    if (entry.classical.tone != Tone::unknown) known += count;
    if (entry.classical.tone == Tone::level) {
      level += count;
      if (entry.pingshui.any()) level_grouped += count;
    }
  }
  std::size_t rhymes = 0;
  std::size_t rhymes_grouped = 0;
  for (const auto& ends : corpus.regulated) {
    for (std::size_t i = 1; i < ends.size(); i += 2) {
      ++rhymes;
      rhymes_grouped += lexicon.at(ends[i]).pingshui.any();
    }
  }
  fmt::print("coverage: {} of the corpus's {} Han characters have a known tone\n",
             percent(known, occurrences), occurrences);
  fmt::print("coverage: {} of its {} characters of tone 平 have a level group\n",
             percent(level_grouped, level), level);
  fmt::print("coverage: {} of the {} even-line ends of its regulated poems have a level group\n",
             percent(rhymes_grouped, rhymes), rhymes);

  const auto& agreement = facts.agreement;
  fmt::print(
      "平仄 annotations: {} poems aligned, {} skipped (lengths differ), {} without their poem\n",
      agreement.aligned, agreement.lengths_differ, agreement.without_poem);
  fmt::print("agreement: {} of the {} annotated 平/仄 positions where the lexicon says 平 or 仄\n",
             percent(agreement.agreed, agreement.judged), agreement.judged);
  fmt::print("undecided: {} of the {} annotated 平/仄 positions are 中 or unknown in the lexicon\n",
             percent(agreement.annotated - agreement.judged, agreement.annotated),
             agreement.annotated);
}

int run(const std::vector<std::string>& args) {
  if (args.size() != 4)
    throw std::invalid_argument("expected CORPUS, PACKAGE_DIR, UNIHAN_DIR and OUTPUT");
  const fs::path package = args[1];
  const corpora::Simplifier simplify;
  const Unihan unihan = read_unihan(args[2]);
  const Corpus corpus = read_tang(args[0]);
  const auto seeds = read_seeds(package / "mengxue" / "shenglvqimeng.json", simplify);

  Lexicon lexicon;
  for (const auto& [c, count] : corpus.occurrences) lexicon[c];
  for (const auto& [c, groups] : seeds) {
    lexicon[c].pingshui = groups;
    lexicon[c].seeded = true;
  }
  for (auto& [c, entry] : lexicon) {
    const Readings readings = readings_of(unihan, c);
    entry.classical = classical_tone(readings);
    entry.modern = modern_tone(readings.mandarin);
    entry.xinyun = xinyun_groups(readings.mandarin);
  }
  Facts facts;
  facts.unihan_version = unihan.version;
  facts.corpus_characters = corpus.occurrences.size();
  facts.regulated = corpus.regulated.size();
  facts.fitting = settle_by_usage(lexicon, corpus.lines);
  facts.seed_characters = seeds.size();
  for (const auto& [c, groups] : seeds) {
    if (lexicon.at(c).classical.tone == Tone::oblique) facts.oblique_seeds += c;
  }
  facts.rounds = extend_pingshui(lexicon, corpus.regulated);
  facts.agreement = compare_strains(lexicon, package, simplify);

  write_lexicon(args[3], lexicon);
  print_report(lexicon, facts);
  print_coverage(lexicon, corpus, facts);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return corpora::run_builder("poet-metre", kUsage, run, argc, argv);
}
