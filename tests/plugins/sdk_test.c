/* The SDK helpers of poet/decoder_sdk.h against a fake host, built as a plugin author's strict C
 * compiler would (-std=c99 -pedantic-errors): the sampling filters keep exactly the tokens they
 * should, the draws of poet_sdk_sample stay what they were, the repetition penalty's arithmetic,
 * what counts as a repeat, a chooser's POET_SDK_CANCEL stopping poet_sdk_write, sampling among
 * what a decoder's own rule keeps (and falling back), and the lines of a poem. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>
#include <stdio.h>

static int failures;

#define CHECK(condition)            \
  ((condition) ? (void)0            \
               : (void)(++failures, \
                        fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #condition)))

/* The fake host's vocabulary: five characters, two marks and the end. */
enum { VOCABULARY = 8, COMMA = 5, FULL_STOP = 6, END = 7, LINE_LENGTH = 5 };

/* Its one state: a one-line poem of LINE_LENGTH characters, a full stop and the end. */
typedef struct fake {
  const double* draws; /* what random() returns, in turn, for fixed_random */
  size_t draw_count, next_draw;
  poet_token poem[LINE_LENGTH + 2];
  size_t length;
  int shown;
  float row[VOCABULARY];
  const char* failure; /* what fail() was last told */
} fake;

static double fixed_random(void* context) {
  fake* f = (fake*)context;
  return f->draws[f->next_draw++ % f->draw_count];
}

/* random() for sweep(): SWEEP evenly spaced numbers across [0, 1), one after another. */
enum { SWEEP = 2000 };
static double sweeping_random(void* context) {
  fake* f = (fake*)context;
  return ((double)(f->next_draw++ % SWEEP) + 0.5) / SWEEP;
}

static const char* token_text(void* context, poet_token token) {
  static const char* const texts[VOCABULARY] = {
      "\xe6\x9c\x88", "\xe5\xb1\xb1", "\xe6\xb0\xb4", "\xe9\xa3\x8e",
      "\xe8\x8a\xb1", "\xef\xbc\x8c", "\xe3\x80\x82", NULL};
  (void)context;
  return token >= 0 && token < VOCABULARY ? texts[token] : NULL;
}

static void position(void* context, poet_state state, poet_position* where) {
  const fake* f = (const fake*)context;
  (void)state;
  where->line = f->length > LINE_LENGTH ? 1 : 0;
  where->column = f->length > LINE_LENGTH ? 0 : (int32_t)f->length;
  where->finished = f->length == LINE_LENGTH + 2;
}

/* The form's row: characters (the likeliest first) until the line is full, then its mark, then
 * the end. */
static const float* log_probs(void* context, poet_state state) {
  fake* f = (fake*)context;
  int32_t i;
  (void)state;
  for (i = 0; i < VOCABULARY; ++i) f->row[i] = -INFINITY;
  if (f->length < LINE_LENGTH) {
    for (i = 0; i < COMMA; ++i) f->row[i] = -1.0f - (float)i;
  } else {
    f->row[f->length == LINE_LENGTH ? FULL_STOP : END] = 0;
  }
  return f->row;
}

static int32_t step(void* context, const poet_state* states, const poet_token* tokens,
                    size_t count) {
  fake* f = (fake*)context;
  (void)states;
  if (count != 1 || tokens[0] < 0 || tokens[0] >= VOCABULARY ||
      !(log_probs(context, 0)[tokens[0]] > -INFINITY)) {
    return POET_ERROR;
  }
  f->poem[f->length++] = tokens[0];
  return POET_OK;
}

static size_t text(void* context, poet_state state, poet_token* tokens, size_t capacity) {
  const fake* f = (const fake*)context;
  const size_t length = f->length == LINE_LENGTH + 2 ? f->length - 1 : f->length; /* no end */
  size_t i;
  (void)state;
  for (i = 0; i < length && i < capacity; ++i) tokens[i] = f->poem[i];
  return length;
}

static int32_t show(void* context, poet_state state) {
  (void)state;
  ++((fake*)context)->shown;
  return POET_OK;
}

static void fail(void* context, const char* message) { ((fake*)context)->failure = message; }

static poet_host fake_host(fake* f) {
  poet_host host;
  memset(f, 0, sizeof *f);
  memset(&host, 0, sizeof host);
  host.context = f;
  host.vocabulary_size = VOCABULARY;
  host.end_token = END;
  host.log_probs = log_probs;
  host.position = position;
  host.text = text;
  host.token_text = token_text;
  host.step = step;
  host.random = sweeping_random;
  host.show = show;
  host.fail = fail;
  return host;
}

