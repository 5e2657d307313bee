/* A shared library that is not a decoder: it exports no poet_decoder_entry. */
#include <poet/decoder.h>

POET_DECODER_EXPORT int something_else(void) { return 1; }
