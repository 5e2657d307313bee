#include "poet/engine/metre/metre.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>

#include "poet/engine/error.h"
#include "poet/engine/files/files.h"
#include "poet/engine/text/forms.h"
#include "poet/engine/text/text.h"

namespace poet {
namespace {

struct Book {
  std::u32string_view keys;  // one character per group, in order
  std::vector<std::string> names;
};

const Book& book(RhymeBook which) {
  static const Book pingshui{
      kPingshuiKeys,
      {"一东", "二冬", "三江", "四支", "五微", "六鱼", "七虞", "八齐", "九佳", "十灰",
       "十一真", "十二文", "十三元", "十四寒", "十五删", "一先", "二萧", "三肴", "四豪", "五歌",
       "六麻", "七阳", "八庚", "九青", "十蒸", "十一尤", "十二侵", "十三覃", "十四盐", "十五咸"}};
  static const Book xinyun{kXinyunKeys,
                           {"一麻", "二波", "三皆", "四开", "五微", "六豪", "七尤", "八寒", "九文",
                            "十唐", "十一庚", "十二齐", "十三支", "十四姑"}};
  return which == RhymeBook::pingshui ? pingshui : xinyun;
}

GroupSet all_groups(RhymeBook which) {
  return static_cast<GroupSet>((std::uint64_t{1} << book(which).keys.size()) - 1);
}

// A tone as the lexicon's file writes it: tone_mark(), but nothing for unknown.
std::string_view tone_field(Tone tone) { return tone == Tone::unknown ? "" : tone_mark(tone); }

std::string groups_field(GroupSet groups, RhymeBook which) {
  std::u32string keys;
  for (std::size_t g = 0; g < book(which).keys.size(); ++g) {
    if ((groups >> g & 1) != 0) keys += book(which).keys[g];
  }
  return encode_utf8(keys);
}

std::optional<Tone> parse_tone(std::string_view text) {
  for (const Tone tone : {Tone::unknown, Tone::level, Tone::oblique, Tone::either}) {
    if (text == tone_field(tone)) return tone;
  }
  return std::nullopt;
}

std::optional<GroupSet> parse_groups(std::u32string_view text, RhymeBook which) {
  GroupSet groups = 0;
  for (const char32_t c : text) {
    const auto index = book(which).keys.find(c);
    if (index == std::u32string_view::npos) return std::nullopt;
    groups |= GroupSet{1} << index;
  }
  return groups;
}

bool fits(Tone actual, Tone asked) {
  return actual == Tone::unknown ||
         (static_cast<std::uint8_t>(actual) & static_cast<std::uint8_t>(asked)) != 0;
}

Tone opposite(Tone tone) { return tone == Tone::level ? Tone::oblique : Tone::level; }

}  // namespace

std::string_view tone_mark(Tone tone) {
  switch (tone) {
    case Tone::level: return "平";
    case Tone::oblique: return "仄";
    case Tone::either: return "中";
    case Tone::unknown: break;
  }
  return "？";
}

std::string_view book_name(RhymeBook which) {
  return which == RhymeBook::pingshui ? "平水韵" : "中华新韵";
}

std::optional<RhymeBook> parse_book(std::string_view name) {
  for (const RhymeBook which : {RhymeBook::pingshui, RhymeBook::xinyun}) {
    if (name == book_name(which)) return which;
  }
  return std::nullopt;
}

const std::vector<std::string>& group_names(RhymeBook which) { return book(which).names; }

std::string metre_line(char32_t c, const MetreEntry& entry) {
  constexpr int pingshui = static_cast<int>(RhymeBook::pingshui);
  constexpr int xinyun = static_cast<int>(RhymeBook::xinyun);
  return fmt::format("{}\t{}\t{}\t{}\t{}", encode_utf8(c), tone_field(entry.tone[pingshui]),
                     groups_field(entry.groups[pingshui], RhymeBook::pingshui),
                     tone_field(entry.tone[xinyun]), groups_field(entry.groups[xinyun], RhymeBook::xinyun));
}

std::optional<int> parse_group(RhymeBook which, std::string_view name) {
  const Book& b = book(which);
  for (std::size_t i = 0; i < b.names.size(); ++i) {
    if (name == b.names[i] || name == encode_utf8(b.keys[i])) return static_cast<int>(i);
  }
  return std::nullopt;
}

MetreLexicon MetreLexicon::read(const std::filesystem::path& file) {
  check_readable(file, "metre lexicon");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error::file(fmt::format("cannot read metre lexicon '{}'", file.string()));
  MetreLexicon lexicon;
  std::string line;
  const auto bad = [&](std::size_t number, std::string_view what) {
    return Error::file(fmt::format("{}:{}: {}", file.string(), number, what));
  };
  if (!std::getline(in, line) || line != kMetreLexiconHeader)
    throw bad(1, "not a poet metre lexicon (its first line should be the v1 header)");
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    const auto fields = split_fields(line, '\t');
    if (fields.size() != 5) throw bad(number, fmt::format("{} fields, not 5", fields.size()));
    std::array<std::u32string, 5> text;
    try {
      std::transform(fields.begin(), fields.end(), text.begin(),
                     [](std::string_view f) { return decode_utf8(f); });
    } catch (const Error& error) {  // not UTF-8
      throw bad(number, error.what());
    }
    if (text[0].size() != 1) throw bad(number, "the first field is not one character");
    const auto classic = parse_tone(fields[1]);
    const auto modern = parse_tone(fields[3]);
    const auto pingshui = parse_groups(text[2], RhymeBook::pingshui);
    const auto xinyun = parse_groups(text[4], RhymeBook::xinyun);
    if (!classic || !modern) throw bad(number, "a tone is 平, 仄, 中 or empty");
    if (!pingshui || !xinyun) throw bad(number, "an unknown rhyme group");
    MetreEntry& entry = lexicon.entries_[text[0][0]];
    entry.tone[static_cast<int>(RhymeBook::pingshui)] = *classic;
    entry.tone[static_cast<int>(RhymeBook::xinyun)] = *modern;
    entry.groups[static_cast<int>(RhymeBook::pingshui)] = *pingshui;
    entry.groups[static_cast<int>(RhymeBook::xinyun)] = *xinyun;
  }
  return lexicon;
}

