// The checkpoint file format, without LibTorch: round trip, atomic writes, and every refusal.

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iterator>

#include "model/checkpoint_file.h"
#include "poet/engine/error.h"
#include "scratch.h"
#include "training/training_state.h"

namespace poet::checkpoint {
namespace {

namespace fs = std::filesystem;

// Weights made from a formula, so that no LibTorch is involved in writing them.
Contents formula_contents() {
  Contents contents;
  contents.model = {CellType::rnn, 4, 4, 1, 0.0, {}};
  contents.vocabulary = {U'春', U'眠', U'不', U'觉', U'晓', U'。'};
  const std::int64_t vocabulary = 6 + 4;
  const std::vector<std::pair<std::string, std::vector<std::int64_t>>> shapes = {
      {"embedding.weight", {vocabulary, 4}}, {"rnn.weight_ih_l0", {4, 4}}, {"rnn.weight_hh_l0", {4, 4}},
      {"rnn.bias_ih_l0", {4}},               {"rnn.bias_hh_l0", {4}},      {"head.weight", {vocabulary, 4}},
      {"head.bias", {vocabulary}}};
  int i = 0;
  for (const auto& [name, shape] : shapes) {
    Tensor tensor{name, shape, {}};
    std::int64_t count = 1;
    for (const auto d : shape) count *= d;
    for (std::int64_t k = 0; k < count; ++k) tensor.values.push_back(static_cast<float>(std::sin(++i)));
    contents.tensors.push_back(std::move(tensor));
  }
  contents.training = {{"step", 42}, {"valid_perplexity", 123.5}};
  return contents;
}

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

fs::path temp(const std::string& name) { return fs::path(test::scratch_dir()) / name; }

std::string refusal(const fs::path& path, const std::atomic<bool>* cancel = nullptr) {
  try {
    read(path, cancel);
  } catch (const Error& error) {
    return error.what();
  }
  return "(accepted)";
}

// A checkpoint of this header and data whose sizes and checksum are right, as a crafted file's
// would be: what the header says is all that is wrong with it.
std::string file_with_header(const std::string& header, const std::string& data = "") {
  std::string bytes = "POETCKPT";
  const std::uint32_t version[2] = {kFormatVersion, 0};
  const std::uint64_t sizes[2] = {header.size(), data.size()};
  bytes.append(reinterpret_cast<const char*>(version), sizeof version);
  bytes.append(reinterpret_cast<const char*>(sizes), sizeof sizes);
  bytes += header + data;
  std::uint64_t checksum = 0xcbf29ce484222325ULL;
  for (const char c : bytes) checksum = (checksum ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  bytes.append(reinterpret_cast<const char*>(&checksum), sizeof checksum);
  return bytes;
}

nlohmann::json small_header() {
  return {{"model", {{"cell", "rnn"}, {"embedding_size", 4}, {"hidden_size", 4}, {"layers", 1},
                     {"dropout", 0.0}, {"adaptive_cutoffs", nlohmann::json::array()}}},
          {"tensors", nlohmann::json::array()},
          {"vocabulary", "春"}};
}

std::string header_refusal(const std::string& header, const std::string& data = "") {
  try {
    parse(file_with_header(header, data), "x.ckpt");
  } catch (const Error& error) {
    return error.what();
  }
  return "(accepted)";
}

nlohmann::json with_tensor(const nlohmann::json& shape) {
  auto header = small_header();
  header["tensors"].push_back({{"name", "w"}, {"shape", shape}});
  return header;
}

TEST(CheckpointFile, RoundTripsEverythingExactly) {
  const Contents written = formula_contents();
  write(temp("round.ckpt"), written);
  const Contents back = read(temp("round.ckpt"));
  EXPECT_EQ(back.model, written.model);
  EXPECT_EQ(back.vocabulary, written.vocabulary);
  EXPECT_EQ(back.training, written.training);
  ASSERT_EQ(back.tensors.size(), written.tensors.size());
  for (std::size_t i = 0; i < back.tensors.size(); ++i) {
    EXPECT_EQ(back.tensors[i].name, written.tensors[i].name);
    EXPECT_EQ(back.tensors[i].shape, written.tensors[i].shape);
    EXPECT_EQ(back.tensors[i].values, written.tensors[i].values);  // bit for bit
  }
}

// The bytes on disk are fixed by this format alone: the committed file was written by this
// writer, and the same contents must still produce it exactly.
TEST(CheckpointFile, MatchesTheCommittedGoldenFile) {
  const fs::path golden = fs::path(POET_TEST_DATA_DIR) / "formula_v1.ckpt";
  write(temp("golden.ckpt"), formula_contents());
  if (std::getenv("POET_UPDATE_GOLDEN")) fs::copy_file(temp("golden.ckpt"), golden, fs::copy_options::overwrite_existing);
  EXPECT_EQ(bytes_of(temp("golden.ckpt")), bytes_of(golden));
  EXPECT_EQ(read(golden).tensors.back().values, formula_contents().tensors.back().values);
}

TEST(CheckpointFile, RefusesAMissingFile) {
  EXPECT_EQ(refusal(temp("absent.ckpt")),
            "cannot read checkpoint '" + temp("absent.ckpt").string() + "': No such file or directory");
}

TEST(CheckpointFile, RefusesSomethingElse) {
  write_bytes(temp("poems.txt"), "床前明月光，疑是地上霜。\n");
  EXPECT_EQ(refusal(temp("poems.txt")), "'" + temp("poems.txt").string() + "' is not a poet checkpoint");
}

TEST(CheckpointFile, RefusesATruncatedFile) {
  write(temp("whole.ckpt"), formula_contents());
  const std::string bytes = bytes_of(temp("whole.ckpt"));
  for (const std::size_t keep : {std::size_t{20}, std::size_t{100}, bytes.size() - 1}) {
    write_bytes(temp("cut.ckpt"), bytes.substr(0, keep));
    EXPECT_EQ(refusal(temp("cut.ckpt")).find("' is truncated"), temp("cut.ckpt").string().size() + 1) << keep;
  }
}

TEST(CheckpointFile, RefusesACorruptFile) {
  write(temp("whole.ckpt"), formula_contents());
  std::string bytes = bytes_of(temp("whole.ckpt"));
  bytes[bytes.size() - 100] ^= 0x01;  // one bit of one weight
  write_bytes(temp("flipped.ckpt"), bytes);
  EXPECT_EQ(refusal(temp("flipped.ckpt")), "'" + temp("flipped.ckpt").string() + "' is corrupt: its checksum does not match");
}

TEST(CheckpointFile, RefusesAnotherFormatVersion) {
  write(temp("whole.ckpt"), formula_contents());
  std::string bytes = bytes_of(temp("whole.ckpt"));
  bytes[8] = 2;
  write_bytes(temp("v2.ckpt"), bytes);
  EXPECT_EQ(refusal(temp("v2.ckpt")), "'" + temp("v2.ckpt").string() + "' is a version 2 checkpoint; this poet reads version 1");
}

// The message read() gives for `contents` written to a file.
std::string refusal(const std::string& name, const Contents& contents) {
  write(temp(name), contents);
  return refusal(temp(name));
}

TEST(CheckpointFile, RefusesWeightsThatAreNotFiniteNumbers) {
  Contents contents = formula_contents();
  contents.tensors[1].values[3] = std::nanf("");
  EXPECT_NE(refusal("nan.ckpt", contents).find("tensor 'rnn.weight_ih_l0' holds values that are not finite numbers"),
            std::string::npos);
}

TEST(CheckpointFile, RefusesAHeaderThatAsksForMoreWeightsThanItHolds) {
  // A damaged header claiming a huge model is refused before any model is built from it.
  Contents contents = formula_contents();
  contents.model.hidden_size = 8192;
  contents.model.layers = 16;
  EXPECT_NE(refusal("huge.ckpt", contents).find("is corrupt: its model (RNN, 16 layers of 8192"),
            std::string::npos);
}

TEST(CheckpointFile, RefusesADirectoryOrADeviceByName) {
  for (const std::string& path : {test::scratch_dir(), std::string("/dev/zero")}) {
    EXPECT_EQ(refusal(path).rfind("cannot read checkpoint '" + path + "': it is a ", 0), 0u) << path;
  }
}

TEST(CheckpointFile, CtrlCStopsTheRead) {
  write(temp("stopped.ckpt"), formula_contents());
  const std::atomic<bool> cancel{true};
  EXPECT_EQ(refusal(temp("stopped.ckpt"), &cancel), "stopped reading '" + temp("stopped.ckpt").string() + "'");
}

TEST(CheckpointFile, ReplacesAtomicallyAndLeavesNoTemporaryFile) {
  const fs::path dir = temp("atomic");
  fs::create_directories(dir);
  write(dir / "model.ckpt", formula_contents());
  Contents second = formula_contents();
  second.training["step"] = 43;
  write(dir / "model.ckpt", second);
  EXPECT_EQ(read(dir / "model.ckpt").training["step"], 43);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

// A write that runs out of room (here: past a file-size limit, which fails write() just as a full
// disk does) reports it and leaves the previous checkpoint as it was, with no temporary file.
TEST(CheckpointFile, FailedSaveKeepsThePreviousCheckpoint) {
  const fs::path dir = temp("full");
  fs::create_directories(dir);
  write(dir / "model.ckpt", formula_contents());
  Contents bigger = formula_contents();
  bigger.training["step"] = 99;
  bigger.tensors.push_back({"padding", {4096}, std::vector<float>(4096, 1.0f)});

  const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit previous{};
  getrlimit(RLIMIT_FSIZE, &previous);
  rlimit small = previous;
  small.rlim_cur = 4096;
  setrlimit(RLIMIT_FSIZE, &small);
  std::string message;
  try {
    write(dir / "model.ckpt", bigger);
  } catch (const Error& error) {
    message = error.what();
  }
  setrlimit(RLIMIT_FSIZE, &previous);
  std::signal(SIGXFSZ, previous_handler);

  EXPECT_EQ(message, "cannot write checkpoint '" + (dir / "model.ckpt").string() + "': File too large");
  EXPECT_EQ(read(dir / "model.ckpt").training["step"], 42);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

// Found by tests/fuzz/checkpoint.cpp and its seeds: headers read() took on trust, to undefined
// behaviour (an empty tensor, a shape that overflows, a float read as an integer) or a stack
// overflow.
TEST(CheckpointFile, RefusesShapesItsDataCannotHold) {
  EXPECT_EQ(header_refusal(with_tensor({0, 4}).dump()), "(accepted)");
  EXPECT_EQ(header_refusal(with_tensor({-1, -1}).dump(), std::string(4, '\0')),
            "'x.ckpt' is corrupt: tensor 'w' has a negative dimension");
  EXPECT_EQ(header_refusal(with_tensor({std::int64_t{1} << 62, 4}).dump()),
            "'x.ckpt' is corrupt: tensor 'w' runs past the data");
  EXPECT_EQ(header_refusal(with_tensor({1e300}).dump()),
            "'x.ckpt' is corrupt: a tensor's shape must be an integer");
}

TEST(CheckpointFile, RefusesAnythingButAnIntegerWhereItReadsOne) {
  const auto refusal_with = [](const nlohmann::json::json_pointer& field, const nlohmann::json& value) {
    auto header = small_header();
    header[field] = value;
    return header_refusal(header.dump());
  };
  using Pointer = nlohmann::json::json_pointer;
  EXPECT_EQ(refusal_with(Pointer("/model/embedding_size"), 1e300),
            "'x.ckpt' is corrupt: embedding_size must be an integer");
  EXPECT_EQ(refusal_with(Pointer("/model/hidden_size"), 4294967300),
            "'x.ckpt' is corrupt: hidden_size is out of range");
  EXPECT_EQ(refusal_with(Pointer("/training/step"), 1e300),
            "'x.ckpt' is corrupt: training: 'step' must be an integer");
  const nlohmann::json row = {{"step", 1e300}, {"epoch", 0}, {"wall_seconds", 1}, {"tokens_per_second", 2}};
  EXPECT_EQ(refusal_with(Pointer("/training/history"), nlohmann::json::array({row})),
            "'x.ckpt' is corrupt: a history row: 'step' must be an integer");
  const nlohmann::json short_row = {{"step", 1}};
  EXPECT_EQ(refusal_with(Pointer("/training/history"), nlohmann::json::array({short_row})),
            "'x.ckpt' is corrupt: a history row has no 'epoch'");
  // The training settings are the trainer's to read: resuming checks them (train_config_from_json).
  nlohmann::json config = poet::to_json(TrainConfig{});
  config["batch_size"] = 1e300;
  try {
    train_config_from_json(config);
    FAIL() << "a batch size of 1e300 was read";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "training config: 'batch_size' must be an integer");
  }
}

// A damaged header is said in the file's own terms, not in the JSON library's.
TEST(CheckpointFile, SaysWhatIsWrongWithAHeaderInItsOwnTerms) {
  EXPECT_EQ(header_refusal("{\"model\": tru"), "'x.ckpt' is corrupt: its header is not JSON (at byte 14)");
  auto header = small_header();
  header.erase("vocabulary");
  EXPECT_EQ(header_refusal(header.dump()), "'x.ckpt' is corrupt: key 'vocabulary' not found");
  header = small_header();
  header["vocabulary"] = 7;
  EXPECT_EQ(header_refusal(header.dump()),
            "'x.ckpt' is corrupt: a field has the wrong type: type must be string, but is number");
}

// A run that diverged writes its NaN losses as null; its history still reads, without them.
TEST(CheckpointFile, ReadsANullLossAsNoValue) {
  auto header = small_header();
  header["training"]["history"] = nlohmann::json::array(
      {{{"step", 50}, {"epoch", 0.1}, {"wall_seconds", 1.0}, {"tokens_per_second", 2.0}, {"train_loss", nullptr}}});
  const auto contents = parse(file_with_header(header.dump()), "x.ckpt");
  const auto history = history_from_json(contents.training["history"]);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].step, 50);
  EXPECT_EQ(history[0].train_loss, std::nullopt);
}

TEST(CheckpointFile, RefusesAHeaderNestedTooDeep) {
  auto header = small_header();
  header["training"] = {{"deep", 0}};
  std::string text = header.dump();
  const std::size_t zero = text.find("\"deep\":0") + 7;
  text.replace(zero, 1, std::string(1'000'000, '[') + std::string(1'000'000, ']'));
  EXPECT_EQ(header_refusal(text), "'x.ckpt' is corrupt: its header nests deeper than 32 levels");
}

}  // namespace
}  // namespace poet::checkpoint
