#include "generation_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "poet/engine/engine.h"
#include "poet/engine/names.h"
#include "words.h"

namespace poet::repl {
namespace {

constexpr std::string_view kFixedKeys[] = {"form", "seed", "count", "autoreload"};

constexpr std::string_view kToneModes[] = {"off", "loose", "strict"};

}  // namespace

bool MetreChoice::is_key(std::string_view key) {
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

void MetreChoice::set(std::string_view key, std::string_view value) {
  if (key == "tones") {
    const auto it = std::find(std::begin(kToneModes), std::end(kToneModes), value);
    if (it == std::end(kToneModes))
      throw CommandError(fmt::format("tones are strict, loose or off, not '{}'", value));
    tones = static_cast<ToneMode>(it - std::begin(kToneModes));
  } else if (key == "rhyme-book") {
    const auto parsed = parse_book(value);
    if (!parsed)
      throw CommandError(fmt::format("the rhyme book is 平水韵 or 中华新韵, not '{}'", value));
    book = *parsed;
  } else {
    rhyme = value;
    fixed_group();  // checks the group now, not at the next poem
  }
}

std::optional<int> MetreChoice::fixed_group() const {
  if (rhyme == "off" || rhyme == "auto") return std::nullopt;
  const auto group = parse_group(book, rhyme);
  if (!group) {
    const auto& names = group_names(book);
    throw CommandError(fmt::format("rhyme is auto, off or a group of {} ({} ... {}), not '{}'",
                                   book_name(book), names.front(), names.back(), rhyme));
  }
  return group;
}

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

std::vector<std::string> MetreChoice::values(std::string_view key) const {
  if (key == "tones") return {std::begin(kToneModes), std::end(kToneModes)};
  if (key == "rhyme-book") return {"平水韵", "中华新韵"};
  std::vector<std::string> values{"auto", "off"};
  const auto& names = group_names(book);
  values.insert(values.end(), names.begin(), names.end());
  return values;
}

std::string MetreChoice::tones_name() const {
  return std::string(kToneModes[static_cast<int>(tones)]);
}

std::shared_ptr<const Decoder> find_decoder(const DecoderSet& decoders, std::string_view name) {
  auto decoder = decoders.find(name);
  if (!decoder) {
    throw CommandError(fmt::format("no decoder '{}'{}; 'decoders' lists them", name,
                                   did_you_mean(name, decoders.names())));
  }
  return decoder;
}

FormChoice parse_form_choice(std::string_view text) {
  if (text == "auto") return {};
  if (text == "free") return {"free", FormRule::free()};
  const auto form = parse_form(text);
  if (!form || form_shape(*form).chars_per_line == 0) {
    throw CommandError(fmt::format(
        "unknown form '{}': use 五绝, 七绝, 五律, 七律 (or 5x4, 7x4, 5x8, 7x8), auto or free",
        text));
  }
  return {std::string(form_name(*form)), FormRule::exact(*form)};
}

std::uint64_t parse_seed(std::string_view text) {
  const auto seed = whole_number<std::uint64_t>(text);
  if (!seed)
    throw CommandError(fmt::format("a seed is a whole number from 0 to 2^64-1, not '{}'", text));
  return *seed;
}

int parse_count(std::string_view text) {
  const auto count = whole_number<int>(text);
  if (!count || *count < 1 || *count > 100) {
    throw CommandError(
        fmt::format("the number of poems is a whole number from 1 to 100, not '{}'", text));
  }
  return *count;
}

std::vector<double> GenerationSettings::values(const Decoder& decoder) const {
  std::vector<double> values = decoder.default_values();
  const auto changed = changed_.find(decoder.name());
  if (changed == changed_.end()) return values;
  for (std::size_t i = 0; i < decoder.params().size(); ++i) {
    if (const auto it = changed->second.find(decoder.params()[i].name);
        it != changed->second.end()) {
      values[i] = it->second;
    }
  }
  return values;
}

void GenerationSettings::set_value(const Decoder& decoder, const DecoderParam& param,
                                   double value) {
  changed_[decoder.name()][param.name] = value;
}

std::string GenerationSettings::set(std::string_view key, std::string_view value,
                                    const DecoderSet& decoders) {
  if (key == "form") {
    form = parse_form_choice(value);
    return fmt::format("form {}", form.name);
  }
  if (key == "seed") {
    seed = value == "random" ? std::nullopt : std::optional(parse_seed(value));
    return fmt::format("seed {}", seed ? std::to_string(*seed) : "random");
  }
  if (key == "count") {
    count = parse_count(value);
    return fmt::format("count {}", count);
  }
  if (MetreChoice::is_key(key)) {
    metre.set(key, value);
    return fmt::format("{} {}", key, value);
  }
  if (key == "autoreload") {
    if (value != "on" && value != "off")
      throw CommandError(fmt::format("autoreload is on or off, not '{}'", value));
    autoreload = value == "on";
    return fmt::format("autoreload {}", value);
  }
  // A parameter: of the current decoder, or DECODER.PARAM.
  const auto dot = key.find('.');
  const auto owner = find_decoder(
      decoders, dot == std::string_view::npos ? std::string_view(decoder) : key.substr(0, dot));
  const std::string_view name = dot == std::string_view::npos ? key : key.substr(dot + 1);
  const DecoderParam* param = owner->param(name);
  if (param == nullptr) {
    const auto all = keys(decoders);
    const std::vector<std::string_view> candidates(all.begin(), all.end());
    throw CommandError(fmt::format("no setting '{}'{}; 'settings' lists them", key,
                                   did_you_mean(key, candidates)));
  }
  try {
    set_value(*owner, *param, param->parse(value));
  } catch (const EngineError& error) {
    throw CommandError(error.what());
  }
  return fmt::format("{}.{} {}", owner->name(), param->name, value);
}

std::vector<std::string> GenerationSettings::keys(const DecoderSet& decoders) const {
  std::vector<std::string> keys(std::begin(kFixedKeys), std::end(kFixedKeys));
  keys.insert(keys.end(), std::begin(MetreChoice::kKeys), std::end(MetreChoice::kKeys));
  if (const auto current = decoders.find(decoder)) {
    for (const auto& param : current->params()) keys.push_back(param.name);
  }
  for (const auto& d : decoders.decoders()) {
    for (const auto& param : d->params()) keys.push_back(d->name() + "." + param.name);
  }
  return keys;
}

std::string GenerationSettings::describe(const DecoderSet& decoders) const {
  std::string text = fmt::format("decoder     {}\n", decoder);
  if (const auto current = decoders.find(decoder)) {
    const auto current_values = values(*current);
    for (std::size_t i = 0; i < current->params().size(); ++i) {
      const auto& param = current->params()[i];
      text += fmt::format("  {:<16}  {}\n", param.name, param.format(current_values[i]));
    }
  } else {
    text += "  (not loaded)\n";
  }
  text += fmt::format(
      "form        {}\nrhyme       {}\ntones       {}\nrhyme-book  {}\nseed        {}\ncount       "
      "{}\nautoreload  {}",
      form.name, metre.rhyme, metre.tones_name(), book_name(metre.book),
      seed ? std::to_string(*seed) : "random", count, autoreload ? "on" : "off");
  return text;
}

}  // namespace poet::repl
