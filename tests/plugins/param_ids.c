/* A decoder whose parameters carry stable ids (poet.param-ids/1), built twice: as version 1 with
 * "depth" (id 7) then "breadth" (id 9), and as version 2 (IDS_VERSION_2) with "breadth" first and
 * "depth" renamed "deep", as a rebuilt plugin might. It writes the likeliest poem and warns the
 * values it was given. */
#include <poet/decoder.h>
#include <poet/decoder_ext.h>
#include <poet/decoder_sdk.h>
#include <stdio.h>
#include <string.h>

#ifdef IDS_VERSION_2
enum { BREADTH, DEPTH };
static const poet_param_info params[] = {
    {"breadth", POET_PARAM_INT, 2, 1, 9, NULL, "how broad"},
    {"deep", POET_PARAM_INT, 3, 1, 9, NULL, "how deep (called depth in version 1)"},
};
static const uint32_t ids[] = {9, 7};
#else
enum { DEPTH, BREADTH };
static const poet_param_info params[] = {
    {"depth", POET_PARAM_INT, 3, 1, 9, NULL, "how deep"},
    {"breadth", POET_PARAM_INT, 2, 1, 9, NULL, "how broad"},
};
static const uint32_t ids[] = {7, 9};
#endif

static const poet_plugin_param_ids param_ids = {ids, 2};

static const void* get_extension(const char* id) {
  return strcmp(id, POET_PLUGIN_EXT_PARAM_IDS) == 0 ? &param_ids : NULL;
}

static poet_token likeliest(const poet_host* host, poet_state state, const float* log_probs,
                            void* user) {
  (void)state, (void)user;
  return poet_sdk_argmax(log_probs, host->vocabulary_size);
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  const poet_ext_log* log = (const poet_ext_log*)host->get_extension(host->context, POET_EXT_LOG);
  char said[64];
  snprintf(said, sizeof said, "depth %g, breadth %g", request->params[DEPTH],
           request->params[BREADTH]);
  if (log != NULL) log->warn(host->context, said);
  *result = request->start;
  return poet_sdk_write(host, request->start, likeliest, NULL, 0);
}

static const poet_decoder decoder = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "ids",
    .version = "1.0.0",
    .help = "parameters with stable ids, for tests",
    .params = params,
    .param_count = 2,
    .decode = decode,
    .get_extension = get_extension,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &decoder; }
