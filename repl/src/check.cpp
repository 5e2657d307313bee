#include "check.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "generation_settings.h"
#include "poet/engine/corpus.h"
#include "poet/engine/metre.h"
#include "poet/engine/text.h"
#include "shell.h"
#include "words.h"

namespace poet::repl {
namespace {

namespace fs = std::filesystem;

std::string group_text(RhymeBook book, std::optional<int> group) {
  return group ? group_names(book)[static_cast<std::size_t>(*group)] : std::string("none");
}

// Every group a character rhymes in, as "十四寒/十五删", or "no level rhyme group".
std::string groups_of(const MetreLexicon& lexicon, char32_t c, RhymeBook book) {
  std::string text;
  const GroupSet groups = lexicon.groups(c, book);
  for (std::size_t g = 0; g < group_names(book).size(); ++g) {
    if ((groups >> g & 1) != 0) text += (text.empty() ? "" : "/") + group_names(book)[g];
  }
  return text.empty() ? "no level rhyme group" : text;
}

nlohmann::json to_json(const MetreCheck& check, std::string_view poem, RhymeBook book) {
  nlohmann::json lines = nlohmann::json::array();
  for (std::size_t i = 0; i < check.lines.size(); ++i) {
    lines.push_back({{"text", encode_utf8(check.lines[i])}, {"tones", check.tones[i]}});
  }
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& fault : check.faults) {
    faults.push_back({{"line", fault.line + 1}, {"message", fault.message}});
    if (fault.column >= 0) faults.back()["column"] = fault.column + 1;
  }
  nlohmann::json result{{"poem", poem},
                        {"form", check.form},
                        {"regulated", check.regulated},
                        {"rhyme_book", std::string(book_name(book))},
                        {"lines", lines},
                        {"rhyme_lines", nlohmann::json::array()},
                        {"rhyme_group", nullptr},
                        {"rhymes", check.rhymes},
                        {"repeats_rhyme", check.repeats_rhyme},
                        {"key_checks", check.key_checks},
                        {"key_passed", check.key_passed},
                        {"faults", faults},
                        {"passes", check.passes()},
                        {"verdict", check.verdict()}};
  for (const int line : check.rhyme_lines) result["rhyme_lines"].push_back(line + 1);
  if (check.group) result["rhyme_group"] = group_names(book)[static_cast<std::size_t>(*check.group)];
  if (check.pattern) {
    result["pattern"] = {{"start", check.pattern->level_start ? "平起" : "仄起"},
                         {"first_line_rhymes", check.pattern->first_line_rhymes}};
  }
  return result;
}

// The poem line by line, each with its tones and, on a rhyme line, the rhyme's groups; the faulty
// characters highlighted; then the faults and the verdict.
std::string describe_check(const MetreCheck& check, const MetreLexicon& lexicon, RhymeBook book,
                           const Terminal& terminal) {
  std::string text = check.form;
  if (check.pattern) text += ", " + check.pattern->describe();
  text += fmt::format(", rhyme {} ({})\n", group_text(book, check.group), book_name(book));
  std::size_t widest = 0;
  for (const auto& line : check.lines) widest = std::max(widest, line.size());
  for (std::size_t i = 0; i < check.lines.size(); ++i) {
    const std::u32string& line = check.lines[i];
    const auto tones = decode_utf8(check.tones[i]);
    std::string characters, marks;
    for (std::size_t column = 0; column < line.size(); ++column) {
      const bool faulty = std::any_of(check.faults.begin(), check.faults.end(), [&](const auto& f) {
        return f.line == static_cast<int>(i) && f.column == static_cast<int>(column);
      });
      const auto paint = [&](std::string s) { return faulty ? terminal.highlight(s) : s; };
      characters += paint(encode_utf8(line[column]));
      marks += paint(encode_utf8(tones[column]));
    }
    std::string pad;
    for (std::size_t n = line.size(); n < widest; ++n) pad += "\u3000";
    text += fmt::format("  {}{}  {}{}", characters, pad, marks, pad);
    if (std::find(check.rhyme_lines.begin(), check.rhyme_lines.end(), static_cast<int>(i)) !=
        check.rhyme_lines.end()) {
      text += fmt::format("  {} {}", encode_utf8(line.back()), groups_of(lexicon, line.back(), book));
    }
    text += '\n';
  }
  for (const auto& fault : check.faults) {
    text += fmt::format("  line {}: {}\n", fault.line + 1, fault.message);
  }
  return text + check.verdict();
}

void check_file(Shell& shell, const fs::path& file, std::optional<Split> split, RhymeBook book) {
  const MetreLexicon& lexicon = shell.metre_lexicon();
  Terminal& terminal = shell.terminal();
  MetreTally tally;
  const auto problems = read_corpus(file, [&](Poem&& poem) {
    if (split && poem.split != *split) return;
    const MetreCheck check = check_poem(decode_utf8(poem.text), lexicon, book);
    tally.add(check);
    if (terminal.json()) {
      terminal.json_result(to_json(check, poem.text, book).dump());
    } else {
      terminal.result(fmt::format("{}  {}", poem.text, check.verdict()));
    }
  });
  for (const auto& problem : problems) {
    terminal.warning(fmt::format("{}:{}: {}", file.string(), problem.line, problem.message));
  }
  const std::string summary = fmt::format("{}: {}", file.string(), tally.describe());
  if (terminal.json()) {
    terminal.json_result(nlohmann::json{{"file", file.string()},
                                        {"poems", tally.poems},
                                        {"regulated", tally.regulated},
                                        {"passing", tally.passing},
                                        {"rhyming", tally.rhyming},
                                        {"repeating", tally.repeating},
                                        {"key_checks", tally.key_checks},
                                        {"key_passed", tally.key_passed},
                                        {"summary", summary}}
                             .dump());
  } else {
    terminal.result(summary);
  }
}

}  // namespace

