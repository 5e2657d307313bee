/* greedy: the likeliest character at every step. Deterministic: the same beginning and model
 * always give the same poem. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>

static poet_token likeliest(const poet_host* host, poet_state state, const float* log_probs,
                            void* user) {
  (void)state;
  (void)user;
  return poet_sdk_argmax(log_probs, host->vocabulary_size);
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  const int32_t status = poet_sdk_write(host, request->start, likeliest, NULL, 0);
  *result = request->start;
  return status;
}

static const poet_decoder greedy = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "greedy",
    .version = "1.0.0",
    .help = "the likeliest character at every step (deterministic)",
    .capabilities = POET_CAP_STREAMS,
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &greedy; }
