/* A decoder that breaks the rules on purpose, one way per value of its `mode` parameter, so the
 * tests can check that poet reports each as an error and carries on. Built twice, as versions
 * "1" and "2" (POET_TEST_VERSION), to test reloading a rebuilt plugin. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>

enum { FAIL, FORBIDDEN, PAST_VOCABULARY, UNFINISHED, BAD_STATE, WAIT_FOR_CANCEL };

static const poet_param_info params[] = {
    {"mode", POET_PARAM_CHOICE, FAIL, 0, 0, "fail|forbidden|past-vocabulary|unfinished|bad-state|wait-for-cancel",
     "the rule to break"},
};

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  poet_token token = 0;
  *result = request->start;
  switch ((int)request->params[0]) {
    case FAIL:
      host->fail(host->context, "the muse is silent today");
      return POET_ERROR;
    case FORBIDDEN: /* the end of the poem before it has begun */
      token = host->end_token;
      return host->step(host->context, &request->start, &token, 1);
    case PAST_VOCABULARY:
      token = host->vocabulary_size;
      return host->step(host->context, &request->start, &token, 1);
    case UNFINISHED:
      return POET_OK;
    case BAD_STATE:
      *result = 12345;
      return POET_OK;
    default: /* steps until the host says stop */
      for (;;) {
        const int32_t status = host->step(host->context, &request->start, &token, 0);
        if (status != POET_OK) return status;
      }
  }
}

static const poet_decoder misbehave = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "misbehave",
    .version = POET_TEST_VERSION,
    .help = "breaks the rules, for tests",
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &misbehave; }
