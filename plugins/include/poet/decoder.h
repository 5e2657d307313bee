/* poet/decoder.h: the public C ABI between poet and its decoder plugins.
 *
 * Plain C99 with no LibTorch and no C++ types, so that a decoder builds with any C or C++
 * compiler against this one file, outside poet's source tree, and loads into an installed poet
 * without rebuilding it. plugins/README.md (installed as share/poet/examples/README.md) walks
 * through writing one.
 *
 * The division of work:
 * - poet (the host) owns the model and every model state. It hands the decoder a state that has
 *   read the poem's beginning, and callbacks to look at and advance states.
 * - The host also owns the poem's form. The log-probabilities it gives a decoder are the
 *   model's, with -INFINITY for every token the form does not allow next (lines of the right
 *   length, the right punctuation, the end of the poem where it must end; in a regulated poem,
 *   the rhyme and the tones the user chose), so any decoder writes a well-formed poem by
 *   choosing among tokens with finite log-probability. They are not
 *   renormalised over the allowed tokens: normalise them yourself where you need probabilities.
 * - The decoder chooses tokens until its chosen state is finished, and returns that state.
 *
 * Errors cross the boundary as return codes and messages, never as exceptions or crashes.
 *
 * The ABI grows the way CLAP's does: structs only ever gain fields at their end, and what a
 * decoder may ask beyond poet_host it asks by name through get_extension() (the form, the
 * vocabulary, the metre lexicon, warnings: poet/decoder_ext.h), each extension's name carrying
 * its own version; what poet may ask of a plugin beyond its descriptor it asks the same way,
 * through the descriptor's own get_extension() (ABI 3). A plugin built for ABI 1 or 2 keeps
 * loading and working unchanged.
 *
 * Threads, as each function below says in [brackets]: poet loads a plugin, runs its init() and
 * unloads it on one thread, the loading thread (poet's main thread; in an isolated plugin's
 * process, that process's main thread, the only one that calls the plugin). It writes each poem on a poem's thread: decode() there,
 * and create() and model_changed() just before it, while no decode() of the decoder runs. The
 * host's callbacks are the poem's: call them on the thread that called you, until you return. */
#ifndef POET_DECODER_H
#define POET_DECODER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version this header describes. poet loads a plugin built for any version from
 * POET_DECODER_ABI_OLDEST to this one, and refuses one built for a newer version. */
#define POET_DECODER_ABI_VERSION 3
#define POET_DECODER_ABI_OLDEST 1

/* Marks the one symbol a plugin exports, whatever visibility it is compiled with. */
#if defined(_WIN32)
#define POET_DECODER_EXPORT __declspec(dllexport)
#else
#define POET_DECODER_EXPORT __attribute__((visibility("default")))
#endif

/* The symbol every plugin exports; poet looks it up by this name. */
#define POET_DECODER_ENTRY_NAME "poet_decoder_entry"

typedef int32_t poet_state; /* a model state, owned by the host */
typedef int32_t poet_token; /* a character of the model's vocabulary, or a special token */

/* What the host's callbacks and a decoder's decode() return. */
enum poet_status {
  POET_OK = 0,
  POET_CANCELLED = 1, /* the user pressed Ctrl-C; stop and return it */
  POET_ERROR = 2      /* the message is with the host (see poet_host.fail) */
};

/* A decoder's tunable parameter, as `set NAME VALUE` at the prompt sets it. Values cross the
 * ABI as doubles whatever the type. */
enum poet_param_type {
  POET_PARAM_INT = 0,   /* a whole number in [min_value, max_value] */
  POET_PARAM_REAL = 1,  /* a number in [min_value, max_value] */
  POET_PARAM_BOOL = 2,  /* 0 or 1 (the prompt accepts on/off, true/false, 1/0) */
  POET_PARAM_CHOICE = 3 /* an index into `choices` */
};

typedef struct poet_param_info {
  const char* name; /* lower case, digits and '-', e.g. "top-k" */
  int32_t type;     /* enum poet_param_type */
  double default_value; /* in the range; a whole number unless REAL */
  double min_value; /* inclusive finite bounds (INT, REAL; whole numbers up to 2^53 for INT);
                     * ignored for BOOL and CHOICE */
  double max_value;
  const char* choices; /* CHOICE only: distinct names, separated by '|', e.g. "greedy|sample|beam" */
  const char* help;    /* one line */
} poet_param_info;

