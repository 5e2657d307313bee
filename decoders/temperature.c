/* temperature: samples each character, sharpened or flattened by the temperature and limited to
 * the top-k likeliest and the top-p of the probability. The host's seeded random source makes a
 * seed reproduce its poem. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>

enum { TEMPERATURE, TOP_K, TOP_P };

/* The defaults are those of the quality report in docs/figures.md under which poems written with the metre rule
 * are about as varied as as many real Tang poems (distinct-2): plain nucleus sampling. */
static const poet_param_info params[] = {
    {"temperature", POET_PARAM_REAL, 1, 0.05, 5, NULL,
     "below 1 keeps to likely characters, above 1 ventures"},
    {"top-k", POET_PARAM_INT, 0, 0, 100000, NULL,
     "draw only from the k likeliest characters (0: all)"},
    {"top-p", POET_PARAM_REAL, 0.97, 0.01, 1, NULL,
     "draw only from the likeliest characters holding this much probability"},
};

static poet_token draw(const poet_host* host, poet_state state, const float* log_probs,
                       void* user) {
  const double* values = (const double*)user;
  (void)state;
  return poet_sdk_sample(host, log_probs, values[TEMPERATURE], (int32_t)values[TOP_K],
                         values[TOP_P]);
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  const int32_t status = poet_sdk_write(host, request->start, draw, (void*)request->params, 0);
  *result = request->start;
  return status;
}

static const poet_decoder temperature = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "temperature",
    .version = "1.1.0",
    .help = "samples each character with temperature, top-k and top-p",
    .capabilities = POET_CAP_STREAMS | POET_CAP_BATCHES,
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &temperature; }
