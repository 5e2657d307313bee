// Decoder plugins through the ABI: the loader, the three built-in decoders, the form, the heads and
// the metre every decoder must keep, and plugins that misbehave.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "model_fixture.h"
#include "poet/engine/error.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/plugins/decoders.h"
#include "poet/engine/text/text.h"
#include "poet/engine/writing/writing.h"
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

TEST(DecoderSet, LoadsTheThreeBuiltInDecodersWithTheirParametersAndAliases) {
  EXPECT_EQ(built_in().names(), (std::vector<std::string_view>{"beam", "greedy", "temperature"}));
  EXPECT_TRUE(built_in().refused().empty());
  const auto& temperature = decoder("temperature");
  ASSERT_NE(temperature.param("top-p"), nullptr);
  EXPECT_EQ(temperature.param("top-p")->default_value, 0.97);
  EXPECT_TRUE(temperature.streams());
  EXPECT_FALSE(decoder("beam").streams());
  EXPECT_FALSE(decoder("greedy").steps_heads());
  EXPECT_TRUE(decoder("greedy").seedless());
  EXPECT_TRUE(decoder("beam").seedless());
  EXPECT_FALSE(decoder("temperature").seedless());
  ASSERT_EQ(decoder("beam").aliases().size(), 1u);
  EXPECT_EQ(decoder("beam").aliases()[0].option, "beam");
  EXPECT_EQ(decoder("beam").option("beam"), decoder("beam").param("width"));
  EXPECT_EQ(decoder("temperature").option("beam"), nullptr);
}

// gen --seed 3 sets gen's seed: a parameter or an alias named `seed` could never be given there.
// Only the whole name counts: top-p is not top.
TEST(DecoderSet, RefusesAParameterOrAliasNamedLikeOneOfTheCommandsOwnOptions) {
  const DecoderSet set({kBuiltIn}, std::nullopt, {"seed", "beam", "top-k", "top"});
  EXPECT_EQ(set.names(), (std::vector<std::string_view>{"greedy"}));
  ASSERT_EQ(set.refused().size(), 2u);
  EXPECT_EQ(set.refused()[0].reason,
            "decoder 'beam' has an alias 'beam', but that name is one of gen's own options");
  EXPECT_EQ(
      set.refused()[1].reason,
      "decoder 'temperature' has a parameter 'top-k', but that name is one of gen's own options");
}

TEST(DecoderSet, RefusesBrokenPluginsWithTheReasonAndLoadsTheRest) {
  const DecoderSet set({kBuiltIn, kTestPlugins / "refused", kTestPlugins / "missing"});
  EXPECT_EQ(set.decoders().size(), 3u);
  std::map<std::string, std::string> reasons;
  for (const auto& refused : set.refused())
    reasons[refused.file.filename().string()] = refused.reason;
  EXPECT_EQ(
      reasons["test_wrong_abi.so"],
      fmt::format("it was built for decoder ABI version {}, but this poet speaks versions 1 to {}",
                  POET_DECODER_ABI_VERSION + 98, POET_DECODER_ABI_VERSION));
  EXPECT_EQ(reasons["test_no_entry.so"],
            "exports no 'poet_decoder_entry': it is not a poet decoder");
  EXPECT_EQ(reasons["test_init_fails.so"],
            "decoder 'rhymer' could not start: needs a rhyme dictionary that is not installed");
  EXPECT_EQ(reasons["missing"], "no such folder");
}

TEST(DecoderSet, RefusesASecondDecoderOfTheSameName) {
  const DecoderSet set({kBuiltIn, kBuiltIn});
  EXPECT_EQ(set.decoders().size(), 3u);
  ASSERT_EQ(set.refused().size(), 3u);
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
  EXPECT_THROW(temperature.parse("9"), Error);
  try {
    temperature.parse("warm");
    FAIL();
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "temperature must be a number from 0.05 to 5, not 'warm'");
  }
  EXPECT_THROW(decoder("temperature").param("top-k")->parse("2.5"), Error);
  const DecoderSet misbehaving({kTestPlugins / "misbehave_v1"});
  const DecoderParam& mode = *misbehaving.find("misbehave")->param("mode");
  EXPECT_EQ(mode.format(mode.parse("forbidden")), "forbidden");
  EXPECT_EQ(mode.accepted().rfind("fail, forbidden, ", 0), 0u) << mode.accepted();
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
INSTANTIATE_TEST_SUITE_P(BuiltIn, EachDecoder, testing::Values("greedy", "temperature", "beam"));

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

