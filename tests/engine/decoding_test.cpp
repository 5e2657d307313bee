// Decoder plugins through the ABI: the loader, the four built-in decoders, the form every decoder
// must keep, and plugins that misbehave.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "model_fixture.h"
#include "poet/engine/decoders.h"
#include "poet/engine/metre.h"
#include "poet/engine/text.h"
#include "poet/engine/writing.h"
#include "scratch.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

const fs::path kBuiltIn = POET_BUILT_IN_DECODERS;
const fs::path kTestPlugins = POET_TEST_PLUGINS;

// One model for the whole file: an LSTM with random weights. Its poems are nonsense, which is the
// point: the form must come out exact whatever the model prefers.
Engine& engine() {
  static Engine* engine = [] {
    auto* e = new Engine(DeviceChoice::cpu);
    e->load(test::write_checkpoint("decoding.ckpt", CellType::lstm, 7));
    return e;
  }();
  return *engine;
}

const DecoderSet& built_in() {
  static const DecoderSet set({kBuiltIn});
  return set;
}

const Decoder& decoder(std::string_view name) {
  const auto found = built_in().find(name);
  if (!found) throw std::runtime_error(fmt::format("no decoder '{}'", name));
  return *found;
}

// The model's first `count` characters that are not marks: beginnings and heads it knows.
std::u32string characters(std::size_t count, std::size_t skip = 0) {
  std::u32string chars;
  for (const char32_t c : engine().begin_generation(0)->vocabulary().characters()) {
    if (is_verse_punctuation(c)) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    chars += c;
    if (chars.size() == count) break;
  }
  return chars;
}

WrittenPoem write(const Decoder& d, PoemRequest request, std::uint64_t seed = 1) {
  return write_poem(*engine().begin_generation(seed), d, request);
}

PoemRequest beginning(std::u32string start, FormRule form = FormRule::automatic()) {
  PoemRequest request;
  request.start = std::move(start);
  request.form = std::move(form);
  return request;
}

// Every line has the form's length and mark, and nothing else is in the text.
void expect_exact(const WrittenPoem& poem, Form form) {
  const FormShape shape = form_shape(form);
  ASSERT_EQ(poem.lines.size(), static_cast<std::size_t>(shape.lines)) << poem.text;
  for (std::size_t i = 0; i < poem.lines.size(); ++i) {
    const std::u32string line = decode_utf8(poem.lines[i]);
    ASSERT_EQ(line.size(), static_cast<std::size_t>(shape.chars_per_line) + 1) << poem.text;
    EXPECT_EQ(line.back(), i % 2 == 0 ? U'，' : U'。') << poem.text;
    for (std::size_t j = 0; j + 1 < line.size(); ++j)
      EXPECT_FALSE(is_verse_punctuation(line[j])) << poem.text;
  }
  EXPECT_EQ(classify_form(decode_utf8(poem.text)), form);
}

constexpr Form kForms[] = {Form::wujue, Form::qijue, Form::wulv, Form::qilv};

TEST(DecoderSet, LoadsTheFourBuiltInDecodersWithTheirParameters) {
  EXPECT_EQ(built_in().names(),
            (std::vector<std::string_view>{"acrostic", "beam", "greedy", "temperature"}));
  EXPECT_TRUE(built_in().refused().empty());
  const auto& temperature = decoder("temperature");
  ASSERT_NE(temperature.param("top-p"), nullptr);
  EXPECT_EQ(temperature.param("top-p")->default_value, 0.97);
  EXPECT_TRUE(temperature.streams());
  EXPECT_FALSE(decoder("beam").streams());
  EXPECT_TRUE(decoder("acrostic").writes_acrostics());
  EXPECT_EQ(decoder("acrostic").param("inner")->choices,
            (std::vector<std::string>{"greedy", "sample", "beam"}));
}

TEST(DecoderSet, RefusesBrokenPluginsWithTheReasonAndLoadsTheRest) {
  const DecoderSet set({kBuiltIn, kTestPlugins / "refused", kTestPlugins / "missing"});
  EXPECT_EQ(set.decoders().size(), 4u);
  std::map<std::string, std::string> reasons;
  for (const auto& refused : set.refused())
    reasons[refused.file.filename().string()] = refused.reason;
  EXPECT_EQ(reasons["test_wrong_abi.so"],
            "it was built for decoder ABI version 100, but this poet speaks versions 1 to 2");
  EXPECT_EQ(reasons["test_no_entry.so"],
            "exports no 'poet_decoder_entry': it is not a poet decoder");
  EXPECT_EQ(reasons["test_init_fails.so"],
            "decoder 'rhymer' could not start: needs a rhyme dictionary that is not installed");
  EXPECT_EQ(reasons["missing"], "no such folder");
}

