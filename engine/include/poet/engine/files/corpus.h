#pragma once
// Poems on disk. Two formats, told apart by the first line:
// - the prepared corpus (corpora/tang.tsv): the line kCorpusHeader, then one poem per line as
//   tab-separated split, form, author, title, text;
// - a plain file, as the course's poems.txt: one poem per line, with an optional "title:" prefix.
// Either way a poem's text holds only Han characters and the five verse punctuation marks.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "poet/engine/text/forms.h"

namespace poet {

enum class Split { train, valid, test };

std::string_view split_name(Split split);  // "train", "valid", "test"
std::optional<Split> parse_split(std::string_view name);

// 64-bit FNV-1a of the UTF-8 bytes: stable across platforms and releases, unlike std::hash.
std::uint64_t text_hash(std::string_view text);

// The split a poem belongs to, from its text alone: text_hash modulo 100 is 0-1 for test, 2-3 for
// valid, the rest train. Adding poems or rebuilding the corpus never
// moves a poem to another split, so perplexities stay comparable.
Split split_of(std::string_view text);

struct Poem {
  std::string title;
  std::string author;
  std::string text;  // UTF-8
  Form form = Form::other;
  Split split = Split::train;
};

// A poem with its form and split derived from the text.
Poem make_poem(std::string title, std::string author, std::string text);

inline constexpr std::string_view kCorpusHeader = "# poet corpus v1\tsplit\tform\tauthor\ttitle\ttext";

// The prepared-corpus line for a poem, without the newline.
std::string corpus_line(const Poem& poem);

// Why a text is not a poem poet can learn from, or nothing if it is one.
std::optional<std::string> verse_problem(std::u32string_view text);

struct CorpusProblem {
  std::size_t line;  // 1-based line number in the file
  std::string message;
};

// Streams the poems of a file in either format to `on_poem`. A line that does not parse is
// skipped and reported, never fatal; blank lines are skipped silently. Throws std::runtime_error
// only if the file cannot be read at all.
std::vector<CorpusProblem> read_corpus(const std::filesystem::path& path,
                                       const std::function<void(Poem&&)>& on_poem);
// The same from a stream; `name` stands for the file in messages.
std::vector<CorpusProblem> read_corpus(std::istream& in, const std::string& name,
                                       const std::function<void(Poem&&)>& on_poem);

}  // namespace poet
