#include "poet/engine/files/corpus.h"

#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "poet/engine/error.h"
#include "poet/engine/files/files.h"
#include "poet/engine/files/limits.h"
#include "poet/engine/text/text.h"

namespace poet {
namespace {

// A field written into the tab-separated format must not break it.
std::string field(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

Poem parse_prepared(std::string_view line) {
  const auto fields = split_fields(line, '\t');
  if (fields.size() != 5) {
    throw Error::input(fmt::format("expected 5 tab-separated fields, found {}", fields.size()));
  }
  const std::u32string text = decode_utf8(fields[4]);
  if (const auto problem = verse_problem(text)) throw Error::input(*problem);
  Poem poem = make_poem(std::string(fields[3]), std::string(fields[2]), std::string(fields[4]));
  if (fields[0] != split_name(poem.split)) {
    throw Error::input(fmt::format("split '{}' does not match the text's hash ('{}')", fields[0],
                                   split_name(poem.split)));
  }
  if (fields[1] != form_name(poem.form)) {
    throw Error::input(
        fmt::format("form '{}' does not match the text ('{}')", fields[1], form_name(poem.form)));
  }
  return poem;
}

Poem parse_plain(std::string_view line) {
  const std::size_t colon = line.find(':');
  const std::string_view title = colon == std::string_view::npos ? "" : line.substr(0, colon);
  std::u32string text = decode_utf8(colon == std::string_view::npos ? line : line.substr(colon + 1));
  normalise_punctuation(text);
  if (const auto problem = verse_problem(text)) throw Error::input(*problem);
  return make_poem(std::string(title), "", encode_utf8(text));
}

}  // namespace

std::string_view split_name(Split split) {
  switch (split) {
    case Split::train: return "train";
    case Split::valid: return "valid";
    case Split::test: return "test";
  }
  return "train";
}

std::optional<Split> parse_split(std::string_view name) {
  for (const Split split : {Split::train, Split::valid, Split::test}) {
    if (name == split_name(split)) return split;
  }
  return std::nullopt;
}

std::uint64_t text_hash(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

Split split_of(std::string_view text) {
  const auto bucket = text_hash(text) % 100;
  return bucket < 2 ? Split::test : bucket < 4 ? Split::valid : Split::train;
}

Poem make_poem(std::string title, std::string author, std::string text) {
  Poem poem{std::move(title), std::move(author), std::move(text)};
  poem.form = classify_form(decode_utf8(poem.text));
  poem.split = split_of(poem.text);
  return poem;
}

std::string corpus_line(const Poem& poem) {
  return fmt::format("{}\t{}\t{}\t{}\t{}", split_name(poem.split), form_name(poem.form),
                     field(poem.author), field(poem.title), poem.text);
}

std::optional<std::string> verse_problem(std::u32string_view text) {
  if (text.empty()) return "no poem text";
  for (const char32_t c : text) {
    if (!is_han(c) && !is_verse_punctuation(c)) {
      return fmt::format("unexpected character {} in the poem", describe(c));
    }
  }
  if (is_verse_punctuation(text.front())) return "the poem starts with punctuation";
  return std::nullopt;
}

std::vector<CorpusProblem> read_corpus(const std::filesystem::path& path,
                                       const std::function<void(Poem&&)>& on_poem) {
  check_readable(path, "corpus");  // a FIFO or /dev/zero would be read without end
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error::file(fmt::format("cannot read corpus '{}'", path.string()));
  return read_corpus(in, path.string(), on_poem);
}

namespace {

// std::getline, but a line longer than `longest` bytes is not kept: its end is skipped and it
// comes back as nothing, with `too_long` set. A file of one endless line costs no memory.
bool bounded_getline(std::istream& in, std::string& line, std::size_t longest, bool& too_long) {
  line.clear();
  too_long = false;
  for (int c; (c = in.get()) != std::char_traits<char>::eof();) {
    if (c == '\n') return true;
    if (line.size() < longest) {
      line.push_back(static_cast<char>(c));
    } else {
      too_long = true;
      line.clear();
      in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
      return true;
    }
  }
  return !line.empty();
}

}  // namespace

std::vector<CorpusProblem> read_corpus(std::istream& in, const std::string& name,
                                       const std::function<void(Poem&&)>& on_poem) {
  // A poem of kLongestPoem characters (3 bytes each in UTF-8), its marks and a long title.
  constexpr std::size_t kLongestLine = 4 * kLongestPoem + 4096;
  std::vector<CorpusProblem> problems;
  std::string line;
  bool prepared = false, too_long = false;
  for (std::size_t number = 1; bounded_getline(in, line, kLongestLine, too_long); ++number) {
    if (too_long) {
      problems.push_back({number, fmt::format("the line is longer than {} bytes", kLongestLine)});
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && line.rfind("# poet corpus", 0) == 0) {
      if (line != kCorpusHeader) {
        throw Error::file(fmt::format("'{}' is a poet corpus of another format version: {}", name,
                                      line.substr(0, line.find('\t'))));
      }
      prepared = true;
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    Poem poem;
    try {
      poem = prepared ? parse_prepared(line) : parse_plain(line);
    } catch (const Error& error) {
      problems.push_back({number, error.what()});
      continue;
    }
    on_poem(std::move(poem));
  }
  if (in.bad()) throw Error::file(fmt::format("error reading corpus '{}'", name));
  return problems;
}

}  // namespace poet
