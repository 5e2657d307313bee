#include "poet/engine/files/corpus.h"

#include <gtest/gtest.h>

#include <fstream>

#include "poet/engine/error.h"
#include "poet/engine/text/text.h"
#include "scratch.h"

namespace poet {
namespace {

const std::filesystem::path kData = POET_TEST_DATA_DIR;
const std::filesystem::path kCorpora = POET_CORPORA_DIR;

std::vector<Poem> read_all(const std::filesystem::path& path,
                           std::vector<CorpusProblem>* problems) {
  std::vector<Poem> poems;
  *problems = read_corpus(path, [&](Poem&& poem) { poems.push_back(std::move(poem)); });
  return poems;
}

TEST(Split, IsAFixedFunctionOfTheText) {
  // Pinned: a change to the hash would silently reshuffle every split and every perplexity.
  EXPECT_EQ(text_hash("床前明月光，疑是地上霜。举头望明月，低头思故乡。"), 0xe51c641e09eb3474ULL);
  EXPECT_EQ(text_hash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(split_of("四时运灰琯，一夕变冬春。送寒余雪尽，迎岁早梅新。"), Split::test);
  EXPECT_EQ(split_of("和气吹绿野，梅雨洒芳田。新流添旧涧，宿雾足朝烟。"), Split::train);
  EXPECT_EQ(split_of("床前明月光，疑是地上霜。举头望明月，低头思故乡。"), Split::train);
}

TEST(PlainCorpus, ReadsTitlesAndReportsBadLinesByNumber) {
  std::vector<CorpusProblem> problems;
  const auto poems = read_all(kData / "plain_with_errors.txt", &problems);
  ASSERT_EQ(poems.size(), 3u);
  EXPECT_EQ(poems[0].title, "静夜思");
  EXPECT_EQ(poems[0].form, Form::wujue);
  EXPECT_EQ(poems[1].title, "");
  EXPECT_EQ(poems[1].text, "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。");
  EXPECT_EQ(poems[2].text, "千山鸟飞绝，万径人踪灭，孤舟蓑笠翁，独钓寒江雪。");  // normalised

  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].line, 4u);
  EXPECT_EQ(problems[0].message, "unexpected character 'A' (U+0041) in the poem");
  EXPECT_EQ(problems[1].line, 5u);
  EXPECT_EQ(problems[1].message, "no poem text");
  EXPECT_EQ(problems[2].line, 7u);
  EXPECT_EQ(problems[2].message, "the poem starts with punctuation");
  EXPECT_EQ(problems[3].line, 8u);
  EXPECT_EQ(problems[3].message, "invalid UTF-8 at byte 0");
}

TEST(PlainCorpus, AnEndlessLineIsReportedWithoutBeingKept) {
  const auto path = std::filesystem::path(test::scratch_dir()) / "endless.txt";
  {
    std::ofstream out(path);
    out << std::string(300'000, 'x')
        << "\n春眠不觉晓，处处闻啼鸟。";  // the last line has no newline
  }
  std::vector<CorpusProblem> problems;
  const auto poems = read_all(path, &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 1u);
  EXPECT_EQ(problems[0].message, "the line is longer than 84096 bytes");
  ASSERT_EQ(poems.size(), 1u);
  EXPECT_EQ(poems[0].text, "春眠不觉晓，处处闻啼鸟。");
}

TEST(PreparedCorpus, RoundTripsThroughItsLineFormat) {
  const auto path = std::filesystem::path(test::scratch_dir()) / "round_trip.tsv";
  const Poem poem =
      make_poem("登\t鹳雀楼", "王之涣", "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。");
  std::ofstream(path) << kCorpusHeader << '\n' << corpus_line(poem) << '\n';
  std::vector<CorpusProblem> problems;
  const auto poems = read_all(path, &problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(poems.size(), 1u);
  EXPECT_EQ(poems[0].title, "登 鹳雀楼");  // a tab in a title cannot break the format
  EXPECT_EQ(poems[0].author, "王之涣");
  EXPECT_EQ(poems[0].text, poem.text);
  EXPECT_EQ(poems[0].form, Form::wujue);
  EXPECT_EQ(poems[0].split, poem.split);
}

TEST(PreparedCorpus, ReportsMalformedLines) {
  const auto path = std::filesystem::path(test::scratch_dir()) / "malformed.tsv";
  std::ofstream(path)
      << kCorpusHeader << '\n'
      << "train\t五绝\t王之涣\t登鹳雀楼\n"
      << "train\t七绝\t王之涣\t登鹳雀楼\t白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n"
      << "valid\t五绝\t王之涣\t登鹳雀楼\t白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n";
  std::vector<CorpusProblem> problems;
  EXPECT_TRUE(read_all(path, &problems).empty());
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].line, 2u);
  EXPECT_EQ(problems[0].message, "expected 5 tab-separated fields, found 4");
  EXPECT_EQ(problems[1].message, "form '七绝' does not match the text ('五绝')");
  EXPECT_EQ(problems[2].message, "split 'valid' does not match the text's hash ('train')");
}

TEST(PreparedCorpus, RefusesAnotherFormatVersionAndMissingFiles) {
  const auto path = std::filesystem::path(test::scratch_dir()) / "future.tsv";
  std::ofstream(path) << "# poet corpus v9\tsplit\n";
  EXPECT_THROW(read_corpus(path, [](Poem&&) {}), Error);
  EXPECT_THROW(read_corpus(kData / "no_such_file.txt", [](Poem&&) {}), Error);
}

// The committed corpora parse without a single problem and split about 96/2/2.
TEST(CommittedCorpus, TangParsesCleanlyAndSplitsAsDocumented) {
  std::vector<CorpusProblem> problems;
  const auto poems = read_all(kCorpora / "tang.tsv", &problems);
  EXPECT_TRUE(problems.empty()) << problems.front().line << ": " << problems.front().message;
  EXPECT_EQ(poems.size(), 55696u);
  std::size_t valid = 0, test = 0;
  for (const auto& poem : poems) {
    valid += poem.split == Split::valid;
    test += poem.split == Split::test;
  }
  EXPECT_NEAR(static_cast<double>(valid) / poems.size(), 0.02, 0.004);
  EXPECT_NEAR(static_cast<double>(test) / poems.size(), 0.02, 0.004);
}

TEST(CommittedCorpus, FixtureIsSmallAndHasEverySplit) {
  std::vector<CorpusProblem> problems;
  const auto poems = read_all(kCorpora / "fixture.tsv", &problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_GE(poems.size(), 200u);
  EXPECT_LE(poems.size(), 500u);
  for (const Split split : {Split::train, Split::valid, Split::test}) {
    EXPECT_TRUE(std::any_of(poems.begin(), poems.end(), [&](const Poem& p) {
      return p.split == split;
    })) << split_name(split);
  }
}

}  // namespace
}  // namespace poet
