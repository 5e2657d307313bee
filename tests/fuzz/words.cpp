// The command line a user types at the prompt: split into words, then options taken out, with
// the options `gen` takes.
#include "words.h"

#include <cstdint>
#include <string_view>

#include "poet/engine/error.h"

using poet::Error;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string_view> kOptions = {
      "--decoder", "--form", "--rhyme", "--tones", "--rhyme-book", "--seed",
      "--mood",    "--beam", "-n",      "--temperature", "--top-p"};
  try {
    const auto words = poet::repl::split_words({reinterpret_cast<const char*>(data), size});
    const auto parsed = poet::repl::parse_options(words, kOptions);
    for (const auto& [name, value] : parsed.options) {
      poet::repl::whole_number<std::uint64_t>(value);
      poet::repl::whole_number<int>(value);
    }
  } catch (const Error&) {
  }
  return 0;
}
