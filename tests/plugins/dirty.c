/* A decoder whose every text is hostile to a terminal: escape sequences that clear the screen
 * and set the window's title, bytes that are not UTF-8, newlines and a right-to-left override,
 * in its description, its warning and its failure. poet must show each cleaned. */
#include <poet/decoder.h>
#include <poet/decoder_ext.h>

#define HOSTILE "\x1b[2J\x1b]0;owned\x07\xff\xfe\nnext line\xe2\x80\xae"

static const poet_param_info params[] = {
    {"level", POET_PARAM_INT, 1, 0, 9, NULL, "help " HOSTILE},
};

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  const poet_ext_log* log = host->get_extension(host->context, POET_EXT_LOG);
  (void)result;
  (void)request;
  if (log != NULL) log->warn(host->context, "warning " HOSTILE);
  host->fail(host->context, "failure " HOSTILE);
  return POET_ERROR;
}

static const poet_decoder dirty = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "dirty",
    .version = "1.0" HOSTILE,
    .help = "describes itself " HOSTILE,
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &dirty; }