/* How often each token is drawn from `row` with `sampling` over SWEEP evenly spread uniform
 * numbers: a token the filters drop is never drawn, a kept one in proportion to its probability. */
static void sweep(const poet_host* host, const float* row, const poet_sdk_sampling* sampling,
                  int counts[VOCABULARY]) {
  int i;
  ((fake*)host->context)->next_draw = 0;
  memset(counts, 0, VOCABULARY * sizeof *counts);
  for (i = 0; i < SWEEP; ++i) {
    const poet_token token = poet_sdk_sample_with(host, row, sampling);
    CHECK(token >= 0 && token < VOCABULARY);
    if (token >= 0 && token < VOCABULARY) ++counts[token];
  }
}

/* Checks that the sweep kept exactly the tokens in `kept` (a bit per token), each as often as its
 * probability among them says (within one draw of it). */
static void check_kept(const int counts[VOCABULARY], const double probabilities[VOCABULARY],
                       unsigned kept, int line) {
  double mass = 0;
  int i;
  for (i = 0; i < VOCABULARY; ++i) {
    if ((kept >> i) & 1u) mass += probabilities[i];
  }
  for (i = 0; i < VOCABULARY; ++i) {
    const double expected = (kept >> i) & 1u ? probabilities[i] / mass * SWEEP : 0;
    if (fabs(counts[i] - expected) > 1) {
      ++failures;
      fprintf(stderr, "line %d: token %d drawn %d times of %d, expected %.1f\n", line, i, counts[i],
              SWEEP, expected);
    }
  }
}

/* A made-up row: the likeliest token is far likelier than the rest (so atypical: the entropy
 * is 1.748 nats, its surprisal 1.079), and token 7 is forbidden. */
static const double probabilities[VOCABULARY] = {0.34, 0.16, 0.15, 0.14, 0.12, 0.06, 0.03, 0};

static void test_min_p_and_typical_p(const poet_host* host) {
  float row[VOCABULARY];
  double sharpened[VOCABULARY], mass = 0;
  int counts[VOCABULARY], i;
  poet_sdk_sampling sampling = poet_sdk_sampling_defaults();
  for (i = 0; i < VOCABULARY; ++i) row[i] = (float)log(probabilities[i]);

  sweep(host, row, &sampling, counts);
  check_kept(counts, probabilities, 0x7Fu, __LINE__); /* every allowed token */

  /* min-p 0.38: at least 0.38 * 0.34 = 0.129, so 0.14 is in and 0.12 out. */
  sampling.min_p = 0.38;
  sweep(host, row, &sampling, counts);
  check_kept(counts, probabilities, 0x0Fu, __LINE__);

  /* With temperature 0.5 the probabilities are squared: 0.16^2 / 0.34^2 = 0.221 and
   * 0.15^2 / 0.34^2 = 0.195, so min-p 0.2 keeps two. */
  sampling.temperature = 0.5;
  sampling.min_p = 0.2;
  for (i = 0; i < VOCABULARY; ++i) mass += probabilities[i] * probabilities[i];
  for (i = 0; i < VOCABULARY; ++i) sharpened[i] = probabilities[i] * probabilities[i] / mass;
  sweep(host, row, &sampling, counts);
  check_kept(counts, sharpened, 0x03u, __LINE__);

  /* Top-k first: min-p 0.38 would keep four, top-k 3 keeps three. */
  sampling = poet_sdk_sampling_defaults();
  sampling.top_k = 3;
  sampling.min_p = 0.38;
  sweep(host, row, &sampling, counts);
  check_kept(counts, probabilities, 0x07u, __LINE__);

  /* Typical-p: by distance of the surprisal from the entropy, the tokens go 1 (0.084), 2, 3, 4
   * (0.372), 0 (0.670), 5, 6, holding 0.16, 0.31, 0.45, 0.57, 0.91, 0.97, 1. */
  sampling = poet_sdk_sampling_defaults();
  sampling.typical_p = 0.25;
  sweep(host, row, &sampling, counts);
  check_kept(counts, probabilities, 0x06u, __LINE__);
  sampling.typical_p = 0.5; /* not the likeliest token: it is not typical */
  sweep(host, row, &sampling, counts);
  check_kept(counts, probabilities, 0x1Eu, __LINE__);
  sampling.typical_p = 0.95;
  sweep(host, row, &sampling, counts);
  check_kept(counts, probabilities, 0x3Fu, __LINE__);
  sampling.typical_p = 0; /* still one token */
  sweep(host, row, &sampling, counts);
  check_kept(counts, probabilities, 0x02u, __LINE__);
}