MetreEntry MetreLexicon::entry(char32_t c) const {
  const auto it = entries_.find(c);
  return it == entries_.end() ? MetreEntry{} : it->second;
}

Tone MetreLexicon::tone(char32_t c, RhymeBook which) const {
  return entry(c).tone[static_cast<int>(which)];
}

GroupSet MetreLexicon::groups(char32_t c, RhymeBook which) const {
  return entry(c).groups[static_cast<int>(which)];
}

Tone MetrePattern::tone(int line, int column) const {
  // The second character of the line's last five (the core that 五言 and 七言 share) alternates
  // by couplet: s, !s, !s, s, s, !s, ... (对 within a couplet, 粘 across).
  const Tone first_core = line_length == 5 ? (level_start ? Tone::level : Tone::oblique)
                                           : (level_start ? Tone::oblique : Tone::level);
  const Tone core = (line + 1) / 2 % 2 == 0 ? first_core : opposite(first_core);
  const Tone end = rhymes(line) ? Tone::level : Tone::oblique;
  const int prefix = line_length - 5;
  if (column < prefix) return opposite(core);  // 七言 leads with two of the other tone
  // 仄仄平平仄, 仄仄仄平平, 平平平仄仄, 平平仄仄平: the core by its second tone and its end.
  const Tone o = opposite(core);
  const std::array<Tone, 5> shape = end == core ? std::array<Tone, 5>{core, core, o, o, end}
                                                : std::array<Tone, 5>{core, core, core, o, end};
  return shape[static_cast<std::size_t>(column - prefix)];
}

bool MetrePattern::rhymes(int line) const { return line % 2 == 1 || (line == 0 && first_line_rhymes); }

bool MetrePattern::key(int column) const { return column % 2 == 1 || column == line_length - 1; }

bool MetrePattern::may_leave_level_alone(int line) const {
  return tone(line, line_length - 4) == Tone::level && tone(line, line_length - 1) == Tone::level;
}

std::string MetrePattern::describe() const {
  return fmt::format("{}起, first line {}", level_start ? "平" : "仄",
                     first_line_rhymes ? "rhyming" : "not rhyming");
}