/* Capabilities a decoder declares in poet_decoder.capabilities. */
#define POET_CAP_STREAMS 0x1u /* it calls poet_host.show as it goes, so text appears live */
/* Kept for plugins built before ABI 3: the decoder steps an acrostic's heads itself (line i
 * begins with poet_request.heads[i]). For every other decoder the host writes the heads: where a
 * line must begin with one, the host steps it, so a decoder that knows nothing of acrostics
 * writes them too. New plugins leave it out. */
#define POET_CAP_HEADS 0x2u
/* ABI 3: decode() may write several poems of one command at once, each on a thread of its own,
 * all with the one instance (so whatever the instance holds must be safe to share, or kept per
 * request). The host steps their states together: each poem's host->step() waits for the others'
 * and one batched model step serves them all. Every poem keeps its own random source, so a poem
 * is the one it would be alone. Only for decoders running in poet's process; without it, poems
 * are written one at a time. */
#define POET_CAP_BATCHES 0x4u
/* ABI 3: it never calls poet_host.random, so every seed writes the same poem (greedy, beam). The
 * host then writes one candidate where best-of asks for several, which would all be copies. */
#define POET_CAP_SEEDLESS 0x8u

/* Where a state stands in its poem. */
typedef struct poet_position {
  int32_t line;     /* 0-based index of the line being written */
  int32_t column;   /* characters written on that line so far; 0 at a line's start */
  int32_t finished; /* 1 once the end of the poem has been read: nothing more may be stepped */
} poet_position;

/* The host's side: every model operation a decoder may use. All take `context` first.
 * [the poem's thread] Call them only on the thread poet called your decode() (or create(),
 * model_changed()) on, and only until that call returns: the context and its states are that
 * poem's. */
typedef struct poet_host {
  void* context;
  int32_t vocabulary_size; /* log_probs() returns this many values */
  poet_token end_token;    /* ends the poem */

  /* The model's next-token log-probabilities for a state, -INFINITY for every token the form
   * does not allow next. Valid until the state is stepped or released. */
  const float* (*log_probs)(void* context, poet_state state);
  void (*position)(void* context, poet_state state, poet_position* position);
  /* The tokens of the poem so far in this state: the beginning the user gave and the marks that
   * close lines (，。) included; the mood line and the start and end tokens excluded. Copies at
   * most `capacity` of them into `tokens` and returns how many there are. */
  size_t (*text)(void* context, poet_state state, poet_token* tokens, size_t capacity);
  /* UTF-8 of a character token, or NULL for a special token. */
  const char* (*token_text)(void* context, poet_token token);

  /* A copy of a state that can be stepped on its own, or -1 (then the message is with the host). */
  poet_state (*clone)(void* context, poet_state state);
  void (*release)(void* context, poet_state state);
  /* Feeds tokens[i] to states[i] for i < count in one batched model step: batching is what
   * makes a beam of width K cost far less than K single steps. Each state appears at most once.
   * A token outside the vocabulary or one whose log-probability is -INFINITY (the form or metre
   * forbids it) steps nothing: step returns POET_ERROR and the poem fails with a message naming
   * the decoder. Returns POET_CANCELLED once the user has pressed Ctrl-C, so a decoder stops even
   * if it never asks. */
  int32_t (*step)(void* context, const poet_state* states, const poet_token* tokens, size_t count);

  /* Uniform in [0, 1), from the generation's seeded source: draw every random number here and
   * the same seed writes the same poem. */
  double (*random)(void* context);
  /* Non-zero once the user has pressed Ctrl-C. */
  int32_t (*cancelled)(void* context);
  /* The text of `state` is final so far: the host shows the user whatever of it is new. Only
   * for decoders with POET_CAP_STREAMS; a state whose text does not extend what was shown
   * already is an error. */
  int32_t (*show)(void* context, poet_state state);
  /* Records why decode() is about to return POET_ERROR: one line, shown to the user. */
  void (*fail)(void* context, const char* message);

  /* ABI 2 and later. */
  uint32_t abi_version; /* the host's POET_DECODER_ABI_VERSION */
  /* The extension named `id` (POET_EXT_* in poet/decoder_ext.h), or NULL when this host has
   * none by that name. The struct it returns stays valid until decode() returns (or create() or
   * model_changed(), when asked there); pass host->context to its functions. */
  const void* (*get_extension)(void* context, const char* id);
} poet_host;

