#pragma once
// Metre: the tones (平仄) and rhymes of regulated verse. The lexicon (corpora/metre.tsv, built by
// corpora/build.sh) says each character's tone class and rhyme groups in two rhyme books; the
// standard patterns say which tone each position of a 五绝, 七绝, 五律 or 七律 asks for. Both the
// check of a finished poem and the rule a poem is written under (MetreCursor) read them here, so
// the two can never disagree.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace poet {

// A character's tone class: level (平), oblique (仄), either (中: its readings disagree), or
// unknown. The bits: level 1, oblique 2, so `either` has both.
enum class Tone : std::uint8_t { unknown = 0, level = 1, oblique = 2, either = 3 };

// 平, 仄, 中, or ？ for unknown.
std::string_view tone_mark(Tone tone);

// The classical 平水韵 (30 level-tone groups, the tones of the Tang readings) or the modern
// 中华新韵 (14 groups by Mandarin final, the tones of Mandarin).
enum class RhymeBook { pingshui, xinyun };

std::string_view book_name(RhymeBook book);  // "平水韵", "中华新韵"
std::optional<RhymeBook> parse_book(std::string_view name);
// The groups of a book, in order: "一东", "二冬", ... for 平水韵; "一麻", ... for 中华新韵.
const std::vector<std::string>& group_names(RhymeBook book);
// The same groups by one character each, in the same order.
inline constexpr std::u32string_view kPingshuiKeys =
    U"东冬江支微鱼虞齐佳灰真文元寒删先萧肴豪歌麻阳庚青蒸尤侵覃盐咸";
inline constexpr std::u32string_view kXinyunKeys = U"麻波皆开微豪尤寒文唐庚齐支姑";
// A group by its full name ("七阳") or its character ("阳").
std::optional<int> parse_group(RhymeBook book, std::string_view name);

using GroupSet = std::uint32_t;  // bit i: group i of a book (30 at most)

struct MetreEntry {
  Tone tone[2] = {Tone::unknown, Tone::unknown};  // by RhymeBook
  GroupSet groups[2] = {0, 0};                     // level-tone rhyme groups, by RhymeBook
};

// The lexicon's file (corpora/metre.tsv): this header line, then one line per character, sorted
// by code point: the character, its classical tone (平, 仄, 中 or empty for unknown), its 平水韵
// groups by their keys in group order, its Mandarin tone, its 中华新韵 groups; tab-separated.
inline constexpr std::string_view kMetreLexiconHeader =
    "# poet metre lexicon v1\tchar\ttone\tpingshui\tmodern\txinyun";
// The line for one character, without the newline (the builder, corpora/, writes them).
std::string metre_line(char32_t c, const MetreEntry& entry);

class MetreLexicon {
 public:
  // Reads corpora/metre.tsv; throws poet::Error naming the file and line of what is wrong.
  static MetreLexicon read(const std::filesystem::path& file);

  MetreEntry entry(char32_t c) const;  // an empty entry for a character it lacks
  Tone tone(char32_t c, RhymeBook book) const;
  GroupSet groups(char32_t c, RhymeBook book) const;

 private:
  std::unordered_map<char32_t, MetreEntry> entries_;
};

// One standard pattern of regulated verse (近体诗格律). A poem of L characters a line starts 平起
// or 仄起 (the tone of its first line's second character) and its first line rhymes or not; then
// every line's tones follow: couplets oppose (对), and each couplet's first line sticks to the line
// before it (粘). The even lines rhyme, on a level tone.
struct MetrePattern {
  int line_length = 5;  // 5 or 7
  bool level_start = false;
  bool first_line_rhymes = false;

  Tone tone(int line, int column) const;  // level or oblique: what the pattern asks there
  bool rhymes(int line) const;            // the line ends on the rhyme
  // Positions 2, 4, 6 and the line's end: the ones the customary freedom never covers.
  bool key(int column) const;
  // The line (its last five characters) is 平平仄仄平, whose second level tone stands alone (孤平)
  // when the free first and third places are both oblique.
  bool may_leave_level_alone(int line) const;
  std::string describe() const;  // "仄起, first line not rhyming"
};

enum class RhymeMode { off, automatic, fixed };
// loose: positions 2, 4, 6 and the line ends keep the pattern, and the free places never make 孤平
// or 三平尾; strict: every position keeps it.
enum class ToneMode { off, loose, strict };

// How a poem is held to its metre while it is written: gen's --rhyme, --tones and --rhyme-book.
struct MetreRule {
  const MetreLexicon* lexicon = nullptr;  // none: no metre at all
  RhymeBook book = RhymeBook::pingshui;
  RhymeMode rhyme = RhymeMode::automatic;
  int group = -1;  // RhymeMode::fixed
  ToneMode tones = ToneMode::loose;

  bool active() const {
    return lexicon != nullptr && (rhyme != RhymeMode::off || tones != ToneMode::off);
  }
};

// When no character fits, the rule gives way one step at a time, in this order, and says so.
enum class Relaxation { none, repeat_rhyme, no_tones, no_rhyme };
std::string_view relaxation_text(Relaxation relaxation);

// Where a poem being written stands against its metre: the patterns and rhyme groups still open
// to it. Only characters of verse pass through it; the form rule (FormCursor) keeps the marks.
class MetreCursor {
 public:
  // The patterns open at first are those of the form's line lengths (5, 7 or both).
  MetreCursor(const MetreRule& rule, const std::vector<int>& line_lengths);

  // Whether `entry`'s character may stand at (line, column), giving way as far as `relaxation`.
  bool allows(char32_t c, const MetreEntry& entry, int line, int column,
              Relaxation relaxation = Relaxation::none) const;

