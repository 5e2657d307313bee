#pragma once
// poet's checkpoint file: its own byte format, so that a checkpoint written by any LibTorch (a CUDA
// 2.x build on a GPU machine, Debian's 1.13 on a laptop) loads in any other.
//
//   offset 0   "POETCKPT"
//          8   u32 format version, u32 zero
//         16   u64 header length H, u64 data length D
//         32   header: JSON (model configuration, vocabulary, tensor table, training state)
//       32+H   data: the tensors' float32 values, little-endian, in table order
//     32+H+D   u64 checksum: 64-bit FNV-1a of every byte before it
//
// Writes are atomic: a temporary file in the same folder, flushed to disk, then renamed over the
// target, so a crash or a full disk never damages the checkpoint that was there.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "poet/engine/model/history.h"
#include "poet/engine/model/model_config.h"

namespace poet::checkpoint {

inline constexpr std::uint32_t kFormatVersion = 1;

struct Tensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

struct Contents {
  ModelConfig model;
  std::vector<char32_t> vocabulary;  // token i + Vocabulary::kSpecialCount is vocabulary[i]
  std::vector<Tensor> tensors;           // the model's weights
  std::vector<Tensor> optimizer_state;   // stored as "optimizer/NAME"; empty for inference files
  nlohmann::json training = nlohmann::json::object();  // the trainer's counters and history
  // A critic's configuration (poet/engine/model/critic.h), in a critic's file only: null in a
  // model's. `model` is then the configuration of the model whose poems it learned from.
  nlohmann::json critic;
};

// Throws poet::Error: "cannot write checkpoint 'PATH': No space left on device", or refuses a
// path that is not a regular file or is one of `inputs` (poet/engine/files.h).
void write(const std::filesystem::path& path, const Contents& contents,
           const std::vector<std::filesystem::path>& inputs = {});

// Throws poet::Error with one line naming the problem: missing, not a checkpoint, another format
// version, truncated, corrupt (checksum), or inconsistent.
// `cancel`, when set (Ctrl-C), stops the read: Error "stopped reading 'PATH'".
Contents read(const std::filesystem::path& path, const std::atomic<bool>* cancel = nullptr);
// read() of a model's checkpoint: Error::file for a critic's.
Contents read_model(const std::filesystem::path& path, const std::atomic<bool>* cancel = nullptr);
// The same from a file's bytes; `name` stands for the file in messages.
Contents parse(std::string_view bytes, const std::string& name);

// The training section's loss history, and back (history_from_json expects one check_training has
// passed).
nlohmann::json history_to_json(const std::vector<HistoryEntry>& history);
std::vector<HistoryEntry> history_from_json(const nlohmann::json& rows);
// Throws poet::Error unless each field `object` has of those `example` has is of the same kind: an
// integer where `example` has one, any number where it has a real one, a number or null where it
// has null (what nlohmann writes for a NaN). With `required`, `object` must have them all.
void check_fields(const nlohmann::json& object, const nlohmann::json& example,
                  const std::string& what, bool required);
// Throws poet::Error unless a checkpoint's training section holds each counter and history row the
// engine reads from it as the trainer writes it; absent fields are left to the reader (an exported
// checkpoint has fewer). Its configuration is the trainer's to check.
void check_training(const nlohmann::json& training);

// A model configuration as a checkpoint's header holds it, and back (throws std::invalid_argument
// or nlohmann::json::exception on a bad one).
nlohmann::json model_to_json(const ModelConfig& model);
ModelConfig model_from_header(const nlohmann::json& json);

}  // namespace poet::checkpoint
