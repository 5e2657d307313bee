// Form inputs (`[model] position_inputs`, `metre_inputs`): the form's line, column and characters
// left, and what the metre asks of the next character, fed beside each token, the same in
// training, eval and generation.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "model/checkpoint_file.h"
#include "model/model.h"
#include "model_fixture.h"
#include "poet/engine/error.h"
#include "poet/engine/model/engine.h"
#include "poet/engine/model/positions.h"
#include "poet/engine/plugins/decoders.h"
#include "poet/engine/text/text.h"
#include "poet/engine/training/trainer.h"
#include "poet/engine/writing/writing.h"

namespace poet {
namespace {

namespace fs = std::filesystem;

const fs::path kFixture = fs::path(POET_CORPORA_DIR) / "fixture.tsv";
const fs::path kLexicon = fs::path(POET_CORPORA_DIR) / "metre.tsv";

const MetreLexicon& lexicon() {
  static const MetreLexicon lexicon = MetreLexicon::read(kLexicon);
  return lexicon;
}

TrainRequest request(const std::string& name, bool metre = false) {
  TrainRequest request = test::tiny_train_request(CellType::lstm, name);
  request.model.position_inputs = true;
  request.model.metre_inputs = metre;
  request.model.position_embedding_size = 4;
  request.model.dropout = 0.1;  // so that resuming must also reproduce the dropout masks
  request.metre_lexicon = kLexicon;
  return request;
}

// A model with position inputs (and with metre inputs, the other) for the file, trained 8 steps
// on the fixture corpus, loaded in an engine.
Engine& engine(bool metre = false) {
  // Never destroyed, as a static object would be at exit, with LibTorch's own statics.
  static Engine* engines[2] = {};
  if (!engines[metre]) {
    const std::atomic<bool> never{false};
    const TrainRequest r = request(metre ? "metre_trained" : "positions_trained", metre);
    EXPECT_EQ(train(r, {}, never).step, 8);
    engines[metre] = new Engine(DeviceChoice::cpu);
    engines[metre]->load(r.out);
  }
  return *engines[metre];
}

// The tables a model's inputs come from, made afresh from its vocabulary and the lexicon.
FormTables tables_for(const Vocabulary& vocabulary, bool metre) {
  return {mark_tokens(vocabulary), metre ? token_metre(vocabulary, lexicon()) : std::vector<MetreEntry>{}};
}

std::vector<std::u32string> fixture_texts(std::size_t count) {
  std::vector<std::u32string> texts;
  read_corpus(kFixture, [&](Poem&& poem) {
    if (texts.size() < count) texts.push_back(decode_utf8(poem.text));
  });
  return texts;
}

TEST(PositionInputs, FollowTheLinesOfAPoem) {
  const std::u32string alphabet = U"春风，花开。";
  const Vocabulary vocabulary(std::vector<char32_t>(alphabet.begin(), alphabet.end()));  // tokens 4 5 6 7 8 9
  const FormTables tables{mark_tokens(vocabulary), {}};
  const auto& marks = tables.marks;
  const auto tokens = poem_tokens(vocabulary, U"春风花，开春风。花");
  ASSERT_EQ(tokens.size(), 11u);  // <start> 9 characters and marks <end>
  EXPECT_TRUE(lines_alike(tokens, marks));
  const std::vector<PositionInputs> expected = {
      {0, 0, 0},                         // <start>
      {1, 0, 0}, {2, 0, 0}, {3, 0, 0},   // 春风花: the first line's length is not known yet
      {0, 4, 1},                         // ，: 3 characters to come on line 1
      {1, 3, 1}, {2, 2, 1}, {3, 1, 1},   // 开春风: 1 = the mark comes next
      {0, 4, 2},                         // 。
      {1, 3, 2},                         // 花 (a line left unclosed)
      {1, 3, 2},                         // <end> changes nothing
  };
  EXPECT_EQ(poem_positions(tokens, tables), expected);

  // Lines of different lengths: how many characters are left is never known.
  const auto uneven = poem_tokens(vocabulary, U"春风，花开春。");
  EXPECT_FALSE(lines_alike(uneven, marks));
  for (const auto& p : poem_positions(uneven, tables)) EXPECT_EQ(p.left, 0);
  // Long lines and many lines are capped.
  std::u32string many;
  for (int i = 0; i < 40; ++i) many += U"春春春春春春春春春春春春春春春春春春春春，";
  const auto capped = poem_positions(poem_tokens(vocabulary, many), tables);
  for (const auto& p : capped) {
    EXPECT_LE(p.column, PositionInputs::kCap);
    EXPECT_LT(p.left, PositionInputs::kLefts);
    EXPECT_LE(p.line, PositionInputs::kCap);
  }
  EXPECT_EQ(capped.back().line, PositionInputs::kCap);
  for (const auto& p : capped) EXPECT_EQ(p.tone + p.rhyme, 0);  // no metre tables, no metre
}

// 静夜思, and a vocabulary of just its characters.
const std::u32string kQuietNight = U"床前明月光，疑是地上霜。举头望明月，低头思故乡。";

Vocabulary vocabulary_of(std::u32string_view text) {
  std::vector<char32_t> characters;
  for (const char32_t c : text) {
    if (std::find(characters.begin(), characters.end(), c) == characters.end())
      characters.push_back(c);
  }
  return Vocabulary(std::move(characters));
}

// What the metre inputs say along 静夜思 (平起, its first line rhyming, on 七阳): the tone and
// rhyme asked of the character that comes next, from what has been read so far.
TEST(MetreInputs, AskWhatThePatternsStillOpenAsk) {
  const std::u32string& text = kQuietNight;
  const Vocabulary vocabulary = vocabulary_of(text);
  const FormTables tables{mark_tokens(vocabulary), token_metre(vocabulary, lexicon())};
  const auto tokens = poem_tokens(vocabulary, text);
  const auto inputs = poem_positions(tokens, tables);
  ASSERT_EQ(inputs.size(), text.size() + 2);
  const int either = static_cast<int>(Tone::either), level = static_cast<int>(Tone::level);
  const int yang = 2 + *parse_group(RhymeBook::pingshui, "阳");
  const auto fed_with = [&](std::size_t index) { return inputs[index + 1]; };  // text index
  // <start>: the first place is free in every pattern; nothing rhymes there.
  EXPECT_EQ(inputs[0].tone, either);
  EXPECT_EQ(inputs[0].rhyme, 0);
  // After 床前明月: the first line ends 平 if it rhymes and 仄 if not, in a group not yet known.
  EXPECT_EQ(fed_with(3).tone, either);
  EXPECT_EQ(fed_with(3).rhyme, 1);
  // 光 rhymed (level, 七阳): after 疑是地上 the second line's end asks a level tone in 七阳.
  EXPECT_EQ(fed_with(9).tone, level);
  EXPECT_EQ(fed_with(9).rhyme, yang);
  // The third line does not rhyme; the fourth does, in 七阳 still.
  EXPECT_EQ(fed_with(15).rhyme, 0);
  EXPECT_EQ(fed_with(21).tone, level);
  EXPECT_EQ(fed_with(21).rhyme, yang);
  // After 光 the line may still go on to seven characters: their sixth place, no rhyme. Once the
  // mark has closed it at five, only the 五言 patterns are left, and the next line's first place
  // is free.
  EXPECT_EQ(fed_with(4).tone, level);
  EXPECT_EQ(fed_with(4).rhyme, 0);
  EXPECT_EQ(fed_with(5).tone, either);
  // Lines not alike (the poem cut short): no metre inputs at all.
  const auto uneven = poem_positions(poem_tokens(vocabulary, U"床前明月光，疑是。"), tables);
  for (const auto& p : uneven) EXPECT_EQ(p.tone + p.rhyme, 0);
}

// What training and eval compute for a poem (poem_positions) is what Generation feeds, token by
// token, for the same text under a form whose lines are alike (the automatic and exact forms),
// whether the text is given at the start or stepped in, and through clones.
class FormInputs : public testing::TestWithParam<bool> {};  // with metre inputs or not
INSTANTIATE_TEST_SUITE_P(PositionAndMetre, FormInputs, testing::Values(false, true),
                         [](const auto& info) { return info.param ? "metre" : "position"; });

TEST_P(FormInputs, TrainingAndGenerationFeedTheSame) {
  auto generation = engine(GetParam()).begin_generation(1);
  const FormTables tables = tables_for(generation->vocabulary(), GetParam());
  for (const auto& text : fixture_texts(6)) {
    const auto tokens = poem_tokens(generation->vocabulary(), text);
    const auto expected = poem_positions(tokens, tables);
    generation->set_lines_alike(lines_alike(tokens, tables.marks));
    StateId state = generation->start_tokens({});
    EXPECT_EQ(generation->position(state), expected[0]);
    for (std::size_t i = 1; i + 1 < tokens.size(); ++i) {
      const int token = static_cast<int>(tokens[i]);
      const StateId next = generation->clone(state);
      generation->release(state);
      state = next;
      generation->step(&state, &token, 1);
      ASSERT_EQ(generation->position(state), expected[i]) << encode_utf8(text) << " token " << i;
      const std::vector<int> prefix(tokens.begin() + 1, tokens.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      const StateId started = generation->start_tokens(prefix);
      EXPECT_EQ(generation->position(started), expected[i]);
      // The same input gives the same next-token distribution either way.
      EXPECT_NEAR(generation->log_probs(started)[4], generation->log_probs(state)[4], 1e-4);
      generation->release(started);
    }
    generation->release(state);
  }
  // And the model reads them: after a first line, whether the lines are alike changes what it
  // predicts.
  const auto text = fixture_texts(1).front();
  const auto tokens = generation->tokens(text.substr(0, text.find_first_of(U"，。") + 2));
  generation->set_lines_alike(true);
  const StateId alike = generation->start_tokens(tokens);
  generation->set_lines_alike(false);
  const StateId unlike = generation->start_tokens(tokens);
  EXPECT_FALSE(generation->position(alike) == generation->position(unlike));
  EXPECT_NE(std::vector<float>(generation->log_probs(alike), generation->log_probs(alike) + 8),
            std::vector<float>(generation->log_probs(unlike), generation->log_probs(unlike) + 8));
}

TEST_P(FormInputs, AModelTrainsResumesExactlyAndEvaluatesTheSame) {
  const bool metre = GetParam();
  const std::atomic<bool> never{false};
  TrainRequest straight = request(metre ? "metre_straight" : "positions_straight", metre);
  straight.train.metre_dropout = metre ? 0.5 : 0;  // the blanked poems must come back too
  EXPECT_EQ(train(straight, {}, never).step, 8);

  TrainRequest halves = request(metre ? "metre_halves" : "positions_halves", metre);
  halves.train.metre_dropout = straight.train.metre_dropout;
  std::atomic<bool> stop{false};
  TrainEvents events;
  events.progress = [&](const TrainProgress& p) {
    if (p.step == 4) stop = true;
  };
  EXPECT_EQ(train(halves, events, stop).step, 4);
  halves.resume = halves.out;
  halves.model = {};  // the checkpoint says which inputs the model reads
  halves.train = {};
  halves.metre_lexicon.clear();  // and keeps the metre its tokens had
  EXPECT_EQ(train(halves, {}, never).step, 8);

  const auto a = checkpoint::read(straight.out);
  const auto b = checkpoint::read(halves.out);
  EXPECT_TRUE(a.model.position_inputs);
  EXPECT_EQ(a.model.metre_inputs, metre);
  EXPECT_EQ(a.model.position_embedding_size, 4);
  EXPECT_EQ(a.model, b.model);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  bool has_position_weights = false, has_metre_weights = false;
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].values, b.tensors[i].values) << a.tensors[i].name;
    has_position_weights |= a.tensors[i].name == "column_embedding.weight";
    has_metre_weights |= a.tensors[i].name == "rhyme_embedding.weight";
    if (a.tensors[i].name == "metre_table") {  // 平, 仄, 中 and unknown, and some rhyme groups
      std::set<float> tones, groups;
      for (std::size_t row = 0; row * 3 < a.tensors[i].values.size(); ++row) {
        tones.insert(a.tensors[i].values[row * 3]);
        groups.insert(a.tensors[i].values[row * 3 + 1]);
      }
      EXPECT_EQ(tones.size(), 4u);
      EXPECT_GT(groups.size(), 10u);
    }
  }
  EXPECT_TRUE(has_position_weights);
  EXPECT_EQ(has_metre_weights, metre);
  ASSERT_EQ(a.optimizer_state.size(), b.optimizer_state.size());
  for (std::size_t i = 0; i < a.optimizer_state.size(); ++i) {
    EXPECT_EQ(a.optimizer_state[i].values, b.optimizer_state[i].values) << a.optimizer_state[i].name;
  }

