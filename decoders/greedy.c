/* greedy: the likeliest character at every step, less a penalty for each earlier use of it in the
 * poem, turning to the likeliest other one where it would write a line of the poem again.
 * Deterministic: the same beginning and model always give the same poem. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>

enum { NO_REPEAT_LINE, REPEAT_PENALTY };

static const poet_param_info params[] = {
    {"no-repeat-line", POET_PARAM_BOOL, 1, 0, 1, NULL, "never write a line twice"},
    {"repeat-penalty", POET_PARAM_REAL, 1, 0, 20, NULL,
     "log-probability taken off a character per earlier use in the poem (0: none)"},
};

typedef struct greedy_run {
  int no_repeat_line;
  double repeat_penalty;
  poet_sdk_penalised poem; /* kept between steps so its buffers are allocated once */
} greedy_run;

static poet_token likeliest(const poet_host* host, poet_state state, const float* log_probs,
                            void* user) {
  greedy_run* run = (greedy_run*)user;
  const float* row;
  if (!run->no_repeat_line && run->repeat_penalty == 0) {
    return poet_sdk_argmax(log_probs, host->vocabulary_size);
  }
  row = poet_sdk_penalise(host, state, log_probs, run->repeat_penalty, &run->poem);
  if (row == NULL) return -1;
  return poet_sdk_argmax_unrepeated(host, row, run->poem.tokens, run->poem.length, 0,
                                    run->no_repeat_line);
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  greedy_run run = {0};
  int32_t status;
  run.no_repeat_line = request->params[NO_REPEAT_LINE] != 0;
  run.repeat_penalty = request->params[REPEAT_PENALTY];
  status = poet_sdk_write(host, request->start, likeliest, &run, 0);
  poet_sdk_penalised_free(&run.poem);
  *result = request->start;
  return status;
}

static const poet_decoder greedy = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "greedy",
    .version = "1.2.0",
    .help = "the likeliest character at every step (deterministic)",
    .capabilities = POET_CAP_STREAMS | POET_CAP_BATCHES | POET_CAP_SEEDLESS,
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &greedy; }
