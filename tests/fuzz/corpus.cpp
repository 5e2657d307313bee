// A file of poems in either format (the prepared corpus or one poem per line), as `train
// --corpus`, `eval` and `check --file` read it. Every poem read must also survive being written
// as a prepared-corpus line and read back, as the corpus builder does.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

#include "poet/engine/error.h"
#include "poet/engine/files/corpus.h"

namespace {

void check_round_trip(const poet::Poem& poem) {
  std::istringstream line(std::string(poet::kCorpusHeader) + "\n" + poet::corpus_line(poem) + "\n");
  int count = 0;
  const auto problems = poet::read_corpus(line, "round trip", [&](poet::Poem&& again) {
    ++count;
    if (again.text != poem.text || again.form != poem.form || again.split != poem.split) {
      std::abort();
    }
  });
  if (count != 1 || !problems.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    poet::read_corpus(in, "fuzz.txt", [](poet::Poem&& poem) { check_round_trip(poem); });
  } catch (const poet::Error&) {  // a prepared corpus of another format version
  }
  return 0;
}
