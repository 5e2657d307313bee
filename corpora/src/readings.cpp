#include "readings.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>

#include "poet/engine/text/text.h"

namespace poet::corpora {

namespace fs = std::filesystem;

namespace {

// The class of several readings: theirs if they agree, 中 if they do not.
Tone combine(Tone a, Tone b) {
  if (a == Tone::unknown) return b;
  if (b == Tone::unknown) return a;
  return a == b ? a : Tone::either;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> result;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) result.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return result;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Unihan

namespace {

// Calls on_field(code point, field, value) for each "U+6708<TAB>kTang<TAB>*ngiuæt" line and
// returns the Unicode version the file's header names.
template <typename OnField>
std::string read_unihan_file(const fs::path& path, OnField on_field) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
  constexpr std::string_view kVersion = "# Unicode version: ";
  std::string version;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(kVersion, 0) == 0) version = line.substr(kVersion.size());
    if (line.rfind("U+", 0) != 0) continue;
    const std::size_t field = line.find('\t');
    const std::size_t value = field == std::string::npos ? field : line.find('\t', field + 1);
    if (value == std::string::npos)
      throw std::runtime_error(fmt::format("{}: a malformed line: {}", path.string(), line));
    const auto code_point =
        static_cast<char32_t>(std::stoul(line.substr(2, field - 2), nullptr, 16));
    on_field(code_point, std::string_view(line).substr(field + 1, value - field - 1),
             std::string_view(line).substr(value + 1));
  }
  return version;
}

}  // namespace

Unihan read_unihan(const fs::path& dir) {
  Unihan unihan;
  unihan.version = read_unihan_file(
      dir / "Unihan_Readings.txt", [&](char32_t c, std::string_view field, std::string_view value) {
        for (auto& reading : words(value)) {
          if (field == "kTang") {
            unihan.entries[c].tang.push_back(reading.substr(reading.front() == '*' ? 1 : 0));
          } else if (field == "kMandarin") {
            unihan.entries[c].mandarin.push_back(std::move(reading));
          } else if (field == "kXHC1983" || field == "kTGHZ2013") {
            unihan.entries[c].mandarin.push_back(
                reading.substr(reading.find(':') + 1));  // "0632.020:kān"
          } else if (field == "kCantonese") {
            unihan.entries[c].cantonese.push_back(std::move(reading));
          }
        }
      });
  read_unihan_file(dir / "Unihan_Variants.txt",
                   [&](char32_t c, std::string_view field, std::string_view value) {
                     if (field != "kTraditionalVariant") return;
                     for (const auto& variant : words(value)) {
                       unihan.entries[c].traditional.push_back(
                           static_cast<char32_t>(std::stoul(variant.substr(2), nullptr, 16)));
                     }
                   });
  if (unihan.version.empty())
    throw std::runtime_error("Unihan_Readings.txt names no Unicode version");
  return unihan;
}

Readings readings_of(const Unihan& unihan, char32_t c) {
  Readings readings;
  std::vector<char32_t> forms{c};
  if (const auto found = unihan.entries.find(c); found != unihan.entries.end()) {
    forms.insert(forms.end(), found->second.traditional.begin(), found->second.traditional.end());
  }
  for (const char32_t form : forms) {
    const auto found = unihan.entries.find(form);
    if (found == unihan.entries.end()) continue;
    readings.tang.insert(found->second.tang.begin(), found->second.tang.end());
    readings.mandarin.insert(found->second.mandarin.begin(), found->second.mandarin.end());
    readings.cantonese.insert(found->second.cantonese.begin(), found->second.cantonese.end());
  }
  return readings;
}

// ---------------------------------------------------------------------------------------------
// Tones

