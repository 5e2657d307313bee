// What a user types after `gen`: split into words, the options taken out by the parser every
// command's row goes through (with gen's options, and a decoder's --PARAM VALUE kept), then each
// value handed to the setting it sets, as gen does on a copy of the session's settings.
#include <cstdint>
#include <string_view>

#include "command.h"
#include "generation_settings.h"
#include "poet/engine/error.h"
#include "words.h"

using namespace poet::repl;

namespace {

const Command& gen_like() {
  static const Command command = [] {
    Command gen{"gen", "<start>", 1, 1, "write poems"};
    for (const Setting& setting : setting_table())
      if (!setting.option.empty()) gen.options.push_back({setting.option, setting.value, setting.help});
    gen.decoder_options = [](Shell&, const std::vector<std::string>&) -> Candidates { return {}; };
    return gen;
  }();
  return command;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const poet::DecoderSet no_decoders({});
  try {
    const auto words = split_words({reinterpret_cast<const char*>(data), size});
    const Args args = parse_args(gen_like(), words);
    Settings settings;
    for (const auto& [name, value] : args.options) {
      if (const Setting* setting = setting_by_option(name)) {
        setting->apply(settings, value, no_decoders);
        check_settings(settings);
      }
    }
  } catch (const poet::Error&) {
  }
  return 0;
}
