#include <poet/decoder.h>

int main(void) { return POET_DECODER_ABI_VERSION > 0 ? 0 : 1; }
