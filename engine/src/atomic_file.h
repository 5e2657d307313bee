#pragma once
// A file replaced whole or not at all: written under PATH.tmp, flushed to disk, then renamed over
// PATH, so a crash or a full disk never damages the file that was there. The temporary name is
// fixed, so a save cut short by a crash leaves at most one, which the next save reuses.

#include <cstddef>
#include <filesystem>
#include <string>

namespace poet {

class AtomicFile {
 public:
  // `failure` begins every error message: "cannot save checkpoint" gives "cannot save checkpoint
  // 'PATH': No space left on device". Throws EngineError.
  AtomicFile(std::filesystem::path path, std::string failure);
  // A file never committed (an error, an exception on the way) leaves no temporary file behind.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends bytes; an error is remembered and reported by commit().
  void write(const void* data, std::size_t size);
  // Flushes to disk and renames over the path. Throws EngineError.
  void commit();

 private:
  [[noreturn]] void fail(int error);

  std::filesystem::path path_;
  std::filesystem::path temporary_;
  std::string failure_;
  int fd_ = -1;
  int error_ = 0;
  bool committed_ = false;
};

}  // namespace poet