TEST(DecoderSet, RefusesASecondDecoderOfTheSameName) {
  const DecoderSet set({kBuiltIn, kBuiltIn});
  EXPECT_EQ(set.decoders().size(), 4u);
  ASSERT_EQ(set.refused().size(), 4u);
  EXPECT_NE(set.refused()[0].reason.find("is already loaded from"), std::string::npos);
}

TEST(DecoderSet, ReloadPicksUpARebuiltPlugin) {
  const fs::path folder = fs::path(test::scratch_dir()) / "reload";
  fs::create_directories(folder);
  // As a linker does: a new file renamed over the old one.
  const auto install = [&](const std::string& version) {
    fs::copy_file(kTestPlugins / ("misbehave_v" + version) / ("test_misbehave_v" + version + ".so"),
                  folder / "misbehave.so.new", fs::copy_options::overwrite_existing);
    fs::rename(folder / "misbehave.so.new", folder / "misbehave.so");
  };
  install("1");
  DecoderSet set({folder});
  ASSERT_TRUE(set.find("misbehave"));
  EXPECT_EQ(set.find("misbehave")->version(), "1");
  install("2");
  set.reload();
  ASSERT_TRUE(set.find("misbehave"));
  EXPECT_EQ(set.find("misbehave")->version(), "2");
}

TEST(DecoderParam, ParsesWhatThePromptTypesAndSaysWhatItAccepts) {
  const DecoderParam& temperature = *decoder("temperature").param("temperature");
  EXPECT_EQ(temperature.parse("1.5"), 1.5);
  EXPECT_THROW(temperature.parse("9"), EngineError);
  try {
    temperature.parse("warm");
    FAIL();
  } catch (const EngineError& error) {
    EXPECT_STREQ(error.what(), "temperature must be a number from 0.05 to 5, not 'warm'");
  }
  EXPECT_THROW(decoder("temperature").param("top-k")->parse("2.5"), EngineError);
  const DecoderParam& inner = *decoder("acrostic").param("inner");
  EXPECT_EQ(inner.parse("beam"), 2);
  EXPECT_EQ(inner.format(2), "beam");
  EXPECT_EQ(inner.accepted(), "greedy, sample or beam");
  EXPECT_EQ(decoder("beam").param("no-repeat-line")->parse("off"), 0);
}

// The lines of a poem without their marks, in order.
std::vector<std::u32string> lines_of(const WrittenPoem& poem) {
  std::vector<std::u32string> lines;
  for (const auto& line : poem.lines) {
    const auto text = decode_utf8(line);
    lines.push_back(text.substr(0, text.size() - 1));
  }
  return lines;
}

bool repeats_a_line(const WrittenPoem& poem) {
  const auto lines = lines_of(poem);
  return std::set<std::u32string>(lines.begin(), lines.end()).size() != lines.size();
}

// A decoder's default parameters with one of them set.
std::vector<double> with_param(const Decoder& d, std::string_view name, double value) {
  std::vector<double> values = d.default_values();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (d.params()[i].name == name) {
      values[i] = value;
      return values;
    }
  }
  throw std::runtime_error(fmt::format("decoder '{}' has no parameter '{}'", d.name(), name));
}

TEST(Greedy, NeverWritesALineTwiceUnlessAllowed) {
  int plain_repeats = 0;
  for (const Form form : kForms) {
    for (const char32_t start : characters(8)) {
      auto request = beginning(std::u32string(1, start), FormRule::exact(form));
      request.params = {1, 0};  // no-repeat-line, and no repeat penalty to turn the path
      const auto poem = write(decoder("greedy"), request);
      EXPECT_FALSE(repeats_a_line(poem)) << poem.text;
      request.params = {0, 0};  // no-repeat-line off: the plain likeliest path
      const auto plain = write(decoder("greedy"), request);
      plain_repeats += repeats_a_line(plain);
      // Where the plain path repeats nothing, the guard changes nothing.
      if (!repeats_a_line(plain)) {
        EXPECT_EQ(poem.text, plain.text);
      }
    }
  }
  EXPECT_GT(plain_repeats, 0) << "the model never repeats a line, so this test shows nothing";
}

