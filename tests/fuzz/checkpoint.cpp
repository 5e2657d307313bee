// A checkpoint file, as `load`, `--model`, `train --resume` and `export` read it: the bytes and
// the JSON header checked, then the vocabulary and the training state read as the engine reads
// them (all but the weights, which need LibTorch).
//
// The first byte picks how the rest is used. Most mutations of a checkpoint only break its
// checksum, which is checked before the header is read; so when the byte is odd the rest is the
// file without its last 8 bytes, and the harness writes the data length and the checksum that
// make it whole, letting the fuzzer reach the header and the tensor table. When it is even the
// rest is the file as it is.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "model/checkpoint_file.h"
#include "poet/engine/error.h"
#include "poet/engine/model/vocabulary.h"
#include "training/training_state.h"

namespace {

constexpr std::size_t kPreambleSize = 32;

std::uint64_t fnv1a(const std::string& bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return hash;
}

void make_whole(std::string& file) {
  if (file.size() < kPreambleSize) return;
  std::uint64_t header_size;
  std::memcpy(&header_size, file.data() + 16, sizeof header_size);
  if (header_size > file.size() - kPreambleSize) return;
  const std::uint64_t data_size = file.size() - kPreambleSize - header_size;
  std::memcpy(file.data() + 24, &data_size, sizeof data_size);
  const std::uint64_t checksum = fnv1a(file);
  file.append(reinterpret_cast<const char*>(&checksum), sizeof checksum);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 1) make_whole(file);
  try {
    const auto contents = poet::checkpoint::parse(file, "fuzz.ckpt");
    poet::Vocabulary vocabulary(contents.vocabulary);
    // What `load`, `loss` and `train --resume` read of the training state, if it is there.
    const auto& training = contents.training;
    if (const auto history = training.find("history"); history != training.end()) {
      poet::checkpoint::history_from_json(*history);
    }
    if (const auto config = training.find("config"); config != training.end()) {
      poet::train_config_from_json(*config);
    }
    training.value("step", std::int64_t{0});
  } catch (const poet::Error&) {
    // Every refusal is one: a damaged file, a vocabulary listing a character twice, training
    // settings of the wrong kind.
  }
  return 0;
}
