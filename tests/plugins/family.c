/* Three decoders in one library: the entry's "family", and "family-warm" and "family-cold" listed
 * by its factory (poet.factory/1), each with its own parameters and instance. Built with
 * FAMILY_CLASH, the factory's last decoder is named "family" too, and poet refuses the library
 * whole. */
#include <poet/decoder.h>
#include <poet/decoder_ext.h>
#include <poet/decoder_sdk.h>
#include <string.h>

#ifdef FAMILY_CLASH
#define COLD_NAME "family"
#else
#define COLD_NAME "family-cold"
#endif

static const poet_param_info warmth[] = {
    {"warmth", POET_PARAM_REAL, 1, 0.1, 3, NULL, "the temperature it samples at"},
};

static poet_token likeliest(const poet_host* host, poet_state state, const float* log_probs,
                            void* user) {
  (void)state, (void)user;
  return poet_sdk_argmax(log_probs, host->vocabulary_size);
}

static poet_token warm(const poet_host* host, poet_state state, const float* log_probs,
                       void* user) {
  (void)state;
  return poet_sdk_sample(host, log_probs, *(const double*)user, 0, 1);
}

static int32_t write_greedy(const poet_host* host, const poet_request* request, poet_state* result) {
  *result = request->start;
  return poet_sdk_write(host, request->start, likeliest, NULL, 0);
}

static int32_t write_warm(const poet_host* host, const poet_request* request, poet_state* result) {
  *result = request->start;
  return poet_sdk_write(host, request->start, warm, (void*)&request->params[0], 0);
}

static const poet_decoder warm_decoder = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "family-warm",
    .version = "1.0.0",
    .help = "samples at its warmth (a factory's decoder)",
    .capabilities = POET_CAP_STREAMS,
    .params = warmth,
    .param_count = 1,
    .decode = write_warm,
};

static const poet_decoder cold_decoder = {
    .abi_version = 2, /* a factory may list a decoder of any version */
    .name = COLD_NAME,
    .version = "1.0.0",
    .help = "the likeliest character (a factory's decoder, ABI 2)",
    .decode = write_greedy,
};

static const poet_decoder* const others[] = {&warm_decoder, &cold_decoder};
static const poet_plugin_factory factory = {others, 2};

static const void* get_extension(const char* id) {
  return strcmp(id, POET_PLUGIN_EXT_FACTORY) == 0 ? &factory : NULL;
}

static const poet_decoder family = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "family",
    .version = "1.0.0",
    .help = "the likeliest character (the entry's decoder)",
    .capabilities = POET_CAP_STREAMS | POET_CAP_SEEDLESS,
    .decode = write_greedy,
    .get_extension = get_extension,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &family; }
