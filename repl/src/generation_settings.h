#pragma once
// The settings poems are written with, and what changes them: `use`, `set` and `settings` for the
// session, and gen's and acrostic's options for one command, which apply to a copy. Each setting
// is one row of setting_table(), with its `set` key, its option, its value and its help, so that
// `set`, `settings`, the options of gen and acrostic and Tab all read the same row.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "poet/engine/metre/form_rule.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/plugins/decoders.h"

namespace poet::repl {

// --form and `set form`: 五绝 七绝 五律 七律 (or 5x4 7x4 5x8 7x8), auto, free.
struct FormChoice {
  std::string name = "auto";  // as the user wrote it
  FormRule rule = FormRule::automatic();
};
FormChoice parse_form_choice(std::string_view text);  // throws Error::input

// --rhyme, --tones, --rhyme-book: how a regulated poem keeps its metre.
struct MetreChoice {
  std::string rhyme = "auto";  // auto, off, or a group of the book (东, 七阳, ...)
  ToneMode tones = ToneMode::loose;
  RhymeBook book = RhymeBook::pingshui;

  // The rule a poem is written under.
  MetreRule rule(const MetreLexicon& lexicon) const;
  bool needs_lexicon() const { return rhyme != "off" || tones != ToneMode::off; }
  std::string tones_name() const;
  // The group `rhyme` names, or none for auto and off; throws Error::input if the book lacks it.
  std::optional<int> fixed_group() const;
};

inline constexpr int kDefaultBestOf = 8;
inline constexpr int kMostBestOf = 32;

struct Settings {
  std::string decoder = "temperature";  // what gen and acrostic write with
  FormChoice form;
  MetreChoice metre;
  std::optional<std::uint64_t> seed;  // none: a fresh seed for every poem
  int count = 1;
  // Candidates written a poem (in one batch), of which the critic keeps the one it rates most
  // real; 1: no critic. The default is measured in docs/figures.md.
  int best_of = kDefaultBestOf;
  std::u32string mood;  // gen's --mood: a line read into the model first; not a `set` key
  // Load each checkpoint that training writes, and the loaded file whenever it changes on disk.
  bool autoreload = false;

  // The values of a decoder's parameters: its defaults, with what `set` or an option changed.
  std::vector<double> values(const Decoder& decoder) const;
  void set_param(const Decoder& decoder, const DecoderParam& param, double value);

 private:
  // decoder → parameter (its id as "#N" where it has one, else its name) → value
  std::map<std::string, std::map<std::string, double>, std::less<>> params_;
};

// One setting.
struct Setting {
  std::string_view key;     // `set KEY`; empty for an option of gen's only
  std::string_view option;  // gen's and acrostic's option; empty for a `set` key only
  std::string_view value;   // what it takes, as usage shows it
  std::string_view help;    // one line
  // Its values for Tab.
  std::vector<std::string> (*values)(const Settings& settings, const DecoderSet& decoders);
  // Sets it from text; throws Error::input, leaving `settings` as it was, when the text is bad.
  // What it must agree with (a rhyme group of the book) check_settings() checks.
  void (*apply)(Settings& settings, std::string_view text, const DecoderSet& decoders);
  // The value as `settings` shows it; null for one `settings` does not show.
  std::string (*show)(const Settings& settings);
};
const std::vector<Setting>& setting_table();
const Setting* setting_by_key(std::string_view key);
const Setting* setting_by_option(std::string_view option);
// The names of gen's options without their dashes, which no decoder parameter may take.
std::vector<std::string> reserved_option_names();

// The seed of candidate `index` of a poem written with `seed` under --best-of: the poem's own seed
// first, so that --best-of 1 writes what the seed always wrote.
std::uint64_t candidate_seed(std::uint64_t seed, int index);

// Throws Error::input unless the settings agree with each other: a fixed rhyme group is one of the
// rhyme book's.
void check_settings(const Settings& settings);

// `set KEY VALUE`: a key of the table, a parameter of the current decoder, or DECODER.PARAM for
// another one. Returns the key as `settings` names it and the value as it shows it; throws
// Error::input, leaving `settings` as it was.
std::pair<std::string, std::string> set_setting(Settings& settings, std::string_view key,
                                                std::string_view value, const DecoderSet& decoders);
// The keys `set` takes, for Tab and suggestions.
std::vector<std::string> setting_keys(const Settings& settings, const DecoderSet& decoders);

// The decoder of that name; throws Error::input naming the closest one.
std::shared_ptr<const Decoder> find_decoder(const DecoderSet& decoders, std::string_view name);

}  // namespace poet::repl
