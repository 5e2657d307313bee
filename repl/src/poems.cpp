#include "poems.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "interrupt.h"
#include "poet/engine/decoders.h"
#include "poet/engine/text.h"
#include "poet/engine/writing.h"
#include "shell.h"
#include "words.h"

namespace poet::repl {
namespace {

constexpr std::string_view kFormNames[] = {"五绝", "七绝", "五律", "七律", "auto", "free"};

std::vector<std::string> names_of(const DecoderSet& decoders) {
  const auto names = decoders.names();
  return {names.begin(), names.end()};
}

const std::string* given(const std::vector<std::string>& args, std::string_view option) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == option) return &args[i + 1];
  }
  return nullptr;
}

// The options a poem command takes: its own, whose names the engine reserves (-n for the
// one-letter one), then the decoder's parameters (--NAME VALUE).
std::vector<std::string> poem_options(const Decoder* decoder) {
  std::vector<std::string> options;
  for (const std::string_view name : kReservedParamNames) {
    options.push_back((name.size() == 1 ? "-" : "--") + std::string(name));
  }
  if (decoder != nullptr) {
    for (const auto& param : decoder->params()) options.push_back("--" + param.name);
  }
  return options;
}

// The error for an option `decoder` does not take: when other loaded decoders that could write
// the poem (an acrostic, for `acrostic`) have it as a parameter, which to write with instead.
std::string unknown_option_error(const DecoderSet& decoders, const Decoder& decoder, bool acrostic,
                                 const UnknownOption& error) {
  std::vector<std::string_view> owners;
  if (error.option.rfind("--", 0) == 0) {
    for (const auto& other : decoders.decoders()) {
      if ((other->writes_acrostics() || !acrostic) &&
          other->param(std::string_view(error.option).substr(2))) {
        owners.push_back(other->name());
      }
    }
  }
  if (owners.empty()) return error.what();
  std::string names;
  for (std::size_t i = 0; i < owners.size(); ++i) {
    if (i > 0) names += i + 1 == owners.size() ? " and " : ", ";
    names += fmt::format("'{}'", owners[i]);
  }
  return fmt::format("unknown option '{}' for decoder '{}'; {} {} {} it: add --decoder {}",
                     error.option, decoder.name(), owners.size() == 1 ? "decoder" : "decoders",
                     names, owners.size() == 1 ? "has" : "have", owners[0]);
}

// The decoder a poem command writes with: --decoder, else acrostic's own, else beam for --beam,
// else the one `use` chose.
std::string_view decoder_to_use(Shell& shell, const std::vector<std::string>& args, bool acrostic) {
  if (const auto* name = given(args, "--decoder")) return *name;
  if (acrostic) return "acrostic";
  return given(args, "--beam") ? "beam" : std::string_view(shell.settings().decoder);
}

// A poem command's request, from the settings and its options.
struct PoemJob {
  std::shared_ptr<const Decoder> decoder;
  std::vector<double> params;
  FormChoice form;
  MetreChoice metre;
  std::u32string text;  // the beginning (gen) or the heads (acrostic)
  std::u32string mood;
  std::optional<std::uint64_t> seed;
  int count = 1;
};

