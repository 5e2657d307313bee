/* beam: keeps the `width` likeliest partial poems at every step, all stepped in one batch, and
 * returns the likeliest finished one. It cannot stream: the leader may change until the end. */
#include <poet/decoder.h>
#include <poet/decoder_ext.h>
#include <poet/decoder_sdk.h>
#include <string.h>

enum { WIDTH, LENGTH_PENALTY, NO_REPEAT_NGRAM, NO_REPEAT_LINE, REPEAT_PENALTY };

static const poet_param_info params[] = {
    {"width", POET_PARAM_INT, 8, 1, 64, NULL, "partial poems kept at each step"},
    {"length-penalty", POET_PARAM_REAL, 1, 0, 2, NULL,
     "finished poems score log-probability / length^this (0: no normalisation)"},
    {"no-repeat-ngram", POET_PARAM_INT, 3, 0, 8, NULL,
     "never repeat a run of this many characters (0: allow)"},
    {"no-repeat-line", POET_PARAM_BOOL, 1, 0, 1, NULL, "never write a line twice"},
    {"repeat-penalty", POET_PARAM_REAL, 1, 0, 20, NULL,
     "log-probability taken off a character per earlier use in the poem (0: none)"},
};

/* gen --beam 8: the width, and beam search whatever decoder gen would write with. */
static const poet_option_alias aliases[] = {{"beam", "width"}};
static const poet_plugin_options options = {aliases, sizeof aliases / sizeof aliases[0]};

static const void* get_extension(const char* id) {
  return strcmp(id, POET_PLUGIN_EXT_OPTIONS) == 0 ? &options : NULL;
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  poet_sdk_beam_options options = poet_sdk_beam_defaults();
  options.width = (int32_t)request->params[WIDTH];
  options.length_penalty = request->params[LENGTH_PENALTY];
  options.no_repeat_ngram = (int32_t)request->params[NO_REPEAT_NGRAM];
  options.no_repeat_line = request->params[NO_REPEAT_LINE] != 0;
  options.repeat_penalty = request->params[REPEAT_PENALTY];
  return poet_sdk_beam_search(host, request->start, &options, result);
}

static const poet_decoder beam = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "beam",
    .version = "1.2.0",
    .help = "beam search: the likeliest poem among `width` kept at each step",
    .capabilities = POET_CAP_BATCHES | POET_CAP_SEEDLESS,
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
    .get_extension = get_extension,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &beam; }
