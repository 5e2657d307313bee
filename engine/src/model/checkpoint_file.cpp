#include "model/checkpoint_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <optional>
#include <unordered_set>

#include "model/json_errors.h"
#include "poet/engine/error.h"
#include "poet/engine/files/files.h"
#include "poet/engine/files/limits.h"
#include "poet/engine/model/vocabulary.h"
#include "poet/engine/text/text.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the checkpoint format is little-endian");

namespace poet::checkpoint {
namespace {

constexpr char kMagic[8] = {'P', 'O', 'E', 'T', 'C', 'K', 'P', 'T'};
constexpr std::size_t kPreambleSize = 32;
constexpr std::size_t kChecksumSize = 8;
constexpr std::string_view kOptimizerPrefix = "optimizer/";

// The first character a vocabulary lists twice, if any.
std::optional<char32_t> first_repeat(const std::vector<char32_t>& characters) {
  std::unordered_set<char32_t> seen;
  for (const char32_t c : characters) {
    if (!seen.insert(c).second) return c;
  }
  return std::nullopt;
}
// The header poet writes nests four levels deep. Copying and writing JSON recurse, so a header
// nested a million levels deep would overflow the stack.
constexpr int kMaxHeaderDepth = 32;

class Fnv1a {
 public:
  void add(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) hash_ = (hash_ ^ bytes[i]) * 0x100000001b3ULL;
  }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

std::int64_t element_count(const std::vector<std::int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
}

nlohmann::json model_json(const ModelConfig& model) {
  nlohmann::json json{{"cell", cell_name(model.cell)},
          {"embedding_size", model.embedding_size},
          {"hidden_size", model.hidden_size},
          {"layers", model.layers},
          {"dropout", model.dropout},
          {"adaptive_cutoffs", model.adaptive_cutoffs}};
  // Written only for a model that reads them, so that every other checkpoint keeps the bytes it
  // had before they existed; a header without them means none.
  if (model.position_inputs) {
    json["position_inputs"] = true;
    json["position_embedding_size"] = model.position_embedding_size;
  }
  if (model.metre_inputs) json["metre_inputs"] = true;
  return json;
}

// An integer of type T: nlohmann's own get<T>() turns 1e300 into one with undefined behaviour,
// and wraps 2^40 around.
template <typename T>
T integer(const nlohmann::json& value, std::string_view what) {
  using Limits = std::numeric_limits<T>;
  if (!value.is_number_integer())
    throw std::invalid_argument(fmt::format("{} must be an integer", what));
  const bool fits = value.is_number_unsigned()
                        ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(Limits::max())
                        : value.get<std::int64_t>() >= std::int64_t{Limits::min()} &&
                              value.get<std::int64_t>() <= std::int64_t{Limits::max()};
  if (!fits) throw std::invalid_argument(fmt::format("{} is out of range", what));
  return value.get<T>();
}

// Iterating a JSON value that is not an array would go over the value itself, or an object's
// fields.
const nlohmann::json& array(const nlohmann::json& value, std::string_view what) {
  if (!value.is_array()) throw std::invalid_argument(fmt::format("{} must be an array", what));
  return value;
}

ModelConfig model_from_json(const nlohmann::json& json) {
  ModelConfig model;
  const auto cell = parse_cell(json.at("cell").get<std::string>());
  if (!cell) throw std::invalid_argument("unknown cell type " + json.at("cell").dump());
  model.cell = *cell;
  model.embedding_size = integer<int>(json.at("embedding_size"), "embedding_size");
  model.hidden_size = integer<int>(json.at("hidden_size"), "hidden_size");
  model.layers = integer<int>(json.at("layers"), "layers");
  model.dropout = json.at("dropout").get<double>();
  // Absent from checkpoints written before the adaptive softmax existed: those have a full one,
  // not ModelConfig's default.
  const auto cutoffs = json.value("adaptive_cutoffs", nlohmann::json::array());
  model.adaptive_cutoffs.clear();
  for (const auto& cutoff : array(cutoffs, "adaptive_cutoffs")) {
    model.adaptive_cutoffs.push_back(integer<int>(cutoff, "adaptive_cutoffs"));
  }
  // Absent from checkpoints written before position inputs existed: those read none.
  if (json.contains("position_inputs")) {
    if (!json["position_inputs"].is_boolean())
      throw std::invalid_argument("position_inputs must be true or false");
    model.position_inputs = json["position_inputs"].get<bool>();
  }
  if (json.contains("metre_inputs")) {
    if (!json["metre_inputs"].is_boolean()) throw std::invalid_argument("metre_inputs must be true or false");
    model.metre_inputs = json["metre_inputs"].get<bool>();
  }
  if (json.contains("position_embedding_size")) {
    model.position_embedding_size = integer<int>(json["position_embedding_size"], "position_embedding_size");
  }
  if (const auto problem = problem_with(model)) throw std::invalid_argument(*problem);
  return model;
}

// Appends bytes to a file while hashing them.
class ChecksummedWriter {
 public:
  explicit ChecksummedWriter(AtomicFile& file) : file_(file) {}
  void write(const void* data, std::size_t size) {
    hash_.add(data, size);
    file_.write(data, size);
  }
  std::uint64_t checksum() const { return hash_.value(); }

