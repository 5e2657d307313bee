#include "check.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "critic.h"
#include "generation_settings.h"
#include "poet/engine/error.h"
#include "poet/engine/files/corpus.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/text/text.h"
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
    terminal.reply(
        {to_json(check, poem.text, book), fmt::format("{}  {}", poem.text, check.verdict())});
  });
  for (const auto& problem : problems) {
    terminal.warning(fmt::format("{}:{}: {}", file.string(), problem.line, problem.message));
  }
  const std::string summary = fmt::format("{}: {}", file.string(), tally.describe());
  terminal.reply({{{"file", file.string()},
                   {"poems", tally.poems},
                   {"regulated", tally.regulated},
                   {"passing", tally.passing},
                   {"rhyming", tally.rhyming},
                   {"repeating", tally.repeating},
                   {"key_checks", tally.key_checks},
                   {"key_passed", tally.key_passed},
                   {"summary", summary}},
                  summary});
}

void run_check(Shell& shell, const Args& args) {
  MetreChoice metre = shell.settings().metre;
  if (const auto* book = args.option("--rhyme-book")) {
    Settings settings = shell.settings();
    setting_by_key("rhyme-book")->apply(settings, *book, shell.decoders());
    metre = settings.metre;
  }
  const auto usage_error = [] {
    return Error::input(fmt::format("usage: {}", usage(check_command())));
  };
  if (const auto* file = args.option("--file")) {
    if (!args.positional.empty()) throw usage_error();
    std::optional<Split> split;
    if (const auto* name = args.option("--split")) split = split_option(*name);
    check_file(shell, *file, split, metre.book);
    return;
  }
  if (args.positional.empty() || args.option("--split") != nullptr) throw usage_error();
  // The poem may come as several words: a line of verse per word.
  std::string poem;
  for (const auto& word : args.positional) poem += word;
  std::u32string text = decode_utf8(poem);
  normalise_punctuation(text);
  if (const auto problem = verse_problem(text)) throw Error::input(*problem);
  const MetreLexicon& lexicon = shell.metre_lexicon();
  const MetreCheck check = check_poem(text, lexicon, metre.book);
  Terminal& terminal = shell.terminal();
  Reply reply{to_json(check, encode_utf8(text), metre.book),
              describe_check(check, lexicon, metre.book, terminal)};
  // The critic beside the metre; a poet without one still checks metre.
  try {
    const Reply critic = critic_reply(shell.critic(), text);
    reply.fields.update(critic.fields);
    reply.text += "\n" + critic.text;
  } catch (const Error& error) {
    terminal.warning(fmt::format("no critic: {}", error.what()));
  }
  terminal.reply(reply);
}

}  // namespace

Command check_command() {
  Command check{
      "check",
      "<poem>",
      0,
      40,
      "a poem's form, tones (平仄) and rhymes against the rules of regulated verse",
      "Shows each line's tones (平 level, 仄 oblique, 中 either, ？ unknown), the standard "
      "pattern\n"
      "  the poem follows best (平起 or 仄起, first line rhyming or not), its rhyme group and "
      "each\n"
      "  fault: a tone at position 2, 4 or 6 or a line's end against the pattern, 孤平, 三平尾, a\n"
      "  rhyme outside the group, a rhyme character used twice; positions 1, 3 and 5 are free.\n"
      "  The poem may be given in several words, a line a word; with --file, none is given.",
      {{"--file", "FILE", "check every poem of a file (either corpus format) and sum them up",
        [](Shell&, const std::vector<std::string>&) -> Candidates { return std::nullopt; }},
       {"--split", "train|valid|test", "with --file: only that split's poems",
        [](Shell&, const std::vector<std::string>&) -> Candidates {
          return std::vector<std::string>{"train", "valid", "test"};
        }},
       {"--rhyme-book", "平水韵|中华新韵", "judge by this book (default: the 'set' value)",
        [](Shell&, const std::vector<std::string>&) -> Candidates {
          return std::vector<std::string>{"平水韵", "中华新韵"};
        }}}};
  check.run = run_check;
  return check;
}

}  // namespace poet::repl