PoemJob parse_job(Shell& shell, const std::vector<std::string>& args, bool acrostic,
                  std::string_view usage) {
  const DecoderSet& decoders = shell.decoders();
  const GenerationSettings& settings = shell.settings();
  // The decoder first: its parameters are options too.
  PoemJob job;
  job.decoder = find_decoder(decoders, decoder_to_use(shell, args, acrostic));
  const std::vector<std::string> options = poem_options(job.decoder.get());
  ParsedArgs parsed;
  try {
    parsed = parse_options(args, {options.begin(), options.end()});
  } catch (const UnknownOption& error) {
    throw CommandError(unknown_option_error(decoders, *job.decoder, acrostic, error));
  }
  if (parsed.positional.size() != 1) throw CommandError(fmt::format("usage: {}", usage));

  job.params = settings.values(*job.decoder);
  job.form = settings.form;
  job.metre = settings.metre;
  job.seed = settings.seed;
  job.count = settings.count;
  const auto set_param = [&](std::string_view name, const std::string& value) {
    const auto& params = job.decoder->params();
    const auto it =
        std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.name == name; });
    try {
      job.params[static_cast<std::size_t>(it - params.begin())] = it->parse(value);
    } catch (const EngineError& error) {
      throw CommandError(error.what());
    }
  };
  for (const auto& [option, value] : parsed.options) {
    if (option == "--form") {
      job.form = parse_form_choice(value);
    } else if (MetreChoice::is_key(std::string_view(option).substr(2))) {
      job.metre.set(std::string_view(option).substr(2), value);
    } else if (option == "--mood") {
      job.mood = decode_utf8(value);
    } else if (option == "--seed") {
      job.seed = parse_seed(value);
    } else if (option == "-n") {
      job.count = parse_count(value);
    } else if (option == "--beam") {  // the beam width, whichever decoder searches with a beam
      if (job.decoder->param("width")) {
        set_param("width", value);
      } else if (job.decoder->param("beam-width")) {
        set_param("inner", "beam");
        set_param("beam-width", value);
      } else {
        throw CommandError(fmt::format("decoder '{}' has no beam", job.decoder->name()));
      }
    } else if (option != "--decoder") {
      set_param(std::string_view(option).substr(2), value);
    }
  }
  job.text = decode_utf8(parsed.positional[0]);
  return job;
}

// Lays a poem out one line of verse per line as its characters arrive.
class VerseLayout {
 public:
  explicit VerseLayout(Terminal& terminal) : terminal_(terminal) {}
  void add(const std::string& piece) {
    std::string out;
    for (const char32_t c : decode_utf8(piece)) {
      out += encode_utf8(c);
      if (is_verse_punctuation(c)) out += '\n';
    }
    terminal_.stream(out);
  }

 private:
  Terminal& terminal_;
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

std::string rhyme_group_name(const PoemJob& job, int group) {
  return group_names(job.metre.book)[static_cast<std::size_t>(group)];
}

void write_poems(Shell& shell, const PoemJob& job, bool acrostic) {
  Terminal& terminal = shell.terminal();
  MetreRule metre;  // no lexicon: no metre
  if (job.metre.needs_lexicon()) metre = job.metre.rule(shell.metre_lexicon());
  const bool live = job.decoder->streams() && !terminal.json();
  std::random_device entropy;
  const std::uint64_t first_seed =
      job.seed ? *job.seed : (std::uint64_t{entropy()} << 32 | entropy());
  for (int i = 0; i < job.count; ++i) {
    const std::uint64_t seed = first_seed + static_cast<std::uint64_t>(i);
    auto generation = shell.engine().begin_generation(seed);
    PoemRequest request;
    (acrostic ? request.heads : request.start) = job.text;
    request.mood = job.mood;
    request.form = job.form.rule;
    request.metre = metre;
    request.params = job.params;
    request.poem_index = i;
    request.poem_count = job.count;
    request.cancel = &interrupted();
    VerseLayout layout(terminal);
    if (live) request.on_text = [&](const std::string& piece) { layout.add(piece); };
    if (i > 0 && !terminal.json()) terminal.stream("\n");
    WrittenPoem poem;
    try {
      poem = write_poem(*generation, *job.decoder, request);
    } catch (const Cancelled&) {
      if (live) terminal.stream("\n");
      throw CommandError("stopped");
    }
    if (terminal.json()) {
      nlohmann::json result{{"poem", poem.text},
                            {"lines", poem.lines},
                            {"form", std::string(form_name(classify_form(decode_utf8(poem.text))))},
                            {"decoder", job.decoder->name()},
                            {"params", param_values(*job.decoder, job.params)},
                            {"rhyme", job.metre.rhyme},
                            {"tones", job.metre.tones_name()},
                            {"rhyme_book", std::string(book_name(job.metre.book))},
                            {"seed", seed},
                            {"log_prob", poem.log_prob},
                            {"model", generation->model_info().file.string()}};
      result[acrostic ? "heads" : "start"] = encode_utf8(job.text);
      if (!job.mood.empty()) result["mood"] = encode_utf8(job.mood);
      if (poem.rhyme_group) result["rhyme_group"] = rhyme_group_name(job, *poem.rhyme_group);
      if (!poem.notes.empty()) result["notes"] = poem.notes;
      if (!poem.warnings.empty()) result["warnings"] = poem.warnings;
      terminal.json_result(result.dump());
    } else if (!live) {
      layout.add(poem.text);
    }
    if (terminal.json()) continue;
    for (const auto& warning : poem.warnings) terminal.warning(warning);
    // Where the metre gave way is part of the result, so a script sees it too.
    for (const auto& note : poem.notes) terminal.result(fmt::format("  ({})", note));
    if (terminal.interactive()) {
      terminal.note(fmt::format("  {}, seed {}{}", job.decoder->name(), seed,
                                poem.rhyme_group
                                    ? fmt::format(", rhyme {}", rhyme_group_name(job, *poem.rhyme_group))
                                    : ""));
    }
  }
}

}  // namespace