TEST(Greedy, IsDeterministic) {
  const auto first = write(decoder("greedy"), beginning(characters(1)), 1);
  const auto second = write(decoder("greedy"), beginning(characters(1)), 2);
  EXPECT_EQ(first.text, second.text);
  EXPECT_EQ(decode_utf8(first.text).front(), characters(1).front());
}

TEST(Temperature, TheSameSeedGivesTheSamePoemAndOtherSeedsOthers) {
  const auto request = beginning(characters(1));
  EXPECT_EQ(write(decoder("temperature"), request, 5).text,
            write(decoder("temperature"), request, 5).text);
  std::set<std::string> poems;
  for (std::uint64_t seed = 1; seed <= 4; ++seed)
    poems.insert(write(decoder("temperature"), request, seed).text);
  EXPECT_GE(poems.size(), 3u);
}

TEST(Temperature, TopKOfOneIsGreedy) {
  auto request = beginning(characters(1));
  request.params = {1.0, 1, 1.0};
  auto plain = beginning(characters(1));
  plain.params = {0, 0};  // greedy without no-repeat-line or penalty: the plain likeliest path
  EXPECT_EQ(write(decoder("temperature"), request, 3).text, write(decoder("greedy"), plain).text);
}

TEST(Beam, ScoresAtLeastAsHighAsGreedy) {
  for (const Form form : kForms) {
    for (const char32_t start : characters(3)) {
      auto request = beginning(std::u32string(1, start), FormRule::exact(form));
      request.params = {0, 0};  // plain greedy and beam search: no bans, no penalty
      const auto greedy = write(decoder("greedy"), request);
      request.params = {8, 0, 0, 0, 0};  // and no length penalty
      const auto beam = write(decoder("beam"), request);
      EXPECT_GE(beam.log_prob, greedy.log_prob - 1e-4)
          << form_name(form) << " " << beam.text << " " << greedy.text;
    }
  }
}

TEST(Beam, NeverRepeatsALineOrATrigramWhenAskedNot) {
  const auto poem = write(decoder("beam"), beginning(characters(1), FormRule::exact(Form::qilv)));
  EXPECT_FALSE(repeats_a_line(poem)) << poem.text;
  const std::u32string text = decode_utf8(poem.text);
  std::set<std::u32string> trigrams;
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    const auto trigram = text.substr(i, 3);
    if (std::none_of(trigram.begin(), trigram.end(), is_verse_punctuation)) {
      EXPECT_TRUE(trigrams.insert(trigram).second) << poem.text;
    }
  }
}

// Characters (marks aside) that the poem had already.
std::size_t reused_characters(const WrittenPoem& poem) {
  std::set<char32_t> seen;
  std::size_t reused = 0;
  for (const char32_t c : decode_utf8(poem.text)) {
    if (!is_verse_punctuation(c)) reused += !seen.insert(c).second;
  }
  return reused;
}

class Deterministic : public testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(BuiltIn, Deterministic, testing::Values("greedy", "beam"));

TEST_P(Deterministic, TheRepeatPenaltyKeepsEarlierCharactersAway) {
  const Decoder& d = decoder(GetParam());
  std::size_t plain = 0, penalised = 0;
  for (const Form form : kForms) {
    for (const char32_t start : characters(4)) {
      auto request = beginning(std::u32string(1, start), FormRule::exact(form));
      request.params = with_param(d, "repeat-penalty", 0);
      plain += reused_characters(write(d, request));
      request.params = with_param(d, "repeat-penalty", 20);
      const auto poem = write(d, request);
      EXPECT_EQ(reused_characters(poem), 0u) << poem.text;
      expect_exact(poem, form);
      penalised += reused_characters(poem);
    }
  }
  EXPECT_GT(plain, penalised) << "the model never uses a character twice, so this shows nothing";
}

class EachDecoder : public testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(BuiltIn, EachDecoder,
                         testing::Values("greedy", "temperature", "beam", "acrostic"));