  // eval feeds the inputs training's validation did: its perplexity over the validation split is
  // training's; a metre model's headline figure reads its metre inputs blank, and differs.
  Engine engine(DeviceChoice::cpu);
  const ModelInfo info = engine.load(straight.out);
  EXPECT_TRUE(info.config.position_inputs);
  EXPECT_EQ(info.config.metre_inputs, metre);
  EXPECT_EQ(info.parameters, parameter_count(info.config, info.vocabulary_size));
  ASSERT_TRUE(info.valid_perplexity);
  const Evaluation evaluation = engine.evaluate(kFixture, Split::valid);
  ASSERT_EQ(evaluation.metre_perplexity.has_value(), metre);
  const double as_validated = metre ? *evaluation.metre_perplexity : evaluation.perplexity;
  EXPECT_NEAR(as_validated, *info.valid_perplexity, 1e-3 * *info.valid_perplexity);
  if (metre) {
    EXPECT_GT(std::abs(evaluation.perplexity / as_validated - 1), 1e-4);
  }
  // Ctrl-C stops it between two batches.
  const std::atomic<bool> pressed{true};
  try {
    engine.evaluate(kFixture, Split::valid, &pressed);
    ADD_FAILURE() << "eval went on after Ctrl-C";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::stopped);
  }
}