 private:
  AtomicFile& file_;
  Fnv1a hash_;
};

// How many values a shape of dimensions 0 or more holds, if no more than `available`: checked
// at each step, so no shape can overflow the count.
std::optional<std::size_t> count_within(const std::vector<std::int64_t>& shape,
                                        std::size_t available) {
  std::size_t count = 1;
  for (const std::int64_t dimension : shape) {
    if (dimension == 0) return 0;
    if (count > available / static_cast<std::size_t>(dimension)) return std::nullopt;
    count *= static_cast<std::size_t>(dimension);
  }
  return count <= available ? std::optional(count) : std::nullopt;
}

std::uint64_t read_u64(std::string_view bytes, std::size_t offset) {
  std::uint64_t value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

}  // namespace

void write(const std::filesystem::path& path, const Contents& contents,
           const std::vector<std::filesystem::path>& inputs) {
  nlohmann::json header;
  header["model"] = model_json(contents.model);
  header["vocabulary"] = encode_utf8(std::u32string(contents.vocabulary.begin(), contents.vocabulary.end()));
  header["training"] = contents.training;
  if (!contents.critic.is_null()) header["critic"] = contents.critic;
  auto& table = header["tensors"] = nlohmann::json::array();
  std::uint64_t data_size = 0;
  const auto add_to_table = [&](const Tensor& tensor, std::string_view prefix) {
    if (element_count(tensor.shape) != static_cast<std::int64_t>(tensor.values.size())) {
      throw Error::file(fmt::format("tensor '{}' has {} values for its shape", tensor.name,
                                    tensor.values.size()));
    }
    table.push_back({{"name", std::string(prefix) + tensor.name}, {"shape", tensor.shape}});
    data_size += tensor.values.size() * sizeof(float);
  };
  for (const auto& tensor : contents.tensors) add_to_table(tensor, "");
  for (const auto& tensor : contents.optimizer_state) add_to_table(tensor, kOptimizerPrefix);
  const std::string header_text = header.dump();

  AtomicFile file(path, "checkpoint", inputs);
  ChecksummedWriter out(file);
  out.write(kMagic, sizeof kMagic);
  const std::uint32_t version[2] = {kFormatVersion, 0};
  out.write(version, sizeof version);
  const std::uint64_t sizes[2] = {header_text.size(), data_size};
  out.write(sizes, sizeof sizes);
  out.write(header_text.data(), header_text.size());
  for (const auto* group : {&contents.tensors, &contents.optimizer_state}) {
    for (const auto& tensor : *group) out.write(tensor.values.data(), tensor.values.size() * sizeof(float));
  }
  const std::uint64_t checksum = out.checksum();
  file.write(&checksum, sizeof checksum);
  file.commit();
}

Contents read(const std::filesystem::path& path, const std::atomic<bool>* cancel) {
  const std::string name = path.string();
  check_readable(path, "checkpoint");
  check_file_fits(path, "checkpoint");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error::file(fmt::format("cannot read checkpoint '{}': {}", name, std::strerror(errno)));
  }
  // In pieces, so that Ctrl-C stops the read of a big file between two of them.
  std::string bytes;
  std::vector<char> piece(std::size_t{8} << 20);
  while (in.read(piece.data(), static_cast<std::streamsize>(piece.size())) || in.gcount() > 0) {
    bytes.append(piece.data(), static_cast<std::size_t>(in.gcount()));
    if (cancel != nullptr && cancel->load())
      throw Error::file(fmt::format("stopped reading '{}'", name));
  }
  if (in.bad())
    throw Error::file(fmt::format("cannot read checkpoint '{}': {}", name, std::strerror(errno)));
  Contents contents = parse(bytes, name);
  // The model the header describes is allocated from its shape before its weights are copied in:
  // a damaged header must not ask for more than the tensors hold. (A model that needs fewer is
  // refused when the weights are matched, naming the tensor that does not fit.)
  std::int64_t held = 0;
  for (const auto& tensor : contents.tensors) held += static_cast<std::int64_t>(tensor.values.size());
  const std::int64_t needed = parameter_count(
      contents.model, static_cast<std::int64_t>(contents.vocabulary.size()) + Vocabulary::kSpecialCount);
  if (contents.critic.is_null() && needed > held) {  // a critic's model section only names its generator
    throw Error::file(
        fmt::format("'{}' is corrupt: its model ({}) needs {} weights, its tensors hold {}", name,
                    describe(contents.model), needed, held));
  }
  return contents;
}

namespace {

// The preamble and the checksum checked: the header's size.
std::uint64_t check_frame(std::string_view bytes, const std::string& name) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw Error::file(fmt::format("'{}' is not a poet checkpoint", name));
  }
  if (bytes.size() < kPreambleSize) throw Error::file(fmt::format("'{}' is truncated", name));
  std::uint32_t version;
  std::memcpy(&version, bytes.data() + 8, sizeof version);
  if (version != kFormatVersion) {
    throw Error::file(fmt::format("'{}' is a version {} checkpoint; this poet reads version {}",
                                  name, version, kFormatVersion));
  }
  const std::uint64_t header_size = read_u64(bytes, 16);
  const std::uint64_t data_size = read_u64(bytes, 24);
  const std::uint64_t expected = kPreambleSize + header_size + data_size + kChecksumSize;
  if (header_size > bytes.size() || data_size > bytes.size() || bytes.size() < expected) {
    throw Error::file(fmt::format("'{}' is truncated: {} bytes of {}", name, bytes.size(),
                                  header_size > bytes.size() || data_size > bytes.size()
                                      ? std::string("a damaged size field")
                                      : std::to_string(expected)));
  }
  if (bytes.size() > expected) {
    throw Error::file(
        fmt::format("'{}' is corrupt: {} bytes after its end", name, bytes.size() - expected));
  }
  Fnv1a hash;
  hash.add(bytes.data(), bytes.size() - kChecksumSize);
  if (hash.value() != read_u64(bytes, bytes.size() - kChecksumSize)) {
    throw Error::file(fmt::format("'{}' is corrupt: its checksum does not match", name));
  }
  return header_size;
}