TEST_P(EachDecoder, WritesEveryFormExactly) {
  for (const Form form : kForms) {
    for (std::uint64_t seed = 1; seed <= 2; ++seed) {
      SCOPED_TRACE(fmt::format("{} seed {}", form_name(form), seed));
      expect_exact(
          write(decoder(GetParam()), beginning(characters(2), FormRule::exact(form)), seed), form);
    }
  }
}

TEST_P(EachDecoder, WithoutAFormPicksOneFromTheFirstLineAndKeepsIt) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const auto poem = write(decoder(GetParam()), beginning(characters(1)), seed);
    const Form form = classify_form(decode_utf8(poem.text));
    EXPECT_TRUE(form == Form::wujue || form == Form::qijue || form == Form::wulv ||
                form == Form::qilv)
        << poem.text;
  }
}

TEST_P(EachDecoder, AFreePoemEndsWithinItsLimitAfterAClosingMark) {
  const auto poem = write(decoder(GetParam()), beginning(characters(1), FormRule::free(40)));
  const std::u32string text = decode_utf8(poem.text);
  EXPECT_LE(text.size(), 40u);
  ASSERT_FALSE(text.empty());
  EXPECT_TRUE(is_verse_punctuation(text.back()));
  for (const auto& line : verse_lines(text)) {
    EXPECT_GE(line.size(), 1u);
    EXPECT_LE(line.size(), static_cast<std::size_t>(FormRule::kLongestFreeLine));
  }
}

TEST_P(EachDecoder, StreamsExactlyThePoemItReturns) {
  std::string streamed;
  auto request = beginning(characters(2), FormRule::exact(Form::wujue));
  request.on_text = [&](const std::string& piece) { streamed += piece; };
  EXPECT_EQ(write(decoder(GetParam()), request).text, streamed);
}

TEST(Acrostic, BeginsEveryLineWithItsHeadInEveryFormAndStrategy) {
  for (const Form form : kForms) {
    const FormShape shape = form_shape(form);
    const std::u32string heads = characters(static_cast<std::size_t>(shape.lines), 3);
    for (const double inner : {0.0, 1.0, 2.0}) {
      SCOPED_TRACE(fmt::format("{} inner {}", form_name(form), inner));
      PoemRequest request;
      request.heads = heads;
      request.form = FormRule::exact(form);
      request.params = decoder("acrostic").default_values();
      request.params[0] = inner;
      const auto poem = write(decoder("acrostic"), request);
      expect_exact(poem, form);
      for (std::size_t i = 0; i < heads.size(); ++i)
        EXPECT_EQ(decode_utf8(poem.lines[i]).front(), heads[i]);
    }
  }
}

TEST(Acrostic, TheRepeatPenaltyKeepsEarlierCharactersAwayFromGreedyAndBeamLines) {
  const Decoder& acrostic = decoder("acrostic");
  for (const double inner : {0.0, 2.0}) {  // greedy, beam
    std::size_t plain = 0, penalised = 0;
    for (const Form form : kForms) {
      SCOPED_TRACE(fmt::format("{} inner {}", form_name(form), inner));
      PoemRequest request;
      request.heads = characters(static_cast<std::size_t>(form_shape(form).lines), 3);
      request.form = FormRule::exact(form);
      request.params = with_param(acrostic, "repeat-penalty", 0);
      request.params[0] = inner;
      plain += reused_characters(write(acrostic, request));
      request.params = with_param(acrostic, "repeat-penalty", 20);
      request.params[0] = inner;
      const auto poem = write(acrostic, request);
      expect_exact(poem, form);
      // Only a head, which the poem must take, may be a character the poem already had.
      EXPECT_LE(reused_characters(poem), request.heads.size()) << poem.text;
      penalised += reused_characters(poem);
    }
    EXPECT_GT(plain, penalised) << "inner " << inner << " never used a character twice";
  }
}

TEST(Acrostic, WithoutAFormWritesOneLinePerHead) {
  PoemRequest request;
  request.heads = characters(3, 5);
  const auto poem = write(decoder("acrostic"), request);
  ASSERT_EQ(poem.lines.size(), 3u) << poem.text;
  EXPECT_EQ(decode_utf8(poem.lines.back()).back(), U'。');
}

