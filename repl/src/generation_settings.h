#pragma once
// What `set`, `use` and `settings` change: the decoder `gen` uses, each decoder's parameter
// values, the form, the seed and the number of poems. `gen` and `acrostic` start from these and
// apply their own options on top.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "poet/engine/decoders.h"
#include "poet/engine/form_rule.h"
#include "poet/engine/metre.h"

namespace poet::repl {

// --form and `set form`: 五绝 七绝 五律 七律 (or 5x4 7x4 5x8 7x8), auto, free.
struct FormChoice {
  std::string name = "auto";  // as the user wrote it
  FormRule rule = FormRule::automatic();
};
FormChoice parse_form_choice(std::string_view text);  // throws CommandError

// --rhyme, --tones, --rhyme-book and their `set` keys: how a regulated poem keeps its metre.
struct MetreChoice {
  static constexpr std::string_view kKeys[] = {"rhyme", "tones", "rhyme-book"};
  static bool is_key(std::string_view key);  // one of kKeys
  std::string rhyme = "auto";  // auto, off, or a group of the book (东, 七阳, ...)
  ToneMode tones = ToneMode::loose;
  RhymeBook book = RhymeBook::pingshui;

  // Sets one of kKeys (without the dashes); throws CommandError for a bad value.
  void set(std::string_view key, std::string_view value);
  // The rule a poem is written under; throws CommandError for a group its book lacks.
  MetreRule rule(const MetreLexicon& lexicon) const;
  bool needs_lexicon() const { return rhyme != "off" || tones != ToneMode::off; }
  // The values `set` takes for a key, for completion.
  std::vector<std::string> values(std::string_view key) const;
  std::string tones_name() const;

 private:
  // The group `rhyme` names, or none for auto and off; throws CommandError if the book lacks it.
  std::optional<int> fixed_group() const;
};

class GenerationSettings {
 public:
  std::string decoder = "temperature";  // the decoder `gen` uses
  FormChoice form;
  MetreChoice metre;
  std::optional<std::uint64_t> seed;  // none: a fresh seed for every poem
  int count = 1;
  // Load each checkpoint that training writes, and the loaded file whenever it changes on disk.
  std::atomic<bool> autoreload{false};

  // The values of a decoder's parameters: its defaults, with what `set` changed.
  std::vector<double> values(const Decoder& decoder) const;
  void set_value(const Decoder& decoder, const DecoderParam& param, double value);

  // `set KEY VALUE`: one of the keys above, a parameter of the current decoder, or
  // DECODER.PARAM for another one. Returns what was set, as `settings` shows it.
  std::string set(std::string_view key, std::string_view value, const DecoderSet& decoders);
  // What `settings` prints.
  std::string describe(const DecoderSet& decoders) const;
  // The keys `set` takes, for completion and suggestions.
  std::vector<std::string> keys(const DecoderSet& decoders) const;

 private:
  std::map<std::string, std::map<std::string, double>, std::less<>>
      changed_;  // decoder → param → value
};

// The decoder of that name; throws CommandError naming the closest one.
std::shared_ptr<const Decoder> find_decoder(const DecoderSet& decoders, std::string_view name);

std::uint64_t parse_seed(std::string_view text);  // throws CommandError
int parse_count(std::string_view text);           // 1 to 100; throws CommandError

}  // namespace poet::repl