// The tensors the header lists, from the data at `offset` on, each checked against what is left.
void read_tensors(const nlohmann::json& table, std::string_view bytes, std::size_t offset,
                  Contents& contents) {
  for (const auto& entry : array(table, "tensors")) {
    Tensor tensor{entry.at("name").get<std::string>(), {}, {}};
    for (const auto& dimension : array(entry.at("shape"), "a tensor's shape")) {
      tensor.shape.push_back(integer<std::int64_t>(dimension, "a tensor's shape"));
    }
    if (std::any_of(tensor.shape.begin(), tensor.shape.end(), [](auto d) { return d < 0; })) {
      throw std::invalid_argument("tensor '" + tensor.name + "' has a negative dimension");
    }
    const auto count =
        count_within(tensor.shape, (bytes.size() - kChecksumSize - offset) / sizeof(float));
    if (!count) throw std::invalid_argument("tensor '" + tensor.name + "' runs past the data");
    tensor.values.resize(*count);
    // An empty vector's data() may be null, which memcpy may not be given even for 0 bytes.
    if (*count > 0)
      std::memcpy(tensor.values.data(), bytes.data() + offset, *count * sizeof(float));
    offset += *count * sizeof(float);
    if (!std::all_of(tensor.values.begin(), tensor.values.end(),
                     [](float v) { return std::isfinite(v); })) {
      throw std::invalid_argument(
          "tensor '" + tensor.name +
          "' holds values that are not finite numbers (was it saved from a run that diverged?)");
    }
    if (tensor.name.rfind(kOptimizerPrefix, 0) == 0) {
      tensor.name.erase(0, kOptimizerPrefix.size());
      contents.optimizer_state.push_back(std::move(tensor));
    } else {
      contents.tensors.push_back(std::move(tensor));
    }
  }
  if (offset != bytes.size() - kChecksumSize)
    throw std::invalid_argument("data left over after the tensors");
}

}  // namespace

Contents parse(std::string_view bytes, const std::string& name) {
  const std::uint64_t header_size = check_frame(bytes, name);
  Contents contents;
  try {
    const auto refuse_deep = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > kMaxHeaderDepth)
        throw std::invalid_argument(
            fmt::format("its header nests deeper than {} levels", kMaxHeaderDepth));
      return true;
    };
    const auto header = nlohmann::json::parse(
        bytes.begin() + kPreambleSize,
        bytes.begin() + static_cast<std::ptrdiff_t>(kPreambleSize + header_size), refuse_deep);
    contents.model = model_from_json(header.at("model"));
    const std::u32string vocabulary = decode_utf8(header.at("vocabulary").get<std::string>());
    contents.vocabulary.assign(vocabulary.begin(), vocabulary.end());
    if (const auto twice = first_repeat(contents.vocabulary))
      throw std::invalid_argument(fmt::format("its vocabulary lists {} twice", describe(*twice)));
    contents.training = header.value("training", nlohmann::json::object());
    check_training(contents.training);
    if (header.contains("critic")) {
      contents.critic = header["critic"];
      if (!contents.critic.is_object()) throw std::invalid_argument("its critic section is not an object");
    }
    read_tensors(header.at("tensors"), bytes, kPreambleSize + header_size, contents);
  } catch (const std::exception& error) {  // JSON, UTF-8 and range errors alike
    throw Error::file(fmt::format("'{}' is corrupt: {}", name, describe_error(error, "its header")));
  }
  return contents;
}

Contents read_model(const std::filesystem::path& path, const std::atomic<bool>* cancel) {
  Contents contents = read(path, cancel);
  if (!contents.critic.is_null())
    throw Error::file(fmt::format("'{}' is a critic's checkpoint, not a model's", path.string()));
  return contents;
}

nlohmann::json model_to_json(const ModelConfig& model) { return model_json(model); }
ModelConfig model_from_header(const nlohmann::json& json) { return model_from_json(json); }

}  // namespace poet::checkpoint
