/* A decoder that cannot start here: its init() says why, and poet refuses it. */
#include <poet/decoder.h>

static const char* init(void) { return "needs a rhyme dictionary that is not installed"; }

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  (void)host;
  *result = request->start;
  return POET_OK;
}

static const poet_decoder rhymer = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "rhymer",
    .version = "0.1.0",
    .help = "needs a dictionary",
    .init = init,
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &rhymer; }
