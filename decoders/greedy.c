/* greedy: the likeliest character at every step, turning to the likeliest other one where it
 * would write a line of the poem again. Deterministic: the same beginning and model always give
 * the same poem. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>

enum { NO_REPEAT_LINE };

static const poet_param_info params[] = {
    {"no-repeat-line", POET_PARAM_BOOL, 1, 0, 1, NULL, "never write a line twice"},
};

/* The poem so far, kept between steps so its buffer is allocated once. */
typedef struct greedy_run {
  poet_token* tokens;
  size_t capacity;
} greedy_run;

static poet_token likeliest(const poet_host* host, poet_state state, const float* log_probs,
                            void* user) {
  greedy_run* run = (greedy_run*)user;
  size_t length;
  if (run == NULL) return poet_sdk_argmax(log_probs, host->vocabulary_size);
  length = poet_sdk_text(host, state, &run->tokens, &run->capacity);
  if (length == (size_t)-1) {
    host->fail(host->context, "out of memory");
    return -1;
  }
  return poet_sdk_argmax_unrepeated(host, log_probs, run->tokens, length, 0, 1);
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  greedy_run run = {NULL, 0};
  const int no_repeat_line = request->params[NO_REPEAT_LINE] != 0;
  const int32_t status =
      poet_sdk_write(host, request->start, likeliest, no_repeat_line ? &run : NULL, 0);
  free(run.tokens);
  *result = request->start;
  return status;
}

static const poet_decoder greedy = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "greedy",
    .version = "1.1.0",
    .help = "the likeliest character at every step (deterministic)",
    .capabilities = POET_CAP_STREAMS,
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &greedy; }
