#include "generation_settings.h"

#include <fmt/format.h>

#include <algorithm>

#include "poet/engine/error.h"
#include "poet/engine/text/names.h"
#include "poet/engine/text/text.h"
#include "words.h"

namespace poet::repl {
namespace {

constexpr std::string_view kToneModes[] = {"off", "loose", "strict"};
constexpr std::string_view kFormNames[] = {"五绝", "七绝", "五律", "七律", "auto", "free"};

std::vector<std::string> strings(std::initializer_list<std::string_view> values) {
  return {values.begin(), values.end()};
}

std::vector<std::string> decoder_names(const Settings&, const DecoderSet& decoders) {
  const auto names = decoders.names();
  return {names.begin(), names.end()};
}

std::vector<std::string> form_names(const Settings&, const DecoderSet&) {
  return {std::begin(kFormNames), std::end(kFormNames)};
}

std::vector<std::string> rhyme_values(const Settings& settings, const DecoderSet&) {
  std::vector<std::string> values{"auto", "off"};
  const auto& names = group_names(settings.metre.book);
  values.insert(values.end(), names.begin(), names.end());
  return values;
}

std::vector<std::string> nothing(const Settings&, const DecoderSet&) { return {}; }

std::uint64_t parse_seed(std::string_view text) {
  const auto seed = whole_number<std::uint64_t>(text);
  if (!seed)
    throw Error::input(fmt::format("a seed is a whole number from 0 to 2^64-1, not '{}'", text));
  return *seed;
}

int parse_count(std::string_view text) {
  const auto count = whole_number<int>(text);
  if (!count || *count < 1 || *count > 100)
    throw Error::input(
        fmt::format("the number of poems is a whole number from 1 to 100, not '{}'", text));
  return *count;
}

// The rows of setting_table(), in the order usage shows gen's options.
std::vector<Setting> make_table() {
  return {
      {"", "--decoder", "NAME", "the decoder to write with (default: the one 'use' chose)",
       decoder_names,
       [](Settings& s, std::string_view text, const DecoderSet& decoders) {
         s.decoder = find_decoder(decoders, text)->name();
       },
       nullptr},
      {"form", "--form", "FORM", "五绝, 七绝, 五律, 七律 (or 5x4, 7x4, 5x8, 7x8), auto or free",
       form_names,
       [](Settings& s, std::string_view text, const DecoderSet&) {
         s.form = parse_form_choice(text);
       },
       [](const Settings& s) { return s.form.name; }},
      {"rhyme", "--rhyme", "auto|off|GROUP",
       "auto: the first rhyme picks the group, and no rhyme character comes twice; or a group (东, "
       "七阳)",
       rhyme_values,
       [](Settings& s, std::string_view text, const DecoderSet&) { s.metre.rhyme = text; },
       [](const Settings& s) { return s.metre.rhyme; }},
      {"tones", "--tones", "strict|loose|off",
       "loose: positions 2, 4, 6 and line ends keep the pattern, no 孤平 or 三平尾; strict: every "
       "position",
       [](const Settings&, const DecoderSet&) {
         return strings({"off", "loose", "strict"});
       },
       [](Settings& s, std::string_view text, const DecoderSet&) {
         const auto it = std::find(std::begin(kToneModes), std::end(kToneModes), text);
         if (it == std::end(kToneModes))
           throw Error::input(fmt::format("tones are strict, loose or off, not '{}'", text));
         s.metre.tones = static_cast<ToneMode>(it - std::begin(kToneModes));
       },
       [](const Settings& s) { return s.metre.tones_name(); }},
      {"rhyme-book", "--rhyme-book", "平水韵|中华新韵",
       "the classical groups and tones (default) or those of Mandarin",
       [](const Settings&, const DecoderSet&) {
         return strings({"平水韵", "中华新韵"});
       },
       [](Settings& s, std::string_view text, const DecoderSet&) {
         const auto book = parse_book(text);
         if (!book)
           throw Error::input(fmt::format("the rhyme book is 平水韵 or 中华新韵, not '{}'", text));
         s.metre.book = *book;
       },
       [](const Settings& s) { return std::string(book_name(s.metre.book)); }},
      {"", "--mood", "TEXT",
       "a line read into the model first to set the mood; not part of the poem", nothing,
       [](Settings& s, std::string_view text, const DecoderSet&) { s.mood = decode_utf8(text); },
       nullptr},
      {"seed", "--seed", "S",
       "the same seed writes the same poem; -n poems take S, S+1, ...; or random",
       [](const Settings&, const DecoderSet&) { return strings({"random"}); },
       [](Settings& s, std::string_view text, const DecoderSet&) {
         s.seed = text == "random" ? std::nullopt : std::optional(parse_seed(text));
       },
       [](const Settings& s) { return s.seed ? std::to_string(*s.seed) : std::string("random"); }},
      {"count", "-n", "COUNT", "how many poems (1 to 100)", nothing,
       [](Settings& s, std::string_view text, const DecoderSet&) { s.count = parse_count(text); },
       [](const Settings& s) { return std::to_string(s.count); }},
      {"best-of", "--best-of", "K",
       "write K candidates a poem in one batch and keep the one the critic rates most real "
       "(1 to 32; 1: no critic)",
       nothing,
       [](Settings& s, std::string_view text, const DecoderSet&) {
         const auto k = whole_number<int>(text);
         if (!k || *k < 1 || *k > kMostBestOf)
           throw Error::input(fmt::format(
               "--best-of takes a whole number from 1 to {}, not '{}'", kMostBestOf, text));
         s.best_of = *k;
       },
       [](const Settings& s) { return std::to_string(s.best_of); }},
      {"autoreload", "", "on|off",
       "load each checkpoint training writes, and the loaded file when it changes",
       [](const Settings&, const DecoderSet&) {
         return strings({"on", "off"});
       },
       [](Settings& s, std::string_view text, const DecoderSet&) {
         if (text != "on" && text != "off")
           throw Error::input(fmt::format("autoreload is on or off, not '{}'", text));
         s.autoreload = text == "on";
       },
       [](const Settings& s) { return std::string(s.autoreload ? "on" : "off"); }},
  };
}

}  // namespace

MetreRule MetreChoice::rule(const MetreLexicon& lexicon) const {
  MetreRule rule;
  rule.lexicon = &lexicon;
  rule.book = book;
  rule.tones = tones;
  const auto group = fixed_group();
  rule.rhyme = group ? RhymeMode::fixed : rhyme == "off" ? RhymeMode::off : RhymeMode::automatic;
  rule.group = group.value_or(-1);
  return rule;
}

std::optional<int> MetreChoice::fixed_group() const {
  if (rhyme == "off" || rhyme == "auto") return std::nullopt;
  const auto group = parse_group(book, rhyme);
  if (!group) {
    const auto& names = group_names(book);
    throw Error::input(fmt::format("rhyme is auto, off or a group of {} ({} ... {}), not '{}'",
                                   book_name(book), names.front(), names.back(), rhyme));
  }
  return group;
}

std::string MetreChoice::tones_name() const {
  return std::string(kToneModes[static_cast<int>(tones)]);
}

FormChoice parse_form_choice(std::string_view text) {
  if (text == "auto") return {};
  if (text == "free") return {"free", FormRule::free()};
  const auto form = parse_form(text);
  if (!form || form_shape(*form).chars_per_line == 0) {
    throw Error::input(fmt::format(
        "unknown form '{}': use 五绝, 七绝, 五律, 七律 (or 5x4, 7x4, 5x8, 7x8), auto or free",
        text));
  }
  return {std::string(form_name(*form)), FormRule::exact(*form)};
}

namespace {

// What a parameter's value is kept under: its stable id where the plugin gives one, so that a
// rebuilt plugin that renames or reorders it keeps the value; else its name.
std::string param_key(const DecoderParam& param) {
  return param.id != 0 ? fmt::format("#{}", param.id) : param.name;
}

bool still_accepted(const DecoderParam& param, double value) {
  switch (param.type) {
    case ParamType::integer:
    case ParamType::real:
      return value >= param.min_value && value <= param.max_value;
    case ParamType::boolean:
      return value == 0 || value == 1;
    case ParamType::choice:
      return value >= 0 && value < static_cast<double>(param.choices.size());
  }
  return false;
}

}  // namespace

std::vector<double> Settings::values(const Decoder& decoder) const {
  std::vector<double> values = decoder.default_values();
  const auto changed = params_.find(decoder.name());
  if (changed == params_.end()) return values;
  for (std::size_t i = 0; i < decoder.params().size(); ++i) {
    const DecoderParam& param = decoder.params()[i];
    const auto it = changed->second.find(param_key(param));
    // A value a rebuilt plugin no longer accepts (its range narrowed) gives way to the default.
    if (it != changed->second.end() && still_accepted(param, it->second)) values[i] = it->second;
  }
  return values;
}

void Settings::set_param(const Decoder& decoder, const DecoderParam& param, double value) {
  params_[decoder.name()][param_key(param)] = value;
}

const std::vector<Setting>& setting_table() {
  static const std::vector<Setting> table = make_table();
  return table;
}

const Setting* setting_by_key(std::string_view key) {
  const auto& table = setting_table();
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const Setting& s) { return !key.empty() && s.key == key; });
  return it == table.end() ? nullptr : &*it;
}

