/* poet/decoder.h: the public C ABI between poet and its decoder plugins.
 *
 * Plain C99 with no LibTorch and no C++ types, so that a decoder builds with any C or C++
 * compiler against this one file, outside poet's source tree, and loads into an installed poet
 * without rebuilding it. poet refuses a plugin built against another POET_DECODER_ABI_VERSION. */
#ifndef POET_DECODER_H
#define POET_DECODER_H

/* Raised whenever a change to this header breaks plugins built against an earlier one. */
#define POET_DECODER_ABI_VERSION 1

/* Marks the one symbol a plugin exports, whatever visibility it is compiled with. */
#if defined(_WIN32)
#define POET_DECODER_EXPORT __declspec(dllexport)
#else
#define POET_DECODER_EXPORT __attribute__((visibility("default")))
#endif

#endif /* POET_DECODER_H */
