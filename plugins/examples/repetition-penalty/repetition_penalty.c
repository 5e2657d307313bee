/* repetition-penalty: sampling, with every character already in the poem made less likely the
 * more often it appears, and with min-p to keep to plausible characters. A short example of a
 * decoder plugin written outside poet's tree against poet/decoder.h and its helpers in
 * poet/decoder_sdk.h. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>

enum { TEMPERATURE, MIN_P, PENALTY };

static const poet_param_info params[] = {
    {"temperature", POET_PARAM_REAL, 0.8, 0.05, 5, NULL, "below 1 keeps to likely characters"},
    {"min-p", POET_PARAM_REAL, 0.05, 0, 1, NULL,
     "draw only characters at least this times as likely as the likeliest"},
    {"penalty", POET_PARAM_REAL, 1.5, 0, 20, NULL,
     "log-probability taken off a character per earlier use"},
};

/* What choose() works with: the parameters, and the poem and a copy of the row to lower. */
typedef struct scratch {
  const double* params;
  poet_sdk_penalised poem;
} scratch;

static poet_token choose(const poet_host* host, poet_state state, const float* log_probs,
                         void* user) {
  scratch* s = (scratch*)user;
  const float* lowered = poet_sdk_penalise(host, state, log_probs, s->params[PENALTY], &s->poem);
  poet_sdk_sampling sampling = poet_sdk_sampling_defaults();
  if (lowered == NULL) return -1; /* out of memory, told to the host */
  sampling.temperature = s->params[TEMPERATURE];
  sampling.min_p = s->params[MIN_P];
  return poet_sdk_sample_with(host, lowered, &sampling); /* -1 after host->fail() */
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  scratch s = {NULL, {0}};
  int32_t status;
  s.params = request->params;
  status = poet_sdk_write(host, request->start, choose, &s, 0);
  poet_sdk_penalised_free(&s.poem);
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