std::string_view relaxation_text(Relaxation relaxation) {
  switch (relaxation) {
    case Relaxation::none: break;
    case Relaxation::repeat_rhyme: return "no unused rhyme fitted, so a rhyme character repeats";
    case Relaxation::no_tones: return "no rhyme fitted the tones, so the tones gave way";
    case Relaxation::no_rhyme: return "no character of the rhyme group fitted, so the rhyme gave way";
  }
  return "";
}

MetreCursor::MetreCursor(const MetreRule& rule, const std::vector<int>& line_lengths)
    : rule_(&rule) {
  const GroupSet groups =
      rule.rhyme == RhymeMode::fixed ? GroupSet{1} << rule.group : all_groups(rule.book);
  for (const int length : line_lengths) {
    if (length != 5 && length != 7) continue;
    for (const bool level_start : {false, true}) {
      for (const bool first_rhymes : {false, true}) {
        hypotheses_.push_back({{length, level_start, first_rhymes}, groups, {}});
      }
    }
  }
}

MetreCursor::Ask MetreCursor::ask(const Hypothesis& h, int line, int column,
                                  Relaxation relaxation) const {
  Ask ask;
  ask.length_fits = column < h.pattern.line_length;
  if (!ask.length_fits) return ask;
  if (const auto tone = asked(h.pattern, line, column, relaxation))
    ask.tones = static_cast<std::uint8_t>(*tone);
  if (rhymes_at(h, line, column, relaxation)) ask.groups = h.groups;
  return ask;
}

bool MetreCursor::Ask::admits(Tone tone, GroupSet in_groups) const {
  const auto bits = static_cast<std::uint8_t>(tone);
  return length_fits && (bits == 0 || (bits & tones) != 0) && (groups == kAnyGroup || (in_groups & groups) != 0);
}

bool MetreCursor::fits_entry(const Hypothesis& h, const MetreEntry& entry, int line, int column,
                             Relaxation relaxation) const {
  const int b = static_cast<int>(rule_->book);
  return ask(h, line, column, relaxation).admits(entry.tone[b], entry.groups[b]);
}

std::optional<Tone> MetreCursor::asked(const MetrePattern& p, int line, int column,
                                       Relaxation relaxation) const {
  const ToneMode tones = relaxation >= Relaxation::no_tones ? ToneMode::off : rule_->tones;
  if (tones == ToneMode::off) return std::nullopt;
  if (tones == ToneMode::strict || p.key(column)) return p.tone(line, column);
  // Loose leaves positions 1, 3 and 5 free, but not free to make the two faults check names. In a
  // line ending on the rhyme, the third place from the end decides both: 仄仄仄平平 must not end
  // on three level tones (三平尾), and 平平仄仄平 begun with an oblique tone needs a level one
  // there, or its second place stands alone (孤平).
  const int length = p.line_length;
  if (column != length - 3 || p.tone(line, length - 1) != Tone::level) return std::nullopt;
  if (p.tone(line, length - 2) == Tone::level) return Tone::oblique;
  if (p.may_leave_level_alone(line) && line_tones_[static_cast<std::size_t>(length - 5)] == Tone::oblique)
    return Tone::level;
  return std::nullopt;
}

bool MetreCursor::rhymes_at(const Hypothesis& h, int line, int column, Relaxation relaxation) const {
  return rule_->rhyme != RhymeMode::off && relaxation < Relaxation::no_rhyme &&
         column == h.pattern.line_length - 1 && h.pattern.rhymes(line);
}

bool MetreCursor::repeats(const Hypothesis& h, char32_t c, int line, int column,
                          Relaxation relaxation) const {
  return relaxation < Relaxation::repeat_rhyme && rhymes_at(h, line, column, relaxation) &&
         std::find(h.rhymes.begin(), h.rhymes.end(), c) != h.rhymes.end();
}

void MetreCursor::accepting(const std::vector<MetreEntry>& entries, int line, int column,
                            Relaxation relaxation, std::vector<Open>& open) const {
  // What each pattern asks here, worked out once rather than once per entry.
  std::vector<Ask> asks;
  for (const Hypothesis& h : hypotheses_) asks.push_back(ask(h, line, column, relaxation));
  const int b = static_cast<int>(rule_->book);
  open.resize(entries.size());
  for (std::size_t e = 0; e < entries.size(); ++e) {
    Open bits = 0;
    for (std::size_t i = 0; i < asks.size(); ++i) {
      bits |= static_cast<Open>(asks[i].admits(entries[e].tone[b], entries[e].groups[b])) << i;
    }
    open[e] = bits;
  }
}

