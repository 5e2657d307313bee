#include "poems.h"

#include <fmt/format.h>

#include <random>

#include "generation_settings.h"
#include "interrupt.h"
#include "poet/engine/error.h"
#include "poet/engine/text/forms.h"
#include "poet/engine/text/names.h"
#include "poet/engine/text/text.h"
#include "poet/engine/writing/writing.h"
#include "shell.h"

namespace poet::repl {
namespace {

std::string joined_names(const std::vector<std::string_view>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " and " : ", ";
    text += fmt::format("'{}'", names[i]);
  }
  return text;
}

// The decoders that take `option` (a parameter or an alias, without its dashes).
std::vector<std::string_view> owners_of(const DecoderSet& decoders, std::string_view option) {
  std::vector<std::string_view> owners;
  for (const auto& decoder : decoders.decoders()) {
    if (decoder->option(option) != nullptr) owners.push_back(decoder->name());
  }
  return owners;
}

// The decoder a poem command writes with: --decoder, else the one `use` chose, unless one of the
// options is an alias it lacks that one other decoder declares (--beam N: beam search).
std::shared_ptr<const Decoder> decoder_for(Shell& shell, const Args& args) {
  const DecoderSet& decoders = shell.decoders();
  if (const auto* name = args.option("--decoder")) return find_decoder(decoders, *name);
  const auto chosen = find_decoder(decoders, shell.settings().decoder);
  for (const auto& [option, value] : args.options) {
    const std::string_view name = std::string_view(option).substr(2);
    if (setting_by_option(option) != nullptr || chosen->option(name) != nullptr) continue;
    std::vector<std::shared_ptr<const Decoder>> declaring;
    for (const auto& decoder : decoders.decoders()) {
      const auto& aliases = decoder->aliases();
      if (std::any_of(aliases.begin(), aliases.end(),
                      [&](const OptionAlias& a) { return a.option == name; }))
        declaring.push_back(decoder);
    }
    if (declaring.size() == 1) return declaring[0];
  }
  return chosen;
}

// The error for an option the decoder does not take: which decoders have it, if any.
Error unknown_option(const DecoderSet& decoders, const Decoder& decoder, std::string_view option) {
  const auto owners = owners_of(decoders, option.substr(2));
  if (owners.empty()) {
    std::vector<std::string> known;
    for (const Setting& setting : setting_table()) {
      if (!setting.option.empty()) known.emplace_back(setting.option);
    }
    for (const auto& param : decoder.params()) known.push_back("--" + param.name);
    for (const auto& alias : decoder.aliases()) known.push_back("--" + alias.option);
    return Error::input(fmt::format(
        "unknown option '{}'{}", option,
        did_you_mean(option, std::vector<std::string_view>(known.begin(), known.end()))));
  }
  return Error::input(
      fmt::format("unknown option '{}' for decoder '{}'; {} {} {} it: add --decoder {}", option,
                  decoder.name(), owners.size() == 1 ? "decoder" : "decoders", joined_names(owners),
                  owners.size() == 1 ? "has" : "have", owners[0]));
}

// The session's settings with a poem command's options applied, for this command only.
Settings command_settings(Shell& shell, const Args& args, const Decoder& decoder) {
  Settings settings = shell.settings();
  settings.decoder = decoder.name();
  for (const auto& [option, value] : args.options) {
    if (option == "--decoder") continue;
    if (const Setting* setting = setting_by_option(option)) {
      setting->apply(settings, value, shell.decoders());
    } else if (const DecoderParam* param = decoder.option(std::string_view(option).substr(2))) {
      settings.set_param(decoder, *param, param->parse(value));
    } else {
      throw unknown_option(shell.decoders(), decoder, option);
    }
  }
  check_settings(settings);
  return settings;
}

// Lays a poem out one line of verse per line as its characters arrive; a line left open (a poem
// stopped or failed half-way) is ended, so that what follows starts on a line of its own.
class VerseLayout {
 public:
  explicit VerseLayout(Terminal& terminal) : terminal_(terminal) {}
  ~VerseLayout() {
    if (open_) terminal_.stream("\n");
  }
  VerseLayout(const VerseLayout&) = delete;
  VerseLayout& operator=(const VerseLayout&) = delete;