namespace {

// kTang marks the rising tone with a caron and the departing with a grave; an unmarked syllable
// ending in -p, -t or -k is entering; the rest are level.
Tone tang_tone(std::string_view reading) {
  constexpr std::u32string_view kMarked = U"\u030C\u0300ǎěǐǒǔàèìòù";
  const auto syllable = decode_utf8(reading);
  if (syllable.find_first_of(kMarked) != std::u32string::npos) return Tone::oblique;
  return std::u32string_view(U"ptk").find(syllable.back()) != std::u32string_view::npos
             ? Tone::oblique
             : Tone::level;
}

// Cantonese keeps the stops of the old entering tone: "baak6", "jyut6".
bool is_entering(std::string_view jyutping) {
  const std::size_t last = jyutping.find_last_not_of("0123456789");
  return last != std::string_view::npos &&
         std::string_view("ptk").find(jyutping[last]) != std::string_view::npos;
}

// A pinyin syllable with its tone mark taken off: "v" for ü, "E" for ê.
struct Pinyin {
  std::string letters;
  int tone = 0;  // 1-4; 0 for the neutral tone
};

Pinyin parse_pinyin(std::string_view reading) {
  struct Marked {
    char32_t letter;
    char base;
    int tone;
  };
  static constexpr Marked kMarked[] = {
      {U'ā', 'a', 1}, {U'á', 'a', 2}, {U'ǎ', 'a', 3}, {U'à', 'a', 4}, {U'ē', 'e', 1},
      {U'é', 'e', 2}, {U'ě', 'e', 3}, {U'è', 'e', 4}, {U'ī', 'i', 1}, {U'í', 'i', 2},
      {U'ǐ', 'i', 3}, {U'ì', 'i', 4}, {U'ō', 'o', 1}, {U'ó', 'o', 2}, {U'ǒ', 'o', 3},
      {U'ò', 'o', 4}, {U'ū', 'u', 1}, {U'ú', 'u', 2}, {U'ǔ', 'u', 3}, {U'ù', 'u', 4},
      {U'ǖ', 'v', 1}, {U'ǘ', 'v', 2}, {U'ǚ', 'v', 3}, {U'ǜ', 'v', 4}, {U'ü', 'v', 0},
      {U'ê', 'E', 0}, {U'ế', 'E', 2}, {U'ề', 'E', 4}, {U'ḿ', 'm', 2}, {U'ń', 'n', 2},
      {U'ň', 'n', 3}, {U'ǹ', 'n', 4}};
  // Tone marks also come as combining characters after the letter: ê̄, m̀.
  static constexpr std::array<std::pair<char32_t, int>, 4> kCombining = {
      {{0x0304, 1}, {0x0301, 2}, {0x030C, 3}, {0x0300, 4}}};
  Pinyin pinyin;
  for (const char32_t c : decode_utf8(reading)) {
    if (c < 0x80) {
      pinyin.letters += static_cast<char>(c);
      continue;
    }
    const auto marked = std::find_if(std::begin(kMarked), std::end(kMarked),
                                     [c](const Marked& m) { return m.letter == c; });
    const auto combining = std::find_if(kCombining.begin(), kCombining.end(),
                                        [c](const auto& mark) { return mark.first == c; });
    if (marked != std::end(kMarked)) {
      pinyin.letters += marked->base;
      pinyin.tone = marked->tone;
    } else if (combining != kCombining.end()) {
      pinyin.tone = combining->second;
    } else {
      throw std::runtime_error(
          fmt::format("unexpected {} in the pinyin '{}'", describe(c), reading));
    }
  }
  return pinyin;
}

}  // namespace

// Tones 1 and 2 (阴平, 阳平) are level; 3 and 4 oblique; the neutral tone says nothing.
Tone modern_tone(const std::set<std::string>& mandarin) {
  Tone tone = Tone::unknown;
  for (const auto& reading : mandarin) {
    const int number = parse_pinyin(reading).tone;
    if (number != 0) tone = combine(tone, number <= 2 ? Tone::level : Tone::oblique);
  }
  return tone;
}