/* poet_sdk_sample draws what it drew before poet_sdk_sample_with existed, for a fixed sequence of
 * uniform numbers: these tokens are the old implementation's. */
static void test_sample_draws_unchanged(const poet_host* host) {
  static const double draws[] = {0.03, 0.27, 0.5, 0.71, 0.94, 0.999, 0.0, 0.62};
  static const float row[VOCABULARY] = {-1.2f, -0.9f, -2.5f,  -INFINITY,
                                        -1.7f, -3.1f, -0.95f, -4.0f};
  static const struct {
    double temperature;
    int32_t top_k;
    double top_p;
    poet_token expected[8];
  } cases[] = {
      {1, 0, 1, {1, 1, 6, 0, 2, 7, 1, 0}},   {0.7, 0, 1, {1, 1, 6, 0, 4, 7, 1, 6}},
      {1.8, 0, 1, {1, 6, 0, 4, 5, 7, 1, 0}}, {1, 3, 1, {1, 1, 6, 6, 0, 0, 1, 6}},
      {1, 0, 0.6, {1, 1, 6, 6, 0, 0, 1, 6}}, {0.8, 4, 0.75, {1, 1, 6, 6, 0, 0, 1, 6}},
      {0, 0, 1, {1, 1, 1, 1, 1, 1, 1, 1}},
  };
  poet_host fixed = *host;
  fake* f = (fake*)host->context;
  size_t c, i;
  fixed.random = fixed_random;
  f->draws = draws;
  f->draw_count = sizeof draws / sizeof draws[0];
  for (c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    f->next_draw = 0;
    for (i = 0; i < 8; ++i) {
      const poet_token token =
          poet_sdk_sample(&fixed, row, cases[c].temperature, cases[c].top_k, cases[c].top_p);
      if (token != cases[c].expected[i]) {
        ++failures;
        fprintf(stderr, "case %u, draw %u: token %d, it used to be %d\n", (unsigned)c, (unsigned)i,
                token, cases[c].expected[i]);
      }
    }
  }
}

static int heavier_first(const void* a, const void* b) {
  return poet_sdk_heavier((const poet_sdk_candidate*)a, (const poet_sdk_candidate*)b)   ? -1
         : poet_sdk_heavier((const poet_sdk_candidate*)b, (const poet_sdk_candidate*)a) ? 1
                                                                                        : 0;
}

/* The sampler's own sort orders as qsort does, on a vocabulary's worth of weights with many ties
 * (sorted, reversed and random), so a sample draws the token it always drew. */
static void test_sort_orders_as_qsort(void) {
  enum { N = 5000 };
  static poet_sdk_candidate mine[N], reference[N];
  unsigned state = 12345u;
  int shape, i;
  for (shape = 0; shape < 3; ++shape) {
    for (i = 0; i < N; ++i) {
      state = state * 1103515245u + 12345u;
      mine[i].token = i;
      mine[i].weight = shape == 0 ? -(double)(state >> 16 & 255) / 8 : shape == 1 ? -i / 7 : i / 7;
    }
    memcpy(reference, mine, sizeof mine);
    poet_sdk_sort_candidates(mine, N);
    qsort(reference, N, sizeof reference[0], heavier_first);
    for (i = 0; i < N; ++i) {
      if (mine[i].token != reference[i].token) {
        ++failures;
        fprintf(stderr, "shape %d: place %d holds token %d, qsort puts %d there\n", shape, i,
                mine[i].token, reference[i].token);
        break;
      }
    }
  }
}

static void test_repetition_penalty(const poet_host* host) {
  /* 月 twice, 水 once, a comma; the end token is no character of the poem's text. */
  static const poet_token poem[] = {0, 2, 0, COMMA};
  float row[VOCABULARY] = {-1, -2, -3, -4, -5, -6, -7, -INFINITY};
  poet_sdk_repetition_penalty(host, row, poem, sizeof poem / sizeof poem[0], 1.5);
  CHECK(row[0] == -4.0f); /* -1 - 2 * 1.5 */
  CHECK(row[1] == -2.0f);
  CHECK(row[2] == -4.5f); /* -3 - 1.5 */
  CHECK(row[3] == -4.0f && row[4] == -5.0f);
  CHECK(row[COMMA] == -6.0f); /* marks are never penalised */
  CHECK(row[FULL_STOP] == -7.0f && row[END] == -INFINITY);
}

