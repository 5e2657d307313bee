/* acrostic: 藏头诗. Line i begins with head character i; an inner strategy (greedy, sampling or
 * beam search) writes the rest of each line, greedy and beam search less a repeat penalty as the
 * greedy and beam decoders take it. The host's form keeps every line the right length. */
#include <poet/decoder.h>
#include <poet/decoder_sdk.h>

enum { INNER, TEMPERATURE, TOP_K, TOP_P, BEAM_WIDTH, REPEAT_PENALTY };
enum { GREEDY, SAMPLE, BEAM };

static const poet_param_info params[] = {
    {"inner", POET_PARAM_CHOICE, SAMPLE, 0, 0, "greedy|sample|beam",
     "how the rest of each line is written"},
    {"temperature", POET_PARAM_REAL, 1, 0.05, 5, NULL,
     "sample: below 1 keeps to likely characters"},
    {"top-k", POET_PARAM_INT, 0, 0, 100000, NULL,
     "sample: only the k likeliest characters (0: all)"},
    {"top-p", POET_PARAM_REAL, 0.97, 0.01, 1, NULL,
     "sample: only the likeliest characters holding this probability"},
    {"beam-width", POET_PARAM_INT, 8, 1, 64, NULL, "beam: partial lines kept at each step"},
    {"repeat-penalty", POET_PARAM_REAL, 1, 0, 20, NULL,
     "greedy and beam: log-probability taken off a character per earlier use in the poem"},
};

/* What a write works with: the parameters, and for greedy the poem read back and a row to lower. */
typedef struct acrostic_run {
  const double* values;
  poet_sdk_penalised poem;
} acrostic_run;

static poet_token choose(const poet_host* host, poet_state state, const float* log_probs,
                         void* user) {
  acrostic_run* run = (acrostic_run*)user;
  const double* values = run->values;
  poet_token token;
  if (values[INNER] == GREEDY) {
    const float* row =
        poet_sdk_penalise(host, state, log_probs, values[REPEAT_PENALTY], &run->poem);
    if (row == NULL) return -1;
    token = poet_sdk_argmax(row, host->vocabulary_size);
  } else {
    token = poet_sdk_sample(host, log_probs, values[TEMPERATURE], (int32_t)values[TOP_K],
                            values[TOP_P]);
  }
  if (token < 0) host->fail(host->context, "no character can come next");
  return token;
}

/* The rest of the current line (or, with no heads, of the poem) from `state`; the state that
 * holds it goes to *state. */
static int32_t write_on(const poet_host* host, acrostic_run* run, poet_state* state,
                        int line_only) {
  const double* values = run->values;
  if (values[INNER] == BEAM) {
    poet_sdk_beam_options options = poet_sdk_beam_defaults();
    int32_t status;
    options.width = (int32_t)values[BEAM_WIDTH];
    options.no_repeat_line = 1;
    options.stop_at_line_end = line_only;
    options.repeat_penalty = values[REPEAT_PENALTY];
    status = poet_sdk_beam_search(host, *state, &options, state);
    return status == POET_OK ? host->show(host->context, *state) : status;
  }
  return poet_sdk_write(host, *state, choose, run, line_only);
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  poet_state state = request->start;
  acrostic_run run = {NULL, {0}};
  size_t i;
  int32_t status = POET_OK;
  run.values = request->params;
  for (i = 0; i < request->head_count && status == POET_OK; ++i) {
    status = host->step(host->context, &state, &request->heads[i], 1);
    if (status == POET_OK) status = host->show(host->context, state);
    if (status == POET_OK) status = write_on(host, &run, &state, 1);
  }
  /* After the last line only the end may come; with no heads, this writes the whole poem. */
  if (status == POET_OK) status = write_on(host, &run, &state, 0);
  poet_sdk_penalised_free(&run.poem);
  *result = state;
  return status;
}

static const poet_decoder acrostic = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "acrostic",
    .version = "1.2.0",
    .help = "藏头诗: each line begins with the next head character",
    .capabilities = POET_CAP_STREAMS | POET_CAP_HEADS,
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &acrostic; }
