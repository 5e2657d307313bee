/* A plugin that never finishes loading: its entry point never returns, as one waiting on a lock
 * or a network share would not. */
#include <poet/decoder.h>
#include <unistd.h>

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) {
  for (;;) pause();
}