  void add(const std::string& piece) {
    std::string out;
    for (const char32_t c : decode_utf8(piece)) {
      out += encode_utf8(c);
      open_ = !is_verse_punctuation(c);
      if (!open_) out += '\n';
    }
    terminal_.stream(out);
  }

 private:
  Terminal& terminal_;
  bool open_ = false;
};

nlohmann::json param_values(const Decoder& decoder, const std::vector<double>& values) {
  nlohmann::json object = nlohmann::json::object();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& param = decoder.params()[i];
    switch (param.type) {
      case ParamType::integer:
        object[param.name] = static_cast<long long>(values[i]);
        break;
      case ParamType::real:
        object[param.name] = values[i];
        break;
      case ParamType::boolean:
        object[param.name] = values[i] != 0;
        break;
      case ParamType::choice:
        object[param.name] = param.format(values[i]);
        break;
    }
  }
  return object;
}

// One written poem as --json gives it: everything it takes to write it again.
nlohmann::json poem_fields(const WrittenPoem& poem, const Settings& settings,
                           const Decoder& decoder, const std::u32string& text, bool acrostic,
                           std::uint64_t seed, const Generation& generation) {
  nlohmann::json fields{{"poem", poem.text},
                        {"lines", poem.lines},
                        {"form", std::string(form_name(classify_form(decode_utf8(poem.text))))},
                        {"decoder", decoder.name()},
                        {"params", param_values(decoder, settings.values(decoder))},
                        {"rhyme", settings.metre.rhyme},
                        {"tones", settings.metre.tones_name()},
                        {"rhyme_book", std::string(book_name(settings.metre.book))},
                        {"seed", seed},
                        {"log_prob", poem.log_prob},
                        {"model", generation.model_info().file.string()}};
  fields[acrostic ? "heads" : "start"] = encode_utf8(text);
  if (!settings.mood.empty()) fields["mood"] = encode_utf8(settings.mood);
  if (poem.rhyme_group)
    fields["rhyme_group"] =
        group_names(settings.metre.book)[static_cast<std::size_t>(*poem.rhyme_group)];
  if (!poem.notes.empty()) fields["notes"] = poem.notes;
  if (!poem.warnings.empty()) fields["warnings"] = poem.warnings;
  if (poem.unshown_warnings > 0) fields["more_warnings"] = poem.unshown_warnings;
  return fields;
}

// One command's poems: what each is asked, and how each is shown.
class PoemWriter {
 public:
  PoemWriter(Shell& shell, const Args& args, bool acrostic)
      : shell_(shell),
        terminal_(shell.terminal()),
        decoder_(decoder_for(shell, args)),
        settings_(command_settings(shell, args, *decoder_)),
        text_(decode_utf8(args.positional[0])),
        acrostic_(acrostic),
        best_of_(candidate_count(*decoder_, settings_.best_of)) {
    if (settings_.metre.needs_lexicon()) metre_ = settings_.metre.rule(shell.metre_lexicon());
    std::random_device entropy;
    first_seed_ = settings_.seed ? *settings_.seed : (std::uint64_t{entropy()} << 32 | entropy());
  }

