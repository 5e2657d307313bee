#pragma once
// A scratch folder of this test process's own. Tests write checkpoints and corpora under fixed
// names; ctest runs test cases in parallel processes (and two builds may test at once), so a
// shared folder would let one case overwrite another's files mid-test.

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace poet::test {

// The folder's path, with a trailing slash, as testing::TempDir() gives it. It is removed when
// the process ends.
inline std::string scratch_dir() {
  struct Folder {
    Folder() : path(std::filesystem::path(testing::TempDir()) / ("poet-test-" + std::to_string(getpid()))) {
      std::filesystem::create_directories(path);
    }
    ~Folder() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
    std::filesystem::path path;
  };
  static const Folder folder;
  return folder.path.string() + "/";
}

}  // namespace poet::test