/* poet_sdk_penalise: the state's poem read back, the penalty applied to a copy of its row. */
static void test_penalise(void) {
  fake f;
  poet_host host = fake_host(&f);
  poet_sdk_penalised p = {0};
  const float* row;
  const float* lowered;
  f.poem[0] = 0; /* 月水月 */
  f.poem[1] = 2;
  f.poem[2] = 0;
  f.length = 3;
  row = host.log_probs(host.context, 0);
  lowered = poet_sdk_penalise(&host, 0, row, 1.5, &p);
  CHECK(lowered != NULL && lowered != row && p.length == 3 && p.tokens[2] == 0);
  CHECK(lowered != NULL && lowered[0] == -4.0f && lowered[1] == -2.0f && lowered[2] == -4.5f);
  CHECK(row[0] == -1.0f); /* the host's row stays as it was */
  CHECK(poet_sdk_penalise(&host, 0, row, 0, &p) == row && p.length == 3); /* no penalty, no copy */
  poet_sdk_penalised_free(&p);
  CHECK(p.tokens == NULL && p.row == NULL && p.capacity == 0);
}

/* Repeats as poet_sdk_repeats sees them, and poet_sdk_argmax_unrepeated turning away from them. */
static void test_repeats(const poet_host* host) {
  /* 月山水风花，月山水风 and then: */
  static const poet_token poem[] = {0, 1, 2, 3, 4, COMMA, 0, 1, 2, 3};
  /* 月山水风花，月山水风花 and then: */
  static const poet_token copied[] = {0, 1, 2, 3, 4, COMMA, 0, 1, 2, 3, 4};
  float row[VOCABULARY] = {-1, -3, -4, -5, -2, -INFINITY, -INFINITY, -INFINITY};
  CHECK(poet_sdk_repeats(host, poem, 10, 4, 0, 1));  /* the copy's last character */
  CHECK(!poet_sdk_repeats(host, poem, 10, 4, 0, 0)); /* allowed */
  CHECK(!poet_sdk_repeats(host, poem, 10, 0, 0, 1));
  CHECK(!poet_sdk_repeats(host, poem, 10, COMMA, 0, 1));  /* 月山水风 is no earlier line */
  CHECK(poet_sdk_repeats(host, copied, 11, COMMA, 0, 1)); /* closing a copy already written */
  CHECK(!poet_sdk_repeats(host, copied, 11, END, 0, 1));
  CHECK(poet_sdk_repeats(host, poem, 7, 1, 2, 0)); /* 月山 again */
  CHECK(!poet_sdk_repeats(host, poem, 7, 2, 2, 0));
  CHECK(!poet_sdk_repeats(host, poem, 5, COMMA, 2, 0)); /* marks complete no n-gram */

  CHECK(poet_sdk_argmax_unrepeated(host, row, poem, 7, 0, 1) == 0); /* nothing repeats */
  CHECK(poet_sdk_argmax_unrepeated(host, row, poem, 10, 0, 1) == 0);
  row[4] = 0; /* 花 now likeliest, and it would copy the first line */
  CHECK(poet_sdk_argmax_unrepeated(host, row, poem, 10, 0, 1) == 0);
  CHECK(poet_sdk_argmax_unrepeated(host, row, poem, 10, 0, 0) == 4);
  row[0] = row[1] = row[2] = row[3] = -INFINITY; /* 花 alone allowed: taken all the same */
  CHECK(poet_sdk_argmax_unrepeated(host, row, poem, 10, 0, 1) == 4);
  row[4] = -INFINITY;
  CHECK(poet_sdk_argmax_unrepeated(host, row, poem, 10, 0, 1) == -1);
}

/* Choosers for poet_sdk_write: the likeliest token; the same but cancelling at the third
 * character; an error at once. */
static poet_token likeliest(const poet_host* host, poet_state state, const float* row, void* user) {
  (void)state;
  (void)user;
  return poet_sdk_argmax(row, host->vocabulary_size);
}

static poet_token cancels_third(const poet_host* host, poet_state state, const float* row,
                                void* user) {
  return ((fake*)host->context)->length == 2 ? POET_SDK_CANCEL : likeliest(host, state, row, user);
}

static poet_token fails(const poet_host* host, poet_state state, const float* row, void* user) {
  (void)host;
  (void)state;
  (void)row;
  (void)user;
  return -1;
}