const Setting* setting_by_option(std::string_view option) {
  const auto& table = setting_table();
  const auto it = std::find_if(table.begin(), table.end(), [&](const Setting& s) {
    return !option.empty() && s.option == option;
  });
  return it == table.end() ? nullptr : &*it;
}

std::vector<std::string> reserved_option_names() {
  std::vector<std::string> names;
  for (const Setting& setting : setting_table()) {
    if (!setting.option.empty())
      names.emplace_back(setting.option.substr(setting.option.find_first_not_of('-')));
  }
  return names;
}

void check_settings(const Settings& settings) {
  settings.metre.fixed_group();  // a fixed group must be one of the book's
}

std::pair<std::string, std::string> set_setting(Settings& settings, std::string_view key,
                                                std::string_view value,
                                                const DecoderSet& decoders) {
  if (const Setting* setting = setting_by_key(key)) {
    Settings changed = settings;
    setting->apply(changed, value, decoders);
    check_settings(changed);
    settings = std::move(changed);
    return {std::string(key), setting->show(settings)};
  }
  // A parameter: of the current decoder, or DECODER.PARAM.
  const auto dot = key.find('.');
  const auto owner =
      find_decoder(decoders, dot == std::string_view::npos ? std::string_view(settings.decoder)
                                                           : key.substr(0, dot));
  const DecoderParam* param =
      owner->param(dot == std::string_view::npos ? key : key.substr(dot + 1));
  if (param == nullptr) {
    const auto all = setting_keys(settings, decoders);
    throw Error::input(
        fmt::format("no setting '{}'{}; 'settings' lists them", key,
                    did_you_mean(key, std::vector<std::string_view>(all.begin(), all.end()))));
  }
  const double parsed = param->parse(value);
  settings.set_param(*owner, *param, parsed);
  return {owner->name() + "." + param->name, param->format(parsed)};
}

std::vector<std::string> setting_keys(const Settings& settings, const DecoderSet& decoders) {
  std::vector<std::string> keys;
  for (const Setting& setting : setting_table()) {
    if (!setting.key.empty()) keys.emplace_back(setting.key);
  }
  if (const auto current = decoders.find(settings.decoder)) {
    for (const auto& param : current->params()) keys.push_back(param.name);
  }
  for (const auto& d : decoders.decoders()) {
    for (const auto& param : d->params()) keys.push_back(d->name() + "." + param.name);
  }
  return keys;
}

std::shared_ptr<const Decoder> find_decoder(const DecoderSet& decoders, std::string_view name) {
  auto decoder = decoders.find(name);
  if (!decoder) {
    throw Error::input(fmt::format("no decoder '{}'{}; 'decoders' lists them", name,
                                   did_you_mean(name, decoders.names())));
  }
  return decoder;
}

std::uint64_t candidate_seed(std::uint64_t seed, int index) {
  if (index == 0) return seed;
  // The others spread by SplitMix64's mixing, far from the seeds of -n's other poems.
  std::uint64_t z = seed + static_cast<std::uint64_t>(index) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace poet::repl
