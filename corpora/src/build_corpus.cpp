// poet-corpus: builds poet's prepared corpus from the chinese-poetry package (traditional
// characters, JSON) and prints a report of every cleaning rule. corpora/build.sh runs it.

#include <fmt/format.h>
#include <opencc/opencc.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "cleaning.h"
#include "poet/engine/text.h"
#include "poet/engine/vocabulary.h"

namespace fs = std::filesystem;
using namespace poet;

namespace {

constexpr std::string_view kUsage =
    "usage: poet-corpus SOURCE_DIR OUTPUT [--dynasty tang|song] [--fixture FILE]\n"
    "  SOURCE_DIR  chinese-poetry's quantangshi folder (poet.tang.*.json, poet.song.*.json)\n"
    "  OUTPUT      the prepared corpus to write (tab-separated, simplified characters)\n"
    "  --fixture   also write a small corpus of about one poem in 150, for tests\n";

// OpenCC's traditional-to-simplified conversion.
class Simplifier {
 public:
  Simplifier() : handle_(opencc_open(OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP)) {
    if (handle_ == reinterpret_cast<opencc_t>(-1)) {
      throw std::runtime_error(fmt::format("cannot open OpenCC t2s: {}", opencc_error()));
    }
  }
  ~Simplifier() { opencc_close(handle_); }
  Simplifier(const Simplifier&) = delete;
  Simplifier& operator=(const Simplifier&) = delete;

  std::string operator()(const std::string& text) const {
    std::unique_ptr<char, void (*)(char*)> out(opencc_convert_utf8(handle_, text.data(), text.size()),
                                               opencc_convert_utf8_free);
    if (!out) throw std::runtime_error(fmt::format("OpenCC failed: {}", opencc_error()));
    return out.get();
  }

 private:
  opencc_t handle_;
};

// poet.tang.0.json, poet.tang.1000.json, ... in numeric order, so the output order is fixed.
std::vector<fs::path> source_files(const fs::path& dir, const std::string& dynasty) {
  const std::regex name("poet\\." + dynasty + "\\.(\\d+)\\.json");
  std::vector<std::pair<long, fs::path>> numbered;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch match;
    const std::string file = entry.path().filename().string();
    if (std::regex_match(file, match, name)) numbered.emplace_back(std::stol(match[1]), entry.path());
  }
  std::sort(numbered.begin(), numbered.end());
  std::vector<fs::path> files;
  for (auto& [number, path] : numbered) files.push_back(std::move(path));
  return files;
}

// Written beside the target and renamed over it, so a failed run never leaves half a corpus.
void write_corpus(const fs::path& path, const std::vector<Poem>& poems) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary);
    out << kCorpusHeader << '\n';
    for (const auto& poem : poems) out << corpus_line(poem) << '\n';
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", temporary.string()));
  }
  fs::rename(temporary, path);
}

void print_report(const corpora::CleaningReport& report, std::size_t files,
                  const std::vector<Poem>& poems) {
  fmt::print("read {} poems from {} files\n", report.read, files);
  for (std::size_t i = 0; i < corpora::kRuleCount; ++i) {
    fmt::print("dropped {:>6}  {}\n", report.dropped[i],
               corpora::rule_description(static_cast<corpora::Rule>(i)));
  }
  fmt::print("kept {} poems ({} with punctuation normalised to ，。？！；)\n", report.kept,
             report.punctuation_normalised);

  std::map<Form, std::size_t> forms;
  std::map<Split, std::size_t> splits;
  CharCounts characters;
  std::size_t total = 0;
  for (const auto& poem : poems) {
    ++forms[poem.form];
    ++splits[poem.split];
    const auto text = decode_utf8(poem.text);
    characters.add(text);
    total += text.size();
  }
  std::string line = "forms:";
  for (const auto form : {Form::wujue, Form::qijue, Form::wulv, Form::qilv, Form::pailv, Form::other}) {
    line += fmt::format(" {} {}", form_name(form), forms[form]);
  }
  fmt::print("{}\n", line);
  fmt::print("split: train {} valid {} test {}\n", splits[Split::train], splits[Split::valid],
             splits[Split::test]);
  fmt::print("characters: {} in all (punctuation included), {} distinct\n", total,
             characters.counts().size());
}

int run(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::string dynasty = "tang";
  std::optional<fs::path> fixture;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--dynasty" && i + 1 < args.size()) {
      dynasty = args[++i];
    } else if (args[i] == "--fixture" && i + 1 < args.size()) {
      fixture = args[++i];
    } else if (args[i].rfind("--", 0) == 0) {
      throw std::invalid_argument(fmt::format("unknown option '{}'", args[i]));
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() != 2 || (dynasty != "tang" && dynasty != "song")) {
    throw std::invalid_argument("expected SOURCE_DIR and OUTPUT, and --dynasty tang or song");
  }

  const auto files = source_files(positional[0], dynasty);
  if (files.empty()) {
    throw std::runtime_error(fmt::format("no poet.{}.*.json in {}", dynasty, positional[0]));
  }
  const Simplifier simplify;
  corpora::Cleaner cleaner;
  std::vector<Poem> poems;
  for (const auto& file : files) {
    std::ifstream in(file);
    const auto source = nlohmann::json::parse(in);
    for (const auto& entry : source) {
      std::string text;
      for (const auto& paragraph : entry.value("paragraphs", nlohmann::json::array())) {
        text += paragraph.get<std::string>();
      }
      auto poem = cleaner.clean(simplify(entry.value("title", "")),
                                simplify(entry.value("author", "")), simplify(text));
      if (poem) poems.push_back(std::move(*poem));
    }
  }
  write_corpus(positional[1], poems);
  print_report(cleaner.report(), files.size(), poems);

  if (fixture) {
    // Chosen by the hash's higher digits, independent of the split, which uses its lowest two.
    std::vector<Poem> sample;
    std::copy_if(poems.begin(), poems.end(), std::back_inserter(sample),
                 [](const Poem& p) { return text_hash(p.text) / 100 % 150 == 0; });
    write_corpus(*fixture, sample);
    fmt::print("fixture: {} poems in {}\n", sample.size(), fixture->string());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::invalid_argument& error) {
    fmt::print(stderr, "poet-corpus: {}\n{}", error.what(), kUsage);
    return 2;
  } catch (const std::exception& error) {
    fmt::print(stderr, "poet-corpus: {}\n", error.what());
    return 1;
  }
}