// A metre model started from a trained position model's weights predicts, before it learns
// anything, exactly what that model did: the metre inputs' weights start at zero.
TEST(MetreInputs, ARunFromAPositionModelStartsWhereThatModelStands) {
  const std::atomic<bool> never{false};
  const auto source = request("positions_trained").out;
  engine(false);  // trains it
  const auto source_history = read_history(source);
  ASSERT_TRUE(source_history.back().valid_perplexity);
  const double source_perplexity = *source_history.back().valid_perplexity;

  TrainRequest from = request("metre_from_positions", true);
  from.start_from = source;
  from.train.metre_dropout = 0.5;
  from.train.learning_rate = from.train.final_learning_rate = 1e-12;  // one step that moves nothing
  from.steps = 1;
  EXPECT_EQ(train(from, {}, never).step, 1);
  const auto history = read_history(from.out);
  ASSERT_FALSE(history.empty());
  ASSERT_TRUE(history.back().valid_perplexity);
  EXPECT_NEAR(*history.back().valid_perplexity, source_perplexity, 1e-5 * source_perplexity);
  const auto started = checkpoint::read(from.out);
  EXPECT_TRUE(started.model.metre_inputs);
  EXPECT_EQ(started.vocabulary, checkpoint::read(source).vocabulary);

  // Weights that do not fit are refused, saying why: a model with fewer inputs than the
  // checkpoint's, or another network.
  const auto refusal = [&](const TrainRequest& r) {
    try {
      train(r, {}, never);
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("trained");
  };
  TrainRequest back = request("positions_from_metre");
  back.start_from = from.out;
  EXPECT_NE(refusal(back).find("needs the same network, reading the same inputs or more"),
            std::string::npos)
      << refusal(back);
  TrainRequest other = request("gru_from_positions", true);
  other.model.cell = CellType::gru;
  other.start_from = source;
  EXPECT_NE(refusal(other).find("more, not GRU, 2 layers"), std::string::npos) << refusal(other);
  // And a run does not both resume and start afresh.
  from.resume = from.out;
  EXPECT_THROW(train(from, {}, never), Error);
}

// make_batch blanks the metre inputs of the poems it is told to, and only those.
TEST(MetreInputs, BlankPoemsReadNothingAsked) {
  const std::u32string& text = kQuietNight;
  const Vocabulary vocabulary = vocabulary_of(text);
  const FormTables tables = tables_for(vocabulary, true);
  const Poems poems(2, poem_tokens(vocabulary, text));
  const Batch batch = make_batch(poems, {0, 1}, &tables, {false, true});
  const auto read = batch.positions.select(0, 0), blank = batch.positions.select(0, 1);
  EXPECT_TRUE(read.narrow(1, 0, 3).equal(blank.narrow(1, 0, 3)));  // the same positions
  EXPECT_GT(read.narrow(1, 3, 2).sum().item<std::int64_t>(), 0);   // the metre, asked
  EXPECT_EQ(blank.narrow(1, 3, 2).abs().sum().item<std::int64_t>(), 0);
  const Batch unblanked = make_batch(poems, {0, 1}, &tables);
  EXPECT_TRUE(unblanked.positions.select(0, 1).equal(read));
}

class PositionDecoder : public testing::TestWithParam<std::tuple<const char*, bool>> {};
INSTANTIATE_TEST_SUITE_P(BuiltIn, PositionDecoder,
                         testing::Combine(testing::Values("greedy", "temperature", "beam"),
                                          testing::Values(false, true)));

TEST_P(PositionDecoder, AModelWithFormInputsWritesWellFormedPoems) {
  static const DecoderSet decoders({fs::path(POET_BUILT_IN_DECODERS)});
  const auto decoder = decoders.find(std::get<0>(GetParam()));
  Engine& engine = poet::engine(std::get<1>(GetParam()));
  ASSERT_TRUE(decoder);
  std::u32string start;
  for (const char32_t c : engine.begin_generation(0)->vocabulary().characters()) {
    if (!is_verse_punctuation(c)) {
      start = c;
      break;
    }
  }
  for (const Form form : {Form::wujue, Form::qilv}) {
    PoemRequest poem_request;
    poem_request.start = start;
    poem_request.form = FormRule::exact(form);
    const auto poem = write_poem(*engine.begin_generation(3), *decoder, poem_request);
    EXPECT_EQ(classify_form(decode_utf8(poem.text)), form) << poem.text;
  }
  PoemRequest automatic;
  automatic.start = start;
  const auto poem = write_poem(*engine.begin_generation(4), *decoder, automatic);
  const Form form = classify_form(decode_utf8(poem.text));
  EXPECT_TRUE(form == Form::wujue || form == Form::qijue || form == Form::wulv || form == Form::qilv)
      << poem.text;
  PoemRequest free;
  free.start = start;
  free.form = FormRule::free(40);
  const auto text = decode_utf8(write_poem(*engine.begin_generation(5), *decoder, free).text);
  ASSERT_FALSE(text.empty());
  EXPECT_LE(text.size(), 40u);
  EXPECT_TRUE(is_verse_punctuation(text.back()));
}

// Checkpoints written before position inputs existed say nothing of them, and read none.
TEST(PositionInputs, OlderCheckpointsLoadWithoutThem) {
  const fs::path file = fs::path(POET_TEST_DATA_DIR) / "formula_v1.ckpt";
  EXPECT_FALSE(checkpoint::read(file).model.position_inputs);
  Engine engine(DeviceChoice::cpu);
  const ModelInfo info = engine.load(file);
  EXPECT_FALSE(info.config.position_inputs);
  auto generation = engine.begin_generation(1);
  const StateId state = generation->start(U"");
  const int token = Vocabulary::kSpecialCount;
  generation->step(&state, &token, 1);
  // A header says so only when the model reads them, so other checkpoints keep their bytes.
  ModelConfig config = test::small_config(CellType::gru);
  EXPECT_FALSE(checkpoint::model_to_json(config).contains("position_inputs"));
  config.position_inputs = true;
  config.position_embedding_size = 7;
  const auto json = checkpoint::model_to_json(config);
  EXPECT_EQ(json.at("position_inputs"), true);
  EXPECT_EQ(checkpoint::model_from_header(json), config);
  auto bad = json;
  bad["position_embedding_size"] = 0;
  EXPECT_THROW(checkpoint::model_from_header(bad), std::exception);
  bad = json;
  bad["position_inputs"] = 1;
  EXPECT_THROW(checkpoint::model_from_header(bad), std::exception);
}

}  // namespace
}  // namespace poet