  // The same in two halves, for a whole vocabulary at a time: for each entry, the patterns (a bit
  // each) that accept it, which all characters of that entry share; and the patterns where `c`
  // itself would repeat a rhyme, which only the few characters in rhymes() can.
  using Open = std::uint32_t;
  void accepting(const std::vector<MetreEntry>& entries, int line, int column,
                 Relaxation relaxation, std::vector<Open>& open) const;
  Open repeating(char32_t c, int line, int column, Relaxation relaxation = Relaxation::none) const;
  std::vector<char32_t> rhymes() const;  // the rhymes written so far, under any pattern open
  // Takes the character at (line, column). A character no pattern allows (a head of an acrostic,
  // a beginning the user gave) is kept as it is, and the patterns stay open.
  void add(char32_t c, const MetreEntry& entry, int line, int column,
           Relaxation relaxation = Relaxation::none);

  // Whether a line may end after `column` characters, and taking that end.
  bool allows_line_end(int column) const;
  void end_line(int column);

  // The rhyme group the poem has settled on, once only one is left.
  std::optional<int> group() const;
  // The pattern the poem follows, once only one is left open: of those every character so far
  // keeps strictly, if any are, else of those open under the rule.
  std::optional<MetrePattern> pattern() const;
  // The tone --tones strict would ask of the character at (line, column), whatever the rule: what
  // the patterns every character so far keeps strictly agree on (either where they disagree), or,
  // once the poem has left every pattern somewhere, those open under the rule.
  Tone strict_next(int line, int column) const;

  // What the patterns still open ask of the character at (line, column): the tones that fit one
  // of them (Tone bits; both where the place is free), and whether it ends a rhyming line in one.
  struct Next {
    Tone tones = Tone::unknown;
    bool rhyme = false;
  };
  Next next(int line, int column, Relaxation relaxation = Relaxation::none) const;

 private:
  struct Hypothesis {
    MetrePattern pattern;
    GroupSet groups;
    std::vector<char32_t> rhymes;  // used so far
    bool strict = true;  // every character so far has the tone the pattern asks (or either)
  };
  // What one pattern asks of the character at a place, leaving repeated rhymes aside.
  struct Ask {
    static constexpr GroupSet kAnyGroup = ~GroupSet{0};
    bool length_fits = false;  // the place is inside the pattern's line
    std::uint8_t tones = 3;    // the tone bits that fit (an unknown tone always fits)
    GroupSet groups = kAnyGroup;  // the rhyme groups that fit, where a rhyme is asked
    bool admits(Tone tone, GroupSet in_groups) const;
  };
  Ask ask(const Hypothesis& h, int line, int column, Relaxation relaxation) const;
  bool fits_entry(const Hypothesis& h, const MetreEntry& entry, int line, int column,
                  Relaxation relaxation) const;
  bool rhymes_at(const Hypothesis& h, int line, int column, Relaxation relaxation) const;
  // The tone a pattern asks at (line, column) under the rule, if it asks one.
  std::optional<Tone> asked(const MetrePattern& p, int line, int column,
                            Relaxation relaxation) const;
  bool repeats(const Hypothesis& h, char32_t c, int line, int column, Relaxation relaxation) const;

  // The hypotheses strict_next() and pattern() read: the strictly kept ones, if any.
  std::vector<const Hypothesis*> strictest() const;

  const MetreRule* rule_;
  std::vector<Hypothesis> hypotheses_;
  std::vector<Tone> line_tones_;  // of the line being written
};

// What `check` says of a poem.
struct MetreFault {
  int line = 0;     // from 0
  int column = -1;  // from 0; -1 for the whole line
  std::string message;
};

struct MetreCheck {
  std::vector<std::u32string> lines;  // without their marks
  std::vector<std::string> tones;     // per line, one 平/仄/中/？ per character
  bool regulated = false;  // 5 or 7 characters a line, an even number of lines, four or more
  std::string form;        // 五绝, 七绝, 五律, 七律, 排律, or "N lines"
  std::optional<MetrePattern> pattern;  // the standard pattern it follows best (regulated only)
  std::optional<int> group;             // the rhyme group of most of its rhymes
  std::vector<int> rhyme_lines;         // the lines that end on a rhyme
  bool rhymes = false;                  // every rhyme in the group, on a level tone
  bool repeats_rhyme = false;           // a rhyme character used twice
  int key_checks = 0;                   // positions 2/4/6 and line ends with a known tone
  int key_passed = 0;
  std::vector<MetreFault> faults;  // in order of line and column

  bool passes() const { return regulated && faults.empty(); }
  std::string verdict() const;
};

// Totals over many poems' checks: what `check --file` and the quality benchmark report.
struct MetreTally {
  int poems = 0;
  int regulated = 0;   // of the poems; the rest count below only in `poems`
  int passing = 0;     // keep every rule
  int rhyming = 0;     // every rhyme in one group
  int repeating = 0;   // a rhyme character twice
  long key_checks = 0;  // positions 2/4/6 and line ends
  long key_passed = 0;

  void add(const MetreCheck& check);
  double share(long part, long whole) const { return whole == 0 ? 0 : 100.0 * part / whole; }
  // "1079 poems, 760 regulated: 41.2% keep every rule, ..."
  std::string describe() const;
};

// Checks a poem (its text with marks) against the rules of regulated verse in `book`.
MetreCheck check_poem(std::u32string_view text, const MetreLexicon& lexicon, RhymeBook book);

}  // namespace poet