// An acrostic of the form's lines, its heads from the model's characters.
PoemRequest acrostic(Form form, std::size_t skip = 3) {
  PoemRequest request;
  request.heads = characters(static_cast<std::size_t>(form_shape(form).lines), skip);
  request.form = FormRule::exact(form);
  return request;
}

void expect_heads(const WrittenPoem& poem, const std::u32string& heads) {
  ASSERT_GE(poem.lines.size(), heads.size()) << poem.text;
  for (std::size_t i = 0; i < heads.size(); ++i)
    EXPECT_EQ(decode_utf8(poem.lines[i]).front(), heads[i]) << poem.text;
}

TEST_P(EachDecoder, WritesAnAcrosticInEveryFormThoughItKnowsNothingOfHeads) {
  for (const Form form : kForms) {
    SCOPED_TRACE(form_name(form));
    const PoemRequest request = acrostic(form);
    std::string streamed;
    PoemRequest streaming = request;
    streaming.on_text = [&](const std::string& piece) { streamed += piece; };
    const auto poem = write(decoder(GetParam()), streaming);
    expect_exact(poem, form);
    expect_heads(poem, request.heads);
    if (decoder(GetParam()).streams()) {
      EXPECT_EQ(streamed, poem.text);
    }
  }
}

TEST(Acrostic, APluginBuiltBeforeAbi3StepsTheHeadsItselfAndIsHeldToThem) {
  const DecoderSet old({kTestPlugins / "abi"});
  const auto stepper = old.find("old-acrostic");
  ASSERT_TRUE(stepper);
  EXPECT_TRUE(stepper->steps_heads());
  for (const Form form : kForms) {
    const PoemRequest request = acrostic(form);
    const auto poem = write(*stepper, request);
    expect_exact(poem, form);
    expect_heads(poem, request.heads);
  }
}

TEST(Acrostic, TheRepeatPenaltyKeepsEarlierCharactersAwayFromGreedyAndBeamLines) {
  for (const char* name : {"greedy", "beam"}) {
    const Decoder& d = decoder(name);
    std::size_t plain = 0, penalised = 0;
    for (const Form form : kForms) {
      SCOPED_TRACE(fmt::format("{} {}", name, form_name(form)));
      PoemRequest request = acrostic(form);
      request.params = with_param(d, "repeat-penalty", 0);
      plain += reused_characters(write(d, request));
      request.params = with_param(d, "repeat-penalty", 20);
      const auto poem = write(d, request);
      expect_exact(poem, form);
      // Only a head, which the poem must take, may be a character the poem already had.
      EXPECT_LE(reused_characters(poem), request.heads.size()) << poem.text;
      penalised += reused_characters(poem);
    }
    EXPECT_GT(plain, penalised) << name << " never used a character twice";
  }
}

TEST(Acrostic, WithoutAFormWritesOneLinePerHead) {
  PoemRequest request;
  request.heads = characters(3, 5);
  const auto poem = write(decoder("temperature"), request);
  ASSERT_EQ(poem.lines.size(), 3u) << poem.text;
  EXPECT_EQ(decode_utf8(poem.lines.back()).back(), U'。');
}

TEST(Acrostic, HeadsThatDoNotFitTheFormAreRefused) {
  PoemRequest request;
  request.heads = characters(4);
  request.form = FormRule::exact(Form::wulv);
  try {
    write(decoder("temperature"), request);
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    EXPECT_STREQ(
        error.what(),
        "五律 (8 lines, 5 characters a line) has 8 lines, but 4 head characters were given");
  }
}

