#include "models.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "interrupt.h"
#include "poet/engine/error.h"
#include "poet/engine/files/limits.h"
#include "poet/engine/training/trainer.h"
#include "shell.h"
#include "words.h"

namespace poet::repl {
namespace {

nlohmann::json model_fields(const ModelConfig& config) {
  nlohmann::json fields{{"cell", cell_name(config.cell)},
                        {"layers", config.layers},
                        {"hidden_size", config.hidden_size},
                        {"embedding_size", config.embedding_size},
                        {"dropout", config.dropout},
                        {"adaptive_cutoffs", config.adaptive_cutoffs},
                        {"position_inputs", config.position_inputs},
                        {"metre_inputs", config.metre_inputs}};
  if (config.position_inputs) fields["position_embedding_size"] = config.position_embedding_size;
  return fields;
}

nlohmann::json param_fields(const DecoderParam& param) {
  static constexpr std::string_view kTypes[] = {"integer", "real", "boolean", "choice"};
  nlohmann::json fields{{"name", param.name},
                        {"type", kTypes[static_cast<int>(param.type)]},
                        {"default", param.format(param.default_value)},
                        {"accepts", param.accepted()},
                        {"help", param.help}};
  if (param.type == ParamType::integer || param.type == ParamType::real) {
    fields["min"] = param.min_value;
    fields["max"] = param.max_value;
  }
  if (param.type == ParamType::choice) fields["choices"] = param.choices;
  if (param.id != 0) fields["id"] = param.id;
  return fields;
}

// What `decoders` shows: each decoder with its parameters and aliases, then the plugins refused.
Reply decoders_reply(const DecoderSet& decoders) {
  Reply reply;
  reply.fields = {{"decoders", nlohmann::json::array()}, {"refused", nlohmann::json::array()}};
  for (const auto& decoder : decoders.decoders()) {
    nlohmann::json entry{
        {"name", decoder->name()},           {"version", decoder->version()},
        {"help", decoder->help()},           {"file", decoder->file().string()},
        {"streams", decoder->streams()},     {"isolated", decoder->isolated()},
        {"batches", decoder->batches()},     {"seedless", decoder->seedless()},
        {"params", nlohmann::json::array()}, {"aliases", nlohmann::json::object()}};
    std::vector<std::string_view> traits;
    if (decoder->streams()) traits.push_back("streams");
    if (decoder->steps_heads()) traits.push_back("steps acrostic heads itself");
    if (decoder->isolated()) traits.push_back("isolated");
    reply.text += fmt::format("{} {}  {}{}\n", decoder->name(), decoder->version(), decoder->help(),
                              traits.empty() ? "" : fmt::format(" ({})", fmt::join(traits, ", ")));
    std::size_t width = 0;
    for (const auto& param : decoder->params()) width = std::max(width, param.name.size());
    for (const auto& param : decoder->params()) {
      entry["params"].push_back(param_fields(param));
      reply.text += fmt::format("    {:<{}}  {:<6}  {}; {}\n", param.name, width,
                                param.format(param.default_value), param.help, param.accepted());
    }
    for (const auto& alias : decoder->aliases()) {
      entry["aliases"][alias.option] = alias.param;
      reply.text += fmt::format("    --{} N is --{} N, whatever decoder gen would write with\n",
                                alias.option, alias.param);
    }
    reply.fields["decoders"].push_back(std::move(entry));
  }
  if (decoders.decoders().empty()) reply.text += "no decoders loaded\n";
  for (const auto& refused : decoders.refused()) {
    reply.fields["refused"].push_back(
        {{"file", refused.file.string()}, {"reason", refused.reason}});
    reply.text += fmt::format("refused {}: {}\n", refused.file.string(), refused.reason);
  }
  reply.text.pop_back();
  return reply;
}

namespace fs = std::filesystem;

void run_eval(Shell& shell, const Args& args) {
  std::optional<Split> split;
  if (const auto* name = args.option("--split")) split = split_option(*name);
  const fs::path file = args.positional[0];
  const Evaluation result = shell.engine().evaluate(file, split, &interrupted());
  Reply reply{
      {{"file", file.string()},
       {"split", split ? nlohmann::json(split_name(*split)) : nlohmann::json(nullptr)},
       {"poems", result.poems},
       {"characters", result.characters},
       {"unknown", result.unknown},
       {"perplexity", result.perplexity},
       {"metre_perplexity",
        result.metre_perplexity ? nlohmann::json(*result.metre_perplexity) : nullptr},
       {"skipped_lines", result.skipped_lines},
       {"too_long", result.too_long}},
      fmt::format("{}{}: {} poems, {} characters ({} outside the vocabulary): perplexity {}",
                  file.string(), split ? fmt::format(" ({} split)", split_name(*split)) : "",
                  result.poems, result.characters, result.unknown,
                  perplexity_text(result.perplexity))};
  if (result.metre_perplexity) {
    reply.text += fmt::format(
        " with its metre inputs blank; {} conditioned on the metre the patterns ask",
        perplexity_text(*result.metre_perplexity));
  }
  if (result.skipped_lines > 0)
    reply.text += fmt::format("; {} lines that do not parse skipped", result.skipped_lines);
  if (result.too_long > 0)
    reply.text +=
        fmt::format("; {} poems longer than {} characters left out", result.too_long, kLongestPoem);
  shell.terminal().reply(reply);
}

void run_export(Shell& shell, const Args& args) {
  const fs::path from = args.positional[0], to = args.positional[1];
  write_inference_checkpoint(from, to);
  const auto bytes_from = fs::file_size(from), bytes_to = fs::file_size(to);
  shell.terminal().reply(
      {{{"from", from.string()},
        {"to", to.string()},
        {"bytes_from", bytes_from},
        {"bytes_to", bytes_to}},
       fmt::format("wrote {} ({:.1f} MB, for generation only) from {} ({:.1f} MB)", to.string(),
                   static_cast<double>(bytes_to) / 1e6, from.string(),
                   static_cast<double>(bytes_from) / 1e6)});
}

Candidates files(Shell&, const std::vector<std::string>&) { return std::nullopt; }

}  // namespace

Reply model_reply(const ModelInfo& info, std::string_view verb) {
  Reply reply;
  reply.fields = {{"file", info.file.string()},
                  {"model", model_fields(info.config)},
                  {"vocabulary_size", info.vocabulary_size},
                  {"parameters", info.parameters},
                  {"device", info.device},
                  {"steps_trained", info.steps_trained},
                  {"valid_perplexity",
                   info.valid_perplexity ? nlohmann::json(*info.valid_perplexity) : nullptr}};
  reply.text = fmt::format(
      "{}{}\n"
      "  model       {}\n"
      "  vocabulary  {} characters (+{} special tokens)\n"
      "  parameters  {}\n"
      "  device      {}\n"
      "  trained     {} steps{}",
      verb.empty() ? "" : fmt::format("{} ", verb), info.file.string(), describe(info.config),
      info.vocabulary_size - Vocabulary::kSpecialCount, Vocabulary::kSpecialCount,
      info.parameters < 100'000
          ? std::to_string(info.parameters)
          : fmt::format("{:.2f}M", static_cast<double>(info.parameters) / 1e6),
      info.device, info.steps_trained,
      info.valid_perplexity
          ? fmt::format(", validation perplexity {}{}", perplexity_text(*info.valid_perplexity),
                        info.config.metre_inputs ? " (reading its metre inputs)" : "")
          : "");
  return reply;
}

std::vector<Command> model_commands() {
  Command model{
      "model",
      "",
      0,
      0,
      "show the loaded model: cell, sizes, vocabulary, device, training",
      "Shows the checkpoint file, the architecture, the vocabulary size, the device, the steps it\n"
      "  was trained for and its last validation perplexity."};
  model.run = [](Shell& shell, const Args&) {
    const auto info = shell.engine().model_info();
    if (info) {
      shell.terminal().reply(model_reply(*info));
    } else {
      shell.terminal().reply({{{"file", nullptr}}, "no model is loaded; try 'load <checkpoint>'"});
    }
  };

  Command load{
      "load",
      "<checkpoint>",
      1,
      1,
      "load a checkpoint, replacing the model without restarting",
      "A poem being written finishes on the model it started with; the next one uses the new\n"
      "  model. If the file cannot be loaded, the model loaded before stays."};
  load.run = [](Shell& shell, const Args& args) {
    shell.terminal().reply(
        model_reply(shell.engine().load(args.positional[0], &interrupted()), "loaded"));
  };
  load.complete_arguments = files;

  Command reload{"reload", "", 0, 0,
                 "load the current checkpoint file again, after training replaced it"};
  reload.run = [](Shell& shell, const Args&) {
    shell.terminal().reply(model_reply(shell.engine().reload(&interrupted()), "reloaded"));
  };

  Command decoders{
      "decoders",
      "[reload]",
      0,
      1,
      "list the decoder plugins and their parameters",
      "Each decoder with its version and parameters (default, accepted values) and the\n"
      "  aliases it declares, then any plugin refused and why. 'decoders reload' loads them all\n"
      "  again, picking up a rebuilt plugin. poet looks beside itself (lib/poet/decoders), in\n"
      "  each --plugin-dir, then in POET_PLUGIN_PATH (folders separated by ':')."};
  decoders.run = [](Shell& shell, const Args& args) {
    if (!args.positional.empty()) {
      if (args.positional[0] != "reload") throw Error::input("usage: decoders [reload]");
      shell.decoders().reload();
    }
    shell.terminal().reply(decoders_reply(shell.decoders()));
  };
  decoders.complete_arguments = [](Shell&, const std::vector<std::string>&) -> Candidates {
    return std::vector<std::string>{"reload"};
  };
  Command eval{
      "eval",
      "<file>",
      1,
      1,
      "the loaded model's perplexity on a file of poems",
      "Per character (and end of poem), as training measures validation: lower is better, and\n"
      "  the way to compare models. The file is a prepared corpus or one poem per line.",
      {{"--split", "train|valid|test",
        "only that split's poems (a plain file's are drawn from each poem's text, as in training)",
        [](Shell&, const std::vector<std::string>&) -> Candidates {
          return std::vector<std::string>{"train", "valid", "test"};
        }}}};
  eval.run = run_eval;
  eval.complete_arguments = files;

  Command export_model{
      "export",
      "<checkpoint> <file>",
      2,
      2,
      "write a checkpoint's model for generation only: a smaller file",
      "The model, vocabulary and loss history, without the optimizer's state that resuming\n"
      "  needs (with Adam, two thirds of a training checkpoint). The file loads like any other\n"
      "  and writes the same poems; 'train --resume' refuses it."};
  export_model.run = run_export;
  export_model.complete_arguments = files;
  return {model, load, reload, decoders, eval, export_model};
}

}  // namespace poet::repl