TEST(Acrostic, HeadsThatDoNotFitTheFormAreRefused) {
  PoemRequest request;
  request.heads = characters(4);
  request.form = FormRule::exact(Form::wulv);
  try {
    write(decoder("acrostic"), request);
    FAIL();
  } catch (const EngineError& error) {
    EXPECT_STREQ(
        error.what(),
        "五律 (8 lines, 5 characters a line) has 8 lines, but 4 head characters were given");
  }
  request.form = FormRule::automatic();
  EXPECT_THROW(write(decoder("greedy"), request), EngineError);  // greedy writes no acrostics
}

TEST(WritePoem, RefusesABeginningThatBreaksTheForm) {
  EXPECT_THROW(write(decoder("greedy"), beginning(characters(6), FormRule::exact(Form::wujue))),
               EngineError);
  EXPECT_THROW(write(decoder("greedy"), beginning(U"\U00020000")),
               EngineError);  // not in the vocabulary
}

TEST(WritePoem, TheMoodSetsTheStateButIsNotPartOfThePoem) {
  auto request = beginning(characters(1), FormRule::exact(Form::wujue));
  const auto plain = write(decoder("greedy"), request);
  request.mood = characters(5, 10);
  const auto moody = write(decoder("greedy"), request);
  EXPECT_EQ(decode_utf8(moody.text).front(), characters(1).front());
  EXPECT_NE(moody.text, plain.text);
  expect_exact(moody, Form::wujue);
}

// ---- the metre rule: rhyme and tones, held by the host whatever the decoder ----

const MetreLexicon& metre_lexicon() {
  static const MetreLexicon lexicon = MetreLexicon::read(fs::path(POET_CORPORA_DIR) / "metre.tsv");
  return lexicon;
}

MetreRule metre(RhymeMode rhyme = RhymeMode::automatic, ToneMode tones = ToneMode::loose) {
  MetreRule rule;
  rule.lexicon = &metre_lexicon();
  rule.rhyme = rhyme;
  rule.tones = tones;
  return rule;
}

// Unless the rule said it gave way, every rhyme is in one group, none repeats, and every tone the
// loose rule holds (positions 2, 4, 6 and line ends) is the pattern's; with `every_rule`, check
// finds no fault at all (no 孤平, no 三平尾).
void expect_metre(const WrittenPoem& poem, bool every_rule = false) {
  const MetreCheck check = check_poem(decode_utf8(poem.text), metre_lexicon(), RhymeBook::pingshui);
  ASSERT_TRUE(check.regulated) << poem.text;
  if (!poem.notes.empty()) return;
  EXPECT_TRUE(check.rhymes) << poem.text;
  EXPECT_FALSE(check.repeats_rhyme) << poem.text;
  EXPECT_EQ(check.key_passed, check.key_checks) << poem.text;
  if (every_rule) {
    EXPECT_TRUE(check.faults.empty()) << poem.text << ": " << check.faults.front().message;
  }
  ASSERT_TRUE(poem.rhyme_group) << poem.text;
  EXPECT_EQ(poem.rhyme_group, check.group) << poem.text;
}

TEST_P(EachDecoder, UnderTheMetreRuleEveryPoemRhymesAndKeepsItsTones) {
  int kept = 0, poems = 0;
  for (const Form form : kForms) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed, ++poems) {
      SCOPED_TRACE(fmt::format("{} seed {}", form_name(form), seed));
      auto request = beginning(characters(1), FormRule::exact(form));
      request.metre = metre();
      const auto poem = write(decoder(GetParam()), request, seed);
      expect_exact(poem, form);
      expect_metre(poem, true);
      kept += poem.notes.empty() ? 1 : 0;
    }
  }
  // The test model knows few characters, so a rule may give way, but not for most poems.
  EXPECT_GE(kept * 2, poems);
}

TEST(Metre, WithoutAFormTheFirstLineStillPicksTheForm) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    auto request = beginning(characters(1));
    request.metre = metre();
    const auto poem = write(decoder("temperature"), request, seed);
    expect_metre(poem);
  }
}

TEST(Metre, AFreePoemHasNoMetre) {
  auto request = beginning(characters(1), FormRule::free(40));
  request.metre = metre(RhymeMode::fixed, ToneMode::strict);
  request.metre.group = 0;
  const auto poem = write(decoder("greedy"), request);
  EXPECT_TRUE(poem.notes.empty());
  EXPECT_FALSE(poem.rhyme_group);
}

