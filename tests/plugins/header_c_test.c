/* The public plugin header as a plugin author's C compiler sees it (built -std=c99 -pedantic). */
#include <poet/decoder.h>

POET_DECODER_EXPORT int exported_as_a_plugin_entry_would_be(void) { return POET_DECODER_ABI_VERSION; }

int main(void) { return exported_as_a_plugin_entry_would_be() == 1 ? 0 : 1; }
