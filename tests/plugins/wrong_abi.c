/* Built against a future ABI: poet must refuse it, naming both versions. */
#include <poet/decoder.h>

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  (void)host;
  *result = request->start;
  return POET_OK;
}

static const poet_decoder future = {
    .abi_version = POET_DECODER_ABI_VERSION + 98,
    .name = "future",
    .version = "9.0.0",
    .help = "from the future",
    .decode = decode,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &future; }