  void write() {
    if (settings_.count == 1 && best_of_ == 1) {
      write_streaming();
      return;
    }
    const Critic* critic = best_of_ > 1 ? &shell_.critic() : nullptr;
    // The first poem is a batch of its own, so it shows as soon as one poem could; the rest go
    // whole poems' candidates a batch, at most kMostInBatch of them (each a thread).
    const int per_batch = std::max(1, kMostInBatch / best_of_);
    for (int first = 0, last = 0; first < settings_.count; first = last) {
      last = std::min(settings_.count, first == 0 ? 1 : first + per_batch);
      std::vector<std::unique_ptr<Generation>> generations;
      std::vector<Generation*> pointers;
      std::vector<PoemRequest> requests;
      for (int i = first; i < last; ++i) {
        for (int j = 0; j < best_of_; ++j) {
          generations.push_back(
              shell_.engine().begin_generation(candidate_seed(seed_of(i), j)));
          pointers.push_back(generations.back().get());
          requests.push_back(request(i));
        }
      }
      const std::vector<WrittenPoem> written = poet::write_poems(pointers, *decoder_, requests);
      for (int i = first; i < last; ++i) {
        const auto candidates = written.begin() + (i - first) * best_of_;
        auto chosen = static_cast<std::size_t>(candidates - written.begin());
        std::optional<double> score;
        if (critic != nullptr) {
          const CriticChoice choice = choose_by_critic(*critic, {candidates, candidates + best_of_});
          chosen += choice.index;
          score = choice.score;
        }
        if (i > 0 && !terminal_.json()) terminal_.stream("\n");
        {
          VerseLayout layout(terminal_);
          if (!terminal_.json()) layout.add(written[chosen].text);
        }
        show(written[chosen], seed_of(i), *pointers[chosen], score);
      }
    }
  }

 private:
  // Candidates written in one batch at most: poems of -n beyond it wait for the next batch.
  static constexpr int kMostInBatch = 64;

  std::uint64_t seed_of(int poem) const { return first_seed_ + static_cast<std::uint64_t>(poem); }

  PoemRequest request(int poem) const {
    PoemRequest request;
    (acrostic_ ? request.heads : request.start) = text_;
    request.mood = settings_.mood;
    request.form = settings_.form.rule;
    request.metre = metre_;
    request.params = settings_.values(*decoder_);
    request.poem_index = poem;
    request.poem_count = settings_.count;
    request.cancel = &interrupted();
    return request;
  }

  // One poem, shown as the decoder settles it where it streams.
  void write_streaming() {
    auto generation = shell_.engine().begin_generation(seed_of(0));
    PoemRequest poem_request = request(0);
    const bool live = decoder_->streams() && !terminal_.json();
    WrittenPoem poem;
    {
      VerseLayout layout(terminal_);
      if (live) poem_request.on_text = [&](const std::string& piece) { layout.add(piece); };
      poem = write_poem(*generation, *decoder_, poem_request);
      if (!live && !terminal_.json()) layout.add(poem.text);
    }
    show(poem, seed_of(0), *generation, std::nullopt);
  }

  // What follows a poem's text: its warnings, notes and critic score, and the fields of --json.
  void show(const WrittenPoem& poem, std::uint64_t seed, const Generation& generation,
            std::optional<double> critic) {
    Reply reply{poem_fields(poem, settings_, *decoder_, text_, acrostic_, seed, generation), {}};
    if (critic) {
      reply.fields["critic"] = *critic;
      reply.fields["best_of"] = best_of_;
    }
    if (!terminal_.json()) {
      for (const auto& warning : poem.warnings) terminal_.warning(warning);
      if (poem.unshown_warnings > 0) {
        terminal_.warning(fmt::format("decoder '{}': and {} more warning{}", decoder_->name(),
                                      poem.unshown_warnings,
                                      poem.unshown_warnings == 1 ? "" : "s"));
      }
      // Where the metre gave way is part of the result, so a script sees it too.
      for (const auto& note : poem.notes) reply.text += fmt::format("  ({})\n", note);
    }
    terminal_.reply(reply);
    if (terminal_.interactive()) {
      // Like the decoder and the seed, the critic's score is for the person at the prompt: a
      // script reads the poem alone, or `critic` in --json.
      if (critic) terminal_.note(fmt::format("  critic {:.2f}", *critic));
      terminal_.note(fmt::format(
          "  {}, seed {}{}", decoder_->name(), seed,
          reply.fields.contains("rhyme_group")
              ? fmt::format(", rhyme {}", reply.fields["rhyme_group"].get<std::string>())
              : ""));
    }
  }

