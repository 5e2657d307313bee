/* repetition-penalty: sampling, with every character already in the poem made less likely the
 * more often it appears. A short example of a decoder plugin written outside poet's tree against
 * poet/decoder.h and its helpers in poet/decoder_sdk.h. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>
#include <stdlib.h>
#include <string.h>

enum { TEMPERATURE, PENALTY };

static const poet_param_info params[] = {
    {"temperature", POET_PARAM_REAL, 0.8, 0.05, 5, NULL, "below 1 keeps to likely characters"},
    {"penalty", POET_PARAM_REAL, 1.5, 0, 20, NULL,
     "log-probability taken off a character per earlier use"},
};

/* The scratch space one decode() needs: a copy of the log-probabilities to lower, and the poem. */
typedef struct scratch {
  const double* params;
  float* adjusted;
  poet_token* text;
  size_t capacity;
} scratch;

static poet_token choose(const poet_host* host, poet_state state, const float* log_probs,
                         void* user) {
  scratch* s = (scratch*)user;
  size_t length = host->text(host->context, state, s->text, s->capacity), i;
  poet_token token;
  if (length > s->capacity) { /* a longer poem than ever: grow and ask again */
    poet_token* grown = (poet_token*)realloc(s->text, length * 2 * sizeof *grown);
    if (grown == NULL) {
      host->fail(host->context, "out of memory");
      return -1;
    }
    s->text = grown;
    s->capacity = length * 2;
    length = host->text(host->context, state, s->text, s->capacity);
  }
  memcpy(s->adjusted, log_probs, (size_t)host->vocabulary_size * sizeof *s->adjusted);
  for (i = 0; i < length; ++i) {
    if (!poet_sdk_is_mark(host, s->text[i])) s->adjusted[s->text[i]] -= (float)s->params[PENALTY];
  }
  token = poet_sdk_sample(host, s->adjusted, s->params[TEMPERATURE], 0, 1);
  if (token < 0) host->fail(host->context, "no character can come next");
  return token;
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  scratch s;
  int32_t status;
  s.params = request->params;
  s.capacity = 128;
  s.adjusted = (float*)malloc((size_t)host->vocabulary_size * sizeof *s.adjusted);
  s.text = (poet_token*)malloc(s.capacity * sizeof *s.text);
  if (s.adjusted == NULL || s.text == NULL) {
    host->fail(host->context, "out of memory");
    status = POET_ERROR;
  } else {
    status = poet_sdk_write(host, request->start, choose, &s, 0);
  }
  free(s.adjusted);
  free(s.text);
  *result = request->start;
  return status;
}

static const poet_decoder repetition_penalty = {
    POET_DECODER_ABI_VERSION,
    "repetition-penalty",
    "1.0.0",
    "samples, making characters already used less likely",
    POET_CAP_STREAMS,
    params,
    sizeof params / sizeof params[0],
    NULL,
    decode};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &repetition_penalty; }
