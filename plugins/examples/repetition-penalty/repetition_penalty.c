/* repetition-penalty: sampling, with every character already in the poem made less likely the
 * more often it appears, and with min-p to keep to plausible characters. A short example of a
 * decoder plugin written outside poet's tree against poet/decoder.h and its helpers in
 * poet/decoder_sdk.h. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>
#include <stdlib.h>
#include <string.h>

enum { TEMPERATURE, MIN_P, PENALTY };

static const poet_param_info params[] = {
    {"temperature", POET_PARAM_REAL, 0.8, 0.05, 5, NULL, "below 1 keeps to likely characters"},
    {"min-p", POET_PARAM_REAL, 0.05, 0, 1, NULL,
     "draw only characters at least this times as likely as the likeliest"},
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
  const size_t length = poet_sdk_text(host, state, &s->text, &s->capacity);
  poet_sdk_sampling sampling = poet_sdk_sampling_defaults();
  poet_token token;
  if (length == (size_t)-1) {
    host->fail(host->context, "out of memory");
    return -1;
  }
  memcpy(s->adjusted, log_probs, (size_t)host->vocabulary_size * sizeof *s->adjusted);
  poet_sdk_repetition_penalty(host, s->adjusted, s->text, length, s->params[PENALTY]);
  sampling.temperature = s->params[TEMPERATURE];
  sampling.min_p = s->params[MIN_P];
  token = poet_sdk_sample_with(host, s->adjusted, &sampling);
  if (token < 0) host->fail(host->context, "no character can come next");
  return token;
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  scratch s;
  int32_t status;
  s.params = request->params;
  s.capacity = 0;
  s.text = NULL; /* poet_sdk_text allocates it */
  s.adjusted = (float*)malloc((size_t)host->vocabulary_size * sizeof *s.adjusted);
  if (s.adjusted == NULL) {
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
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "repetition-penalty",
    .version = "1.1.0",
    .help = "samples, making characters already used less likely",
    .capabilities = POET_CAP_STREAMS,
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &repetition_penalty; }