  Shell& shell_;
  Terminal& terminal_;
  std::shared_ptr<const Decoder> decoder_;
  Settings settings_;
  std::u32string text_;
  bool acrostic_;
  int best_of_;
  MetreRule metre_;  // no lexicon: no metre
  std::uint64_t first_seed_ = 0;
};

// gen and acrostic: `text` is the beginning or the heads.
void run_poem_command(Shell& shell, const Args& args, bool acrostic) {
  PoemWriter(shell, args, acrostic).write();
}

// Tab after gen's or acrostic's words: after one of the decoder's options, its values; elsewhere,
// the names of the options the decoder takes.
Candidates decoder_options(Shell& shell, const std::vector<std::string>& before) {
  Args args;
  for (std::size_t i = 1; i + 1 < before.size(); ++i) {
    if (before[i].rfind("--", 0) == 0) args.options.emplace_back(before[i], before[i + 1]);
  }
  std::shared_ptr<const Decoder> decoder;
  try {
    decoder = decoder_for(shell, args);
  } catch (const Error&) {
    return std::vector<std::string>{};
  }
  const std::string& last = before.back();
  if (const DecoderParam* param =
          last.rfind("--", 0) == 0 ? decoder->option(last.substr(2)) : nullptr) {
    if (param->type == ParamType::choice) return param->choices;
    if (param->type == ParamType::boolean) return std::vector<std::string>{"on", "off"};
    return std::vector<std::string>{};
  }
  std::vector<std::string> names;
  for (const auto& param : decoder->params()) names.push_back("--" + param.name);
  // Every alias: another decoder's picks that decoder (--beam N).
  for (const auto& other : shell.decoders().decoders()) {
    for (const auto& alias : other->aliases()) {
      if (std::find(names.begin(), names.end(), "--" + alias.option) == names.end())
        names.push_back("--" + alias.option);
    }
  }
  return names;
}

std::vector<Option> poem_options() {
  std::vector<Option> options;
  for (const Setting& setting : setting_table()) {
    if (setting.option.empty()) continue;
    options.push_back({setting.option, setting.value, setting.help,
                       [&setting](Shell& shell, const std::vector<std::string>&) -> Candidates {
                         return setting.values(shell.settings(), shell.decoders());
                       }});
  }
  return options;
}

Command poem_command(std::string_view name, std::string_view arguments, std::string_view summary,
                     std::string_view details, bool acrostic) {
  Command command{name, arguments, 1, 1, summary, details, poem_options()};
  command.run = acrostic ? [](Shell& shell, const Args& args) { run_poem_command(shell, args, true); }
                         : [](Shell& shell, const Args& args) { run_poem_command(shell, args, false); };
  command.decoder_options = decoder_options;
  return command;
}

Command use_command() {
  Command use{"use",
              "<decoder>",
              1,
              1,
              "choose the decoder gen and acrostic write with",
              "'decoders' lists them."};
  use.run = [](Shell& shell, const Args& args) {
    const auto decoder = find_decoder(shell.decoders(), args.positional[0]);
    shell.settings().decoder = decoder->name();
    shell.terminal().reply(
        {{{"decoder", decoder->name()}}, fmt::format("gen now uses '{}'", decoder->name())});
  };
  use.complete_arguments = [](Shell& shell, const std::vector<std::string>&) -> Candidates {
    const auto names = shell.decoders().names();
    return std::vector<std::string>(names.begin(), names.end());
  };
  return use;
}