TEST(WritePoem, RefusesABeginningThatBreaksTheForm) {
  EXPECT_THROW(write(decoder("greedy"), beginning(characters(6), FormRule::exact(Form::wujue))),
               Error);
  EXPECT_THROW(write(decoder("greedy"), beginning(U"\U00020000")),
               Error);  // not in the vocabulary
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
  for (const char* name : {"greedy", "temperature", "beam"}) {
    SCOPED_TRACE(name);
    PoemRequest request;
    request.heads = heads;
    request.form = FormRule::exact(Form::wujue);
    request.metre = metre(RhymeMode::automatic, ToneMode::strict);
    const auto poem = write(decoder(name), request);
    expect_exact(poem, Form::wujue);
    expect_heads(poem, heads);
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
  } catch (const Error& error) {
    return error.kind() == ErrorKind::stopped ? "cancelled" : error.what();
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

// ---- Batches ------------------------------------------------------------------------------------

// The requests written as one batch, request i on a generation of seed seeds[i].
std::vector<WrittenPoem> write_batch(const Decoder& d, const std::vector<PoemRequest>& requests,
                                     const std::vector<std::uint64_t>& seeds) {
  std::vector<std::unique_ptr<Generation>> owned;
  std::vector<Generation*> generations;
  for (const auto seed : seeds) {
    owned.push_back(engine().begin_generation(seed));
    generations.push_back(owned.back().get());
  }
  return write_poems(generations, d, requests);
}

// Poems of every form, beginnings and acrostics, under the metre rule: what a batch may mix.
std::vector<PoemRequest> mixed_requests() {
  std::vector<PoemRequest> requests;
  for (const Form form : kForms) {
    auto request = beginning(characters(1), FormRule::exact(form));
    request.metre = metre();
    requests.push_back(request);
    requests.push_back(acrostic(form));
  }
  return requests;
}

TEST_P(EachDecoder, EachPoemOfABatchIsThePoemItsSeedWritesAlone) {
  EXPECT_TRUE(decoder(GetParam()).batches());
  const auto requests = mixed_requests();
  std::vector<std::uint64_t> seeds;
  for (std::size_t i = 0; i < requests.size(); ++i) seeds.push_back(40 + i);
  const auto batch = write_batch(decoder(GetParam()), requests, seeds);
  ASSERT_EQ(batch.size(), requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto alone = write(decoder(GetParam()), requests[i], seeds[i]);
    EXPECT_EQ(batch[i].text, alone.text) << "poem " << i;
    EXPECT_NEAR(batch[i].log_prob, alone.log_prob, 1e-3) << "poem " << i;
    EXPECT_EQ(batch[i].rhyme_group, alone.rhyme_group) << "poem " << i;
  }
}

TEST(WritePoems, APluginThatDoesNotSayItBatchesWritesTheSamePoemsOneAtATime) {
  const DecoderSet old({kTestPlugins / "abi"});
  const auto greedy = old.find("old-greedy");
  ASSERT_TRUE(greedy);
  EXPECT_FALSE(greedy->batches());
  const std::vector<PoemRequest> requests(3, beginning(characters(1), FormRule::exact(Form::wulv)));
  const auto batch = write_batch(*greedy, requests, {1, 2, 3});
  for (std::size_t i = 0; i < requests.size(); ++i)
    EXPECT_EQ(batch[i].text, write(*greedy, requests[i], i + 1).text);
}

TEST(WritePoems, CtrlCStopsEveryPoemOfTheBatch) {
  std::atomic<bool> cancel{true};
  auto requests = mixed_requests();
  for (auto& request : requests) request.cancel = &cancel;
  try {
    write_batch(decoder("temperature"), requests, std::vector<std::uint64_t>(requests.size(), 1));
    FAIL() << "a batch wrote its poems after Ctrl-C";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::stopped);
  }
}

TEST(WritePoems, APoemThatCannotBeWrittenFailsTheBatchOnceTheOthersAreDone) {
  auto requests = mixed_requests();
  requests[3].heads = characters(3);  // three heads for a 七绝's four lines
  try {
    write_batch(decoder("temperature"), requests, std::vector<std::uint64_t>(requests.size(), 1));
    FAIL() << "a batch with a poem that cannot be written succeeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    EXPECT_NE(std::string(error.what()).find("head characters"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace poet