void run_check(Shell& shell, const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_options(args, {"--file", "--split", "--rhyme-book"});
  MetreChoice metre = shell.settings().metre;
  if (const auto* book = parsed.option("--rhyme-book")) metre.set("rhyme-book", *book);
  const auto* file = parsed.option("--file");
  if (file != nullptr) {
    if (!parsed.positional.empty()) throw CommandError(fmt::format("usage: {}", kCheckUsage));
    std::optional<Split> split;
    if (const auto* name = parsed.option("--split")) split = split_option(*name);
    check_file(shell, *file, split, metre.book);
    return;
  }
  if (parsed.positional.empty() || parsed.option("--split") != nullptr)
    throw CommandError(fmt::format("usage: {}", kCheckUsage));
  // The poem may come as several words: a line of verse per word.
  std::string poem;
  for (const auto& word : parsed.positional) poem += word;
  std::u32string text = decode_utf8(poem);
  normalise_punctuation(text);
  if (const auto problem = verse_problem(text)) throw CommandError(*problem);
  const MetreLexicon& lexicon = shell.metre_lexicon();
  const MetreCheck check = check_poem(text, lexicon, metre.book);
  Terminal& terminal = shell.terminal();
  if (terminal.json()) {
    terminal.json_result(to_json(check, encode_utf8(text), metre.book).dump());
  } else {
    terminal.result(describe_check(check, lexicon, metre.book, terminal));
  }
}

std::optional<std::vector<std::string>> complete_check(Shell& shell,
                                                       const std::vector<std::string>& before) {
  if (before.back() == "--file") return std::nullopt;
  if (before.back() == "--split") return std::vector<std::string>{"train", "valid", "test"};
  if (before.back() == "--rhyme-book") return shell.settings().metre.values("rhyme-book");
  return std::vector<std::string>{"--file", "--split", "--rhyme-book"};
}

}  // namespace poet::repl
