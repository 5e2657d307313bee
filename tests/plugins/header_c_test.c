/* The public plugin headers as a plugin author's C compiler sees them (built -std=c99 -pedantic).
 */
#include <poet/decoder.h>
#include <poet/decoder_ext.h>
#include <poet/decoder_sdk.h>

POET_DECODER_EXPORT int exported_as_a_plugin_entry_would_be(void) {
  return POET_DECODER_ABI_VERSION;
}

int main(void) {
  const float log_probs[3] = {-2.0f, -0.5f, -INFINITY};
  return exported_as_a_plugin_entry_would_be() == 3 && poet_sdk_argmax(log_probs, 3) == 1 ? 0 : 1;
}