Command set_command() {
  Command set{
      "set",
      "<key> <value>",
      2,
      2,
      "change a generation setting or decoder parameter",
      "Keys: form, rhyme, tones, rhyme-book (as gen's options), seed (a number, or random),\n"
      "  count (poems per gen), autoreload (on: load each checkpoint training writes), any\n"
      "  parameter of the current decoder (set temperature 0.8), or DECODER.PARAM for another\n"
      "  (set beam.width 4). A value outside its range is refused, and the old one stays."};
  set.run = [](Shell& shell, const Args& args) {
    const auto [key, value] =
        set_setting(shell.settings(), args.positional[0], args.positional[1], shell.decoders());
    if (key == "autoreload") shell.apply_autoreload();
    shell.terminal().reply({{{"key", key}, {"value", value}}, fmt::format("{} {}", key, value)});
  };
  set.complete_arguments = [](Shell& shell, const std::vector<std::string>& before) -> Candidates {
    if (before.size() == 1) return setting_keys(shell.settings(), shell.decoders());
    if (before.size() != 2) return std::vector<std::string>{};
    const std::string& key = before[1];
    if (const Setting* setting = setting_by_key(key))
      return setting->values(shell.settings(), shell.decoders());
    const auto dot = key.find('.');
    const auto decoder =
        shell.decoders().find(dot == std::string::npos ? std::string_view(shell.settings().decoder)
                                                       : std::string_view(key).substr(0, dot));
    const DecoderParam* param =
        decoder ? decoder->param(dot == std::string::npos ? key : key.substr(dot + 1)) : nullptr;
    if (param == nullptr) return std::vector<std::string>{};
    if (param->type == ParamType::choice) return param->choices;
    if (param->type == ParamType::boolean) return std::vector<std::string>{"on", "off"};
    return std::vector<std::string>{};
  };
  return set;
}

Command settings_command() {
  Command settings{"settings", "", 0, 0, "show the generation settings"};
  settings.run = [](Shell& shell, const Args&) {
    const Settings& s = shell.settings();
    Reply reply;
    reply.fields["decoder"] = s.decoder;
    reply.text = fmt::format("decoder     {}\n", s.decoder);
    if (const auto current = shell.decoders().find(s.decoder)) {
      const auto values = s.values(*current);
      reply.fields["params"] = param_values(*current, values);
      for (std::size_t i = 0; i < current->params().size(); ++i) {
        const auto& param = current->params()[i];
        reply.text += fmt::format("  {:<16}  {}\n", param.name, param.format(values[i]));
      }
    } else {
      reply.text += "  (not loaded)\n";
    }
    for (const Setting& setting : setting_table()) {
      if (setting.key.empty() || setting.show == nullptr) continue;
      std::string field(setting.key);
      std::replace(field.begin(), field.end(), '-', '_');
      reply.fields[field] = setting.show(s);
      reply.text += fmt::format("{:<10}  {}\n", setting.key, setting.show(s));
    }
    reply.text.pop_back();
    shell.terminal().reply(reply);
  };
  return settings;
}

}  // namespace

std::vector<Command> poem_commands() {
  return {
      poem_command(
          "gen", "<start>", "write a poem that begins with <start>",
          "By default a regulated poem rhymes in one group with no rhyme character twice and "
          "keeps\n"
          "  its tones at positions 2, 4, 6 and the line ends; when nothing fits, the rule gives "
          "way\n"
          "  and says where. Free poems have no metre. Ctrl-C stops the poem being written.",
          false),
      poem_command(
          "acrostic", "<heads>", "write a 藏头诗: line i begins with the i-th of <heads>",
          "One line per head character, in the form given (its line count must match) or, by\n"
          "  default, lines of 5 or 7 as the first line goes. Any decoder writes it: poet writes "
          "the\n"
          "  heads, and the decoder the rest. The options are gen's.",
          true),
      use_command(),
      set_command(),
      settings_command(),
  };
}

}  // namespace poet::repl
