#pragma once
// Running poet in tests: scratch folders, a config for a small fast model, and a tiny model
// trained once per test process by poet itself.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "subprocess.h"

namespace poet::test {

// poet with these arguments and standard input.
Completed poet(const std::vector<std::string>& args, const std::string& input = {});

// An empty folder of this test process's own.
std::filesystem::path fresh_dir(const std::string& name);

// A config for a small, fast model in `dir`; `train` overrides [train] keys.
std::filesystem::path small_config(const std::filesystem::path& dir,
                                   const std::map<std::string, std::string>& train = {});

// A model trained for a few steps on the fixture corpus: nonsense poems, real vocabulary.
const std::filesystem::path& tiny_model();

}  // namespace poet::test