// kTang where Unihan has it; otherwise Mandarin, corrected by Cantonese, which still ends the
// old entering tone in -p, -t, -k where Mandarin has spread it over all four tones. kTang often
// gives one reading of a character read two ways by sense (更 gēng/gèng, 胜 shēng/shèng): where
// the Mandarin readings of a character that never had the entering tone disagree, it is 中 until
// usage settles it.
Classical classical_tone(const Readings& readings) {
  if (!readings.tang.empty()) {
    Tone tone = Tone::unknown;
    bool entering = false;
    for (const auto& reading : readings.tang) {
      tone = combine(tone, tang_tone(reading));
      entering =
          entering || (tang_tone(reading) == Tone::oblique &&
                       std::string_view("ptk").find(reading.back()) != std::string_view::npos);
    }
    if (!entering && modern_tone(readings.mandarin) == Tone::either) tone = Tone::either;
    return {tone, Source::tang};
  }
  const Tone mandarin = modern_tone(readings.mandarin);
  const auto entering = static_cast<std::size_t>(
      std::count_if(readings.cantonese.begin(), readings.cantonese.end(), is_entering));
  if (entering > 0 && entering == readings.cantonese.size())
    return {Tone::oblique, Source::mandarin_cantonese};
  if (entering > 0 && mandarin == Tone::level) return {Tone::either, Source::mandarin_cantonese};
  return {mandarin, mandarin == Tone::unknown ? Source::none : Source::mandarin_cantonese};
}

// ---------------------------------------------------------------------------------------------
// 中华新韵

namespace {

// The group of a syllable's final, or none for syllables without a vowel (m, n, ng, hm, hng).
std::optional<std::size_t> xinyun_group(const std::string& letters) {
  static const std::map<std::string_view, char32_t> kFinals = {
      {"a", U'麻'},   {"ia", U'麻'},   {"ua", U'麻'},   {"o", U'波'},   {"e", U'波'},
      {"uo", U'波'},  {"io", U'波'},   {"ie", U'皆'},   {"ve", U'皆'},  {"ue", U'皆'},
      {"E", U'皆'},   {"ai", U'开'},   {"uai", U'开'},  {"ei", U'微'},  {"ui", U'微'},
      {"uei", U'微'}, {"ao", U'豪'},   {"iao", U'豪'},  {"ou", U'尤'},  {"iu", U'尤'},
      {"iou", U'尤'}, {"an", U'寒'},   {"ian", U'寒'},  {"uan", U'寒'}, {"van", U'寒'},
      {"en", U'文'},  {"in", U'文'},   {"un", U'文'},   {"uen", U'文'}, {"vn", U'文'},
      {"ang", U'唐'}, {"iang", U'唐'}, {"uang", U'唐'}, {"eng", U'庚'}, {"ing", U'庚'},
      {"ong", U'庚'}, {"iong", U'庚'}, {"ueng", U'庚'}, {"i", U'齐'},   {"er", U'齐'},
      {"v", U'齐'},   {"u", U'姑'}};
  std::string_view syllable = letters;
  std::string_view initial;
  for (const std::string_view two : {"zh", "ch", "sh"}) {
    if (syllable.substr(0, 2) == two) initial = two;
  }
  if (initial.empty() && syllable.size() > 1 &&
      std::string_view("bpmfdtnlgkhjqxrzcsyw").find(syllable.front()) != std::string_view::npos) {
    initial = syllable.substr(0, 1);
  }
  std::string final(syllable.substr(initial.size()));
  // Undo the spelling rules: yu, ju, qu, xu write ü as u; y and w stand for a medial i or u.
  const bool starts_with_u = !final.empty() && final.front() == 'u';
  if (initial == "y") {
    final = starts_with_u ? "v" + final.substr(1) : final.front() == 'i' ? final : "i" + final;
  } else if (initial == "w") {
    final = starts_with_u ? final : "u" + final;
  } else if ((initial == "j" || initial == "q" || initial == "x") && starts_with_u) {
    final = "v" + final.substr(1);
  }
  const auto found = kFinals.find(final);
  if (found == kFinals.end()) return std::nullopt;
  // The "buzzing" i of zhi chi shi ri zi ci si rhymes apart from the i of ji qi xi.
  static const std::set<std::string_view> kSibilants = {"zh", "ch", "sh", "r", "z", "c", "s"};
  const bool buzzing = final == "i" && kSibilants.count(initial) > 0;
  return kXinyunKeys.find(buzzing ? U'支' : found->second);
}

}  // namespace

XinyunGroups xinyun_groups(const std::set<std::string>& mandarin) {
  XinyunGroups groups;
  for (const auto& reading : mandarin) {
    if (const auto group = xinyun_group(parse_pinyin(reading).letters)) groups.set(*group);
  }
  return groups;
}

}  // namespace poet::corpora