/* One poem to write. */
typedef struct poet_request {
  poet_state start;        /* has read the poem's beginning (and an acrostic's first head, unless
                            * the decoder has POET_CAP_HEADS); the decoder may step or release it */
  const poet_token* heads; /* an acrostic's heads, the first character of each line, which the
                            * host writes (a POET_CAP_HEADS decoder steps them itself) */
  size_t head_count;       /* 0 unless this is an acrostic */
  const double* params;    /* one value per entry of poet_decoder.params, in that order */

  /* ABI 2 and later. */
  void* instance;     /* what create() returned for this decoder; NULL without create() */
  int32_t poem_index; /* this poem's place among those of one command (gen -n 5: 0 to 4) */
  int32_t poem_count; /* how many poems the command writes */
} poet_request;

/* A decoder, as its plugin describes it. Every pointer stays valid while the library is loaded. */
typedef struct poet_decoder {
  uint32_t abi_version;  /* POET_DECODER_ABI_VERSION: first, so any version can read it */
  const char* name;      /* what `use NAME` takes: lower case, digits and '-' */
  const char* version;   /* the decoder's own version, e.g. "1.0.0" */
  const char* help;      /* one line for `decoders` */
  uint32_t capabilities; /* POET_CAP_* */
  const poet_param_info* params;
  size_t param_count;

  /* Optional (may be NULL): called once after loading; returns NULL when the decoder is ready,
   * or a message saying why it cannot run, and then poet refuses it. [the loading thread] */
  const char* (*init)(void);
  /* Writes one poem: steps states from request->start until one is finished, and stores it in
   * *result. Returns POET_OK, POET_CANCELLED, or POET_ERROR after host->fail(). The host releases
   * every state the decoder leaves behind when decode() returns. [a poem's thread] One call at a
   * time, unless the decoder has POET_CAP_BATCHES: then one call for each poem of a batch at once,
   * each on a thread of its own. */
  int32_t (*decode)(const poet_host* host, const poet_request* request, poet_state* result);

  /* ABI 2 and later: read only from a descriptor whose abi_version is 2 or more. All optional.
   * An instance is the decoder's own data (tables, caches, counters) in place of globals.
   * create() makes it before the decoder's first poem, with the host of that poem (its model and
   * vocabulary; no state exists yet), and returns it, or NULL after host->fail() when the
   * decoder cannot run. Every later request carries it in request->instance. [a poem's thread,
   * before its decode(), while no decode() runs] */
  void* (*create)(const poet_host* host);
  /* Frees an instance: when the decoder is unloaded (`decoders reload`, poet's end). An
   * isolated decoder's process may also just end. [the loading thread, after the last decode()
   * has returned] */
  void (*destroy)(void* instance);
  /* Called before the first poem written with another model than the instance's last poem (after
   * `load`, `reload` or a training run's autoreload): the vocabulary, its size and every table
   * built from them may have changed. [a poem's thread, before its decode(), while no decode()
   * runs] */
  void (*model_changed)(void* instance, const poet_host* host);

  /* ABI 3 and later: read only from a descriptor whose abi_version is 3 or more. Optional. */
  /* The plugin's extension named `id` (POET_PLUGIN_EXT_* in poet/decoder_ext.h), or NULL when it
   * has none by that name. What it returns stays valid while the library is loaded. [the
   * loading thread] */
  const void* (*get_extension)(const char* id);
} poet_decoder;

/* The entry every plugin exports under POET_DECODER_ENTRY_NAME:
 *   POET_DECODER_EXPORT const poet_decoder *poet_decoder_entry(void) { return &my_decoder; }
 * [the loading thread] A library that holds several decoders returns the first here and lists
 * the others through its get_extension() (POET_PLUGIN_EXT_FACTORY, poet/decoder_ext.h). */
typedef const poet_decoder* (*poet_decoder_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* POET_DECODER_H */