MetreCursor::Open MetreCursor::repeating(char32_t c, int line, int column,
                                         Relaxation relaxation) const {
  Open open = 0;
  for (std::size_t i = 0; i < hypotheses_.size(); ++i) {
    if (repeats(hypotheses_[i], c, line, column, relaxation)) open |= Open{1} << i;
  }
  return open;
}

std::vector<char32_t> MetreCursor::rhymes() const {
  std::vector<char32_t> all;
  for (const Hypothesis& h : hypotheses_) {
    for (const char32_t c : h.rhymes) {
      if (std::find(all.begin(), all.end(), c) == all.end()) all.push_back(c);
    }
  }
  return all;
}

bool MetreCursor::allows(char32_t c, const MetreEntry& entry, int line, int column,
                         Relaxation relaxation) const {
  return std::any_of(hypotheses_.begin(), hypotheses_.end(), [&](const Hypothesis& h) {
    return fits_entry(h, entry, line, column, relaxation) && !repeats(h, c, line, column, relaxation);
  });
}

void MetreCursor::add(char32_t c, const MetreEntry& entry, int line, int column,
                      Relaxation relaxation) {
  line_tones_.push_back(entry.tone[static_cast<int>(rule_->book)]);
  std::vector<Hypothesis> kept;
  for (const Hypothesis& h : hypotheses_) {
    if (!fits_entry(h, entry, line, column, relaxation) || repeats(h, c, line, column, relaxation))
      continue;
    Hypothesis next = h;
    const Tone tone = line_tones_.back();
    if ((tone == Tone::level || tone == Tone::oblique) && column < h.pattern.line_length &&
        tone != h.pattern.tone(line, column))
      next.strict = false;
    if (column == h.pattern.line_length - 1 && h.pattern.rhymes(line)) {
      const GroupSet common = h.groups & entry.groups[static_cast<int>(rule_->book)];
      if (common != 0) next.groups = common;
      next.rhymes.push_back(c);
    }
    kept.push_back(std::move(next));
  }
  if (!kept.empty()) hypotheses_ = std::move(kept);
}

bool MetreCursor::allows_line_end(int column) const {
  return std::any_of(hypotheses_.begin(), hypotheses_.end(),
                     [&](const Hypothesis& h) { return h.pattern.line_length == column; });
}

void MetreCursor::end_line(int column) {
  line_tones_.clear();
  std::vector<Hypothesis> kept;
  std::copy_if(hypotheses_.begin(), hypotheses_.end(), std::back_inserter(kept),
               [&](const Hypothesis& h) { return h.pattern.line_length == column; });
  if (!kept.empty()) hypotheses_ = std::move(kept);
}

MetreCursor::Next MetreCursor::next(int line, int column, Relaxation relaxation) const {
  std::uint8_t tones = 0;
  Next next;
  for (const auto& h : hypotheses_) {
    const Ask a = ask(h, line, column, relaxation);
    if (!a.length_fits) continue;
    tones |= a.tones;
    next.rhyme = next.rhyme || rhymes_at(h, line, column, relaxation);
  }
  next.tones = static_cast<Tone>(tones);
  return next;
}

std::optional<int> MetreCursor::group() const {
  GroupSet groups = 0;
  for (const Hypothesis& h : hypotheses_) {
    if (h.rhymes.empty()) return std::nullopt;
    groups |= h.groups;
  }
  if (groups == 0 || (groups & (groups - 1)) != 0) return std::nullopt;
  int index = 0;
  while ((groups >> index) != 1) ++index;
  return index;
}

std::vector<const MetreCursor::Hypothesis*> MetreCursor::strictest() const {
  std::vector<const Hypothesis*> strict, all;
  for (const Hypothesis& h : hypotheses_) {
    all.push_back(&h);
    if (h.strict) strict.push_back(&h);
  }
  return strict.empty() ? all : strict;
}

