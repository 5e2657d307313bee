// poet-corpus: builds poet's prepared corpus from the chinese-poetry package (traditional
// characters, JSON) and prints a report of every cleaning rule. corpora/build.sh runs it.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cleaning.h"
#include "package.h"
#include "poet/engine/files/files.h"
#include "poet/engine/model/vocabulary.h"
#include "poet/engine/text/text.h"

namespace fs = std::filesystem;
using namespace poet;

namespace {

constexpr std::string_view kUsage =
    "usage: poet-corpus SOURCE_DIR OUTPUT [--dynasty tang|song] [--fixture FILE]\n"
    "  SOURCE_DIR  chinese-poetry's quantangshi folder (poet.tang.*.json, poet.song.*.json)\n"
    "  OUTPUT      the prepared corpus to write (tab-separated, simplified characters)\n"
    "  --fixture   also write a small corpus of about one poem in 150, for tests\n";

void write_corpus(const fs::path& path, const std::vector<Poem>& poems) {
  std::string text = std::string(kCorpusHeader) + '\n';
  for (const auto& poem : poems) text += corpus_line(poem) + '\n';
  AtomicFile out(path, "corpus");  // a failed run never leaves half a corpus
  out.write(text);
  out.commit();
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
  fmt::print("recovered {} of them by removing editorial notes and variant readings (the main reading kept)\n",
             report.notes_removed);

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

  const auto files = corpora::source_files(positional[0], dynasty);
  if (files.empty()) {
    throw std::runtime_error(fmt::format("no poet.{}.*.json in {}", dynasty, positional[0]));
  }
  const corpora::Simplifier simplify;
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
  return corpora::run_builder("poet-corpus", kUsage, run, argc, argv);
}