static void test_write(void) {
  fake f;
  poet_host host = fake_host(&f);
  poet_token* tokens = NULL;
  size_t capacity = 0, length;

  CHECK(poet_sdk_write(&host, 0, likeliest, NULL, 0) == POET_OK);
  CHECK(f.length == LINE_LENGTH + 2 && f.shown == LINE_LENGTH + 2);
  CHECK(f.poem[0] == 0 && f.poem[LINE_LENGTH] == FULL_STOP && f.poem[LINE_LENGTH + 1] == END);
  length = poet_sdk_text(&host, 0, &tokens, &capacity); /* grows from nothing */
  CHECK(length == LINE_LENGTH + 1 && capacity >= length && tokens != NULL);
  CHECK(tokens != NULL && tokens[0] == 0 && tokens[LINE_LENGTH] == FULL_STOP);
  free(tokens);

  host = fake_host(&f);
  CHECK(poet_sdk_write(&host, 0, likeliest, NULL, 1) == POET_OK); /* to the line's end */
  CHECK(f.length == LINE_LENGTH + 1);

  host = fake_host(&f);
  CHECK(poet_sdk_write(&host, 0, cancels_third, NULL, 0) == POET_CANCELLED);
  CHECK(f.length == 2 && f.shown == 2);

  host = fake_host(&f);
  CHECK(poet_sdk_write(&host, 0, fails, NULL, 0) == POET_ERROR);
  CHECK(f.length == 0);
}

static int even(const poet_host* host, poet_state state, poet_token token, void* user) {
  (void)host, (void)state, (void)user;
  return token % 2 == 0;
}

static int none(const poet_host* host, poet_state state, poet_token token, void* user) {
  (void)host, (void)state, (void)token, (void)user;
  return 0;
}

static void test_sample_kept(void) {
  fake f;
  const poet_host host = fake_host(&f);
  const float* row = log_probs(&f, 0); /* tokens 0-4 allowed */
  float masked[VOCABULARY];
  int counts[VOCABULARY] = {0}, fell_back = -1, i;
  const poet_sdk_sampling sampling = poet_sdk_sampling_defaults();
  const float nothing[VOCABULARY] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY,
                                     -INFINITY, -INFINITY, -INFINITY, -INFINITY};

  CHECK(poet_sdk_mask(&host, 0, row, even, NULL, masked) == 3);
  CHECK(masked[0] == row[0] && masked[1] == -INFINITY && masked[4] == row[4]);
  CHECK(masked[6] == -INFINITY); /* not allowed by the host: never asked, never kept */
  for (i = 0; i < SWEEP; ++i) {
    const poet_token token = poet_sdk_sample_kept(&host, 0, row, &sampling, even, NULL, &fell_back);
    CHECK(token >= 0 && token < COMMA && token % 2 == 0 && fell_back == 0);
    if (token >= 0 && token < VOCABULARY) ++counts[token];
  }
  CHECK(counts[0] > counts[2] && counts[2] > counts[4] && counts[4] > 0);
  memset(counts, 0, sizeof counts);
  for (i = 0; i < SWEEP; ++i) { /* keeps nothing: every token the host allows, and says so */
    const poet_token token = poet_sdk_sample_kept(&host, 0, row, &sampling, none, NULL, &fell_back);
    CHECK(token >= 0 && token < COMMA && fell_back == 1);
    if (token >= 0 && token < VOCABULARY) ++counts[token];
  }
  CHECK(counts[1] > 0 && counts[3] > 0);
  CHECK(f.failure == NULL);
  CHECK(poet_sdk_sample_kept(&host, 0, nothing, &sampling, even, NULL, NULL) == -1);
  CHECK(f.failure != NULL && strcmp(f.failure, "no character can come next") == 0);
}

static void test_line(void) {
  fake f;
  const poet_host host = fake_host(&f);
  const poet_token poem[] = {0, 1, 2, 3, 4, COMMA, 4, 3, FULL_STOP, 2};
  size_t begin = 99;
  CHECK(poet_sdk_line(&host, poem, 10, 0, &begin) == 5 && begin == 0);
  CHECK(poet_sdk_line(&host, poem, 10, 1, &begin) == 2 && begin == 6);
  CHECK(poet_sdk_line(&host, poem, 10, 2, &begin) == 1 && begin == 9); /* being written */
  CHECK(poet_sdk_line(&host, poem, 10, 3, &begin) == 0 && begin == 10);
  CHECK(poet_sdk_line(&host, poem, 9, 2, &begin) == 0 && begin == 9); /* not begun */
}

int main(void) {
  fake f;
  const poet_host host = fake_host(&f);
  test_min_p_and_typical_p(&host);
  test_sample_draws_unchanged(&host);
  test_sort_orders_as_qsort();
  test_repetition_penalty(&host);
  test_penalise();
  test_repeats(&host);
  test_write();
  test_sample_kept();
  test_line();
  if (failures > 0) fprintf(stderr, "%d checks failed\n", failures);
  return failures == 0 ? 0 : 1;
}