std::optional<MetrePattern> MetreCursor::pattern() const {
  const auto open = strictest();
  if (open.empty()) return std::nullopt;
  const MetrePattern& first = open.front()->pattern;
  for (const Hypothesis* h : open) {
    if (h->pattern.line_length != first.line_length || h->pattern.level_start != first.level_start ||
        h->pattern.first_line_rhymes != first.first_line_rhymes)
      return std::nullopt;
  }
  return first;
}

Tone MetreCursor::strict_next(int line, int column) const {
  std::uint8_t tones = 0;
  for (const Hypothesis* h : strictest()) {
    if (column < h->pattern.line_length) tones |= static_cast<std::uint8_t>(h->pattern.tone(line, column));
  }
  return static_cast<Tone>(tones);
}

namespace {

// The group most of the rhymes share, if any share one.
std::optional<int> common_group(const std::vector<GroupSet>& rhymes, RhymeBook which) {
  std::optional<int> best;
  int best_count = 0;
  for (std::size_t g = 0; g < book(which).keys.size(); ++g) {
    const int count = static_cast<int>(std::count_if(
        rhymes.begin(), rhymes.end(), [&](GroupSet s) { return (s >> g & 1) != 0; }));
    if (count > best_count) best = static_cast<int>(g), best_count = count;
  }
  return best;
}

// Fills `check`'s rhyme fields and faults for the rhymes of `rhyme_lines`.
void check_rhymes(MetreCheck& check, const MetreLexicon& lexicon, RhymeBook which) {
  const auto& names = group_names(which);
  std::vector<GroupSet> groups;
  for (const int line : check.rhyme_lines) {
    groups.push_back(lexicon.groups(check.lines[static_cast<std::size_t>(line)].back(), which));
  }
  check.group = common_group(groups, which);
  check.rhymes = check.group.has_value();
  std::vector<char32_t> seen;
  for (std::size_t i = 0; i < check.rhyme_lines.size(); ++i) {
    const int line = check.rhyme_lines[i];
    const std::u32string& text = check.lines[static_cast<std::size_t>(line)];
    const char32_t c = text.back();
    const int column = static_cast<int>(text.size()) - 1;
    if (!check.group || (groups[i] >> *check.group & 1) == 0) {
      check.rhymes = false;
      check.faults.push_back(
          {line, column,
           check.group ? fmt::format("'{}' does not rhyme in {}", encode_utf8(c),
                                     names[static_cast<std::size_t>(*check.group)])
                       : fmt::format("'{}' is in no level rhyme group", encode_utf8(c))});
    }
    if (std::find(seen.begin(), seen.end(), c) != seen.end()) {
      check.repeats_rhyme = true;
      check.faults.push_back({line, column, fmt::format("'{}' rhymes a second time", encode_utf8(c))});
    }
    seen.push_back(c);
  }
}

// The faults of a regulated poem against one pattern.
MetreCheck check_pattern(MetreCheck check, const MetrePattern& pattern,
                         const MetreLexicon& lexicon, RhymeBook which) {
  check.pattern = pattern;
  check.rhyme_lines.clear();
  const int lines = static_cast<int>(check.lines.size());
  for (int line = 0; line < lines; ++line) {
    if (pattern.rhymes(line)) check.rhyme_lines.push_back(line);
  }
  check_rhymes(check, lexicon, which);
  const int length = pattern.line_length;
  for (int line = 0; line < lines; ++line) {
    const std::u32string& text = check.lines[static_cast<std::size_t>(line)];
    std::vector<Tone> tones;
    for (const char32_t c : text) tones.push_back(lexicon.tone(c, which));
    for (int column = 0; column < length; ++column) {
      if (!pattern.key(column) || tones[static_cast<std::size_t>(column)] == Tone::unknown) continue;
      ++check.key_checks;
      const Tone asked = pattern.tone(line, column);
      if (fits(tones[static_cast<std::size_t>(column)], asked)) {
        ++check.key_passed;
        continue;
      }
      if (column == length - 1 && pattern.rhymes(line)) continue;  // a rhyme's fault, said above
      check.faults.push_back(
          {line, column,
           fmt::format("'{}' is {} where the pattern asks {}", encode_utf8(text[static_cast<std::size_t>(column)]),
                       tone_mark(tones[static_cast<std::size_t>(column)]), tone_mark(asked))});
    }
    // The last five characters: 孤平 is a level second character left alone between obliques in
    // the line 平平仄仄平 (仄平仄仄平); 三平尾 is three level tones to end a line.
    const std::size_t core = static_cast<std::size_t>(length - 5);
    if (pattern.may_leave_level_alone(line) && tones[core] == Tone::oblique &&
        tones[core + 2] == Tone::oblique) {
      check.faults.push_back({line, static_cast<int>(core), "孤平: the line's level tone stands alone"});
    }
    if (std::all_of(tones.end() - 3, tones.end(), [](Tone t) { return t == Tone::level; })) {
      check.faults.push_back({line, length - 3, "三平尾: the line ends on three level tones"});
    }
  }
  std::stable_sort(check.faults.begin(), check.faults.end(), [](const auto& a, const auto& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return check;
}

}  // namespace

std::string MetreCheck::verdict() const {
  if (!regulated) return fmt::format("{}: not regulated verse, so only its tones and rhymes are shown", form);
  if (faults.empty()) return fmt::format("{} that keeps every rule of regulated verse", form);
  return fmt::format("{} with {} fault{}", form, faults.size(), faults.size() == 1 ? "" : "s");
}

void MetreTally::add(const MetreCheck& check) {
  ++poems;
  if (!check.regulated) return;
  ++regulated;
  passing += check.passes() ? 1 : 0;
  rhyming += check.rhymes ? 1 : 0;
  repeating += check.repeats_rhyme ? 1 : 0;
  key_checks += check.key_checks;
  key_passed += check.key_passed;
}

std::string MetreTally::describe() const {
  return fmt::format(
      "{} poems, {} regulated: {:.1f}% keep every rule, {:.1f}% rhyme in one group, {:.1f}% repeat "
      "a rhyme, {:.1f}% of the tones at positions 2/4/6 and line ends as the pattern asks",
      poems, regulated, share(passing, regulated), share(rhyming, regulated),
      share(repeating, regulated), share(key_passed, key_checks));
}

MetreCheck check_poem(std::u32string_view text, const MetreLexicon& lexicon, RhymeBook which) {
  MetreCheck check;
  for (const auto line : verse_lines(text)) {
    if (!line.empty()) check.lines.emplace_back(line);
  }
  for (const auto& line : check.lines) {
    std::string tones;
    for (const char32_t c : line) tones += tone_mark(lexicon.tone(c, which));
    check.tones.push_back(std::move(tones));
  }
  const std::size_t length = check.lines.empty() ? 0 : check.lines.front().size();
  const bool uniform = std::all_of(check.lines.begin(), check.lines.end(),
                                   [&](const auto& line) { return line.size() == length; });
  const std::size_t count = check.lines.size();
  check.regulated = uniform && (length == 5 || length == 7) && count >= 4 && count % 2 == 0;
  std::u32string marked;
  for (const auto& line : check.lines) marked += line + U"。";
  const Form form = classify_form(marked);
  check.form = form == Form::other ? fmt::format("{} line{}", count, count == 1 ? "" : "s")
                                   : std::string(form_name(form));
  if (!check.regulated) {
    for (int line = 1; line < static_cast<int>(count); line += 2) check.rhyme_lines.push_back(line);
    check_rhymes(check, lexicon, which);
    check.faults.clear();  // the rules of regulated verse do not apply
    return check;
  }
  std::optional<MetreCheck> best;
  // 七言 usually rhymes in its first line, 五言 usually not: those come first and win ties.
  const bool usual = length == 7;
  for (const bool first_rhymes : {usual, !usual}) {
    for (const bool level_start : {false, true}) {
      MetreCheck candidate =
          check_pattern(check, {static_cast<int>(length), level_start, first_rhymes}, lexicon, which);
      // Fewest faults; between equals, the pattern that fewer key tones break.
      const auto rank = [](const MetreCheck& c) {
        return std::pair(c.faults.size(), c.key_checks - c.key_passed);
      };
      if (!best || rank(candidate) < rank(*best)) best = std::move(candidate);
    }
  }
  return *best;
}

}  // namespace poet