std::optional<std::vector<std::string>> complete_poem(Shell& shell,
                                                      const std::vector<std::string>& before) {
  const std::string& last = before.back();
  if (last == "--decoder") return names_of(shell.decoders());
  if (last == "--form")
    return std::vector<std::string>(std::begin(kFormNames), std::end(kFormNames));
  if (last.rfind("--", 0) == 0 && MetreChoice::is_key(std::string_view(last).substr(2)))
    return shell.settings().metre.values(std::string_view(last).substr(2));
  return poem_options(
      shell.decoders().find(decoder_to_use(shell, before, before[0] == "acrostic")).get());
}

std::optional<std::vector<std::string>> complete_use(Shell& shell,
                                                     const std::vector<std::string>& before) {
  if (before.size() != 1) return std::vector<std::string>{};
  return names_of(shell.decoders());
}

std::optional<std::vector<std::string>> complete_set(Shell& shell,
                                                     const std::vector<std::string>& before) {
  if (before.size() == 1) return shell.settings().keys(shell.decoders());
  if (before.size() != 2) return std::vector<std::string>{};
  const std::string& key = before[1];
  if (key == "form") return std::vector<std::string>(std::begin(kFormNames), std::end(kFormNames));
  if (key == "seed") return std::vector<std::string>{"random"};
  if (key == "autoreload") return std::vector<std::string>{"on", "off"};
  if (MetreChoice::is_key(key)) return shell.settings().metre.values(key);
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
}

void run_gen(Shell& shell, const std::vector<std::string>& args) {
  write_poems(shell, parse_job(shell, args, false, kGenUsage), false);
}

void run_acrostic(Shell& shell, const std::vector<std::string>& args) {
  const PoemJob job = parse_job(shell, args, true, kAcrosticUsage);
  if (!job.decoder->writes_acrostics()) {
    throw CommandError(fmt::format("decoder '{}' does not write acrostics; try --decoder acrostic",
                                   job.decoder->name()));
  }
  write_poems(shell, job, true);
}

void run_use(Shell& shell, const std::vector<std::string>& args) {
  const auto decoder = find_decoder(shell.decoders(), args[0]);
  shell.settings().decoder = decoder->name();
  shell.terminal().result(fmt::format("gen now uses '{}'", decoder->name()));
}

void run_set(Shell& shell, const std::vector<std::string>& args) {
  shell.terminal().result(shell.settings().set(args[0], args[1], shell.decoders()));
  if (args[0] != "autoreload") return;
  if (!shell.settings().autoreload) {
    shell.engine().stop_watching();
    return;
  }
  Notices& notices = shell.notices();
  shell.engine().watch(std::chrono::seconds(1), [&notices](const std::optional<ModelInfo>& model,
                                                           const std::string& error) {
    notices.post(
        model ? fmt::format("reloaded {} (step {})", model->file.string(), model->steps_trained)
              : fmt::format("could not reload: {}", error));
  });
}

void run_settings(Shell& shell, const std::vector<std::string>&) {
  shell.terminal().result(shell.settings().describe(shell.decoders()));
}

}  // namespace poet::repl