TEST(Metre, AnAcrosticKeepsHeadsThatBreakThePattern) {
  // Four oblique heads: in a 五绝 the first places of lines 1 and 2 are opposite under strict tones.
  std::u32string heads;
  for (const char32_t c : engine().begin_generation(0)->vocabulary().characters()) {
    if (metre_lexicon().tone(c, RhymeBook::pingshui) == Tone::oblique && heads.size() < 4) heads += c;
  }
  ASSERT_EQ(heads.size(), 4u);
  for (const double inner : {0.0, 1.0, 2.0}) {
    PoemRequest request;
    request.heads = heads;
    request.form = FormRule::exact(Form::wujue);
    request.metre = metre(RhymeMode::automatic, ToneMode::strict);
    request.params = decoder("acrostic").default_values();
    request.params[0] = inner;
    const auto poem = write(decoder("acrostic"), request);
    expect_exact(poem, Form::wujue);
    for (std::size_t i = 0; i < heads.size(); ++i) EXPECT_EQ(decode_utf8(poem.lines[i]).front(), heads[i]);
    expect_metre(poem);
  }
}

TEST(Metre, ADeadEndGivesWayInTheDocumentedOrderAndSaysSo) {
  // The group with the fewest characters in the test model's vocabulary: too few for a 五律's
  // four rhymes, so the rule must give way, and the poem still comes out in its form.
  const auto& vocabulary = engine().begin_generation(0)->vocabulary().characters();
  std::vector<int> counts(group_names(RhymeBook::pingshui).size());
  for (const char32_t c : vocabulary) {
    for (std::size_t g = 0; g < counts.size(); ++g)
      counts[g] += static_cast<int>(metre_lexicon().groups(c, RhymeBook::pingshui) >> g & 1);
  }
  const int rarest = static_cast<int>(std::min_element(counts.begin(), counts.end()) - counts.begin());
  ASSERT_LT(counts[static_cast<std::size_t>(rarest)], 4);
  auto request = beginning(characters(1), FormRule::exact(Form::wulv));
  request.metre = metre(RhymeMode::fixed);
  request.metre.group = rarest;
  const auto poem = write(decoder("greedy"), request);
  expect_exact(poem, Form::wulv);
  ASSERT_FALSE(poem.notes.empty()) << poem.text;
  const std::string expected = counts[static_cast<std::size_t>(rarest)] == 0
                                   ? "no character of the rhyme group fitted, so the rhyme gave way"
                                   : "no unused rhyme fitted, so a rhyme character repeats";
  EXPECT_NE(poem.notes.front().find(expected), std::string::npos) << poem.notes.front();
  EXPECT_EQ(poem.notes.front().rfind("line ", 0), 0u) << poem.notes.front();
}

// ---- plugins that misbehave: each is an error with a message, and the next poem is fine ----

std::string failure(const char* mode, const std::atomic<bool>* cancel = nullptr) {
  const DecoderSet set({kTestPlugins / "misbehave_v1"});
  const auto misbehave = set.find("misbehave");
  auto request = beginning(characters(1));
  request.params = {misbehave->param("mode")->parse(mode)};
  request.cancel = cancel;
  try {
    write(*misbehave, request);
  } catch (const Cancelled&) {
    return "cancelled";
  } catch (const EngineError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Misbehaving, EachBrokenRuleIsAnErrorAndPoetCarriesOn) {
  EXPECT_EQ(failure("fail"), "decoder 'misbehave' failed: the muse is silent today");
  EXPECT_EQ(failure("forbidden"),
            "decoder 'misbehave' step() chose <end> where the form does not allow it");
  EXPECT_EQ(failure("past-vocabulary"),
            fmt::format("decoder 'misbehave' step() chose token {0}, outside the vocabulary of {0}",
                        engine().begin_generation(0)->vocabulary_size()));
  EXPECT_EQ(failure("unfinished"), "decoder 'misbehave' returned a poem that is not finished");
  EXPECT_EQ(
      failure("bad-state"),
      "decoder 'misbehave' decode() returned state 12345, which does not exist or was released");
  expect_exact(write(decoder("greedy"), beginning(characters(1), FormRule::exact(Form::wujue))),
               Form::wujue);
}

TEST(Misbehaving, CtrlCStopsADecoderThatNeverChecks) {
  std::atomic<bool> cancel{false};
  std::thread user([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel = true;
  });
  EXPECT_EQ(failure("wait-for-cancel", &cancel), "cancelled");
  user.join();
}

}  // namespace
}  // namespace poet
