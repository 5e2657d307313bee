/* poet/decoder_ext.h: the extensions, asked for by name. The host's (POET_EXT_*), which a
 * decoder asks for with poet_host.get_extension:
 *
 *   const poet_ext_form* form = host->get_extension(host->context, POET_EXT_FORM);
 *   if (form != NULL) form->place(host->context, state, &place);
 *
 * and the plugin's (POET_PLUGIN_EXT_*), which poet asks a decoder for with its descriptor's
 * get_extension (ABI 3), at the end of this file.
 *
 * An extension's name carries its version ("poet.form/1"): a change that would break a plugin
 * gets a new name, and the host goes on answering the old one, so a plugin keeps working with
 * every later poet. Every host function takes host->context first. Plain C99, like
 * poet/decoder.h. */
#ifndef POET_DECODER_EXT_H
#define POET_DECODER_EXT_H

#include "poet/decoder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the form: how long the lines are, how many there are, where a state stands ---------- */
#define POET_EXT_FORM "poet.form/1"

typedef struct poet_form {
  int32_t free;            /* 1: lines of any length up to longest_line, as many as the model
                            * writes (--form free); 0: the lengths and counts below hold */
  int32_t same_length;     /* every line as long as the first */
  int32_t regulated;       /* ， closes a couplet's first line and 。 its second, as in 律诗 */
  int32_t longest_line;    /* characters (marks aside) a line may have at most */
  int32_t max_characters;  /* characters and marks in all; 0: only the line rules bound it */
  const int32_t* line_lengths; /* the lengths a line may have, ascending; none when free */
  size_t line_length_count;
  const int32_t* line_counts;  /* the numbers of lines the poem may have, ascending; none: the
                                * poem ends where a line closed by 。？！； may end it */
  size_t line_count_count;
} poet_form;

/* Where a state stands in its poem against the form. */
typedef struct poet_form_place {
  int32_t line;        /* 0-based line being written */
  int32_t column;      /* characters written on it so far */
  int32_t line_length; /* the length this line will have, once only one is possible; else 0 */
  int32_t lines_left;  /* lines after this one the poem will have, once fixed; else -1 */
  int32_t line_full;   /* 1: no more characters fit on this line: its mark comes next */
  int32_t may_end;     /* 1: the end of the poem (poet_host.end_token) may come next */
  int32_t finished;    /* 1: the poem has ended */
} poet_form_place;

typedef struct poet_ext_form {
  /* The poem's form; the arrays stay valid until decode() returns. */
  void (*shape)(void* context, poet_form* form);
  void (*place)(void* context, poet_state state, poet_form_place* place);
} poet_ext_form;

/* ---- the vocabulary: tokens to text and back ------------------------------------------------ */
#define POET_EXT_VOCABULARY "poet.vocabulary/1"

typedef struct poet_ext_vocabulary {
  /* UTF-8 of a token (a character or a mark), or NULL for a special token or one outside the
   * vocabulary. Valid until the model changes (poet_decoder.model_changed). */
  const char* (*text)(void* context, poet_token token);
  /* The token of one character given as `length` bytes of UTF-8, or -1 when the model's
   * vocabulary lacks it or the bytes are not exactly one character. */
  poet_token (*token)(void* context, const char* utf8, size_t length);
  /* 1 for the marks that close a line: ， 。 ？ ！ ； poet_sdk_is_mark (poet/decoder_sdk.h) gives
   * the same answer from token_text: the SDK's helpers use it, and so may you. */
  int32_t (*is_mark)(void* context, poet_token token);
} poet_ext_vocabulary;

/* ---- the metre lexicon: tones (平仄) and rhyme groups, and what the pattern asks ------------ */
#define POET_EXT_METRE "poet.metre/1"

enum poet_tone {
  POET_TONE_UNKNOWN = 0, /* the lexicon does not know the character */
  POET_TONE_LEVEL = 1,   /* 平 */
  POET_TONE_OBLIQUE = 2, /* 仄 */
  POET_TONE_EITHER = 3   /* 中: read both ways */
};

/* What the metre rule asks of the next character of a state, under the user's --tones:
 * `strict` asks every position's tone of the patterns still open; `loose` (the default) asks
 * positions 2, 4, 6 and the line's end, and of the free places (1, 3, 5) only what keeps the
 * line from 孤平 (a level tone left alone between obliques) or 三平尾 (three level tones at its
 * end), so a free place says EITHER unless one of those pins it. Until the first line's second
 * character settles 平起 or 仄起 (and its end whether it rhymes), several patterns are open, and
 * a place where they disagree says EITHER too. poet.metre/2's pattern() gives the pattern itself. */
typedef struct poet_metre_ask {
  int32_t active; /* 0: no metre holds this poem (a free form, or --rhyme off --tones off), and,
                   * asked through poet.metre/2, where no character can come next (the line is
                   * full, or the last line is closed and only the end may come); the rest is
                   * then empty. poet.metre/1's ask answers there as if the patterns went on. */
  int32_t tones;  /* the tones that fit the patterns still open: POET_TONE_LEVEL, _OBLIQUE or
                   * _EITHER (both; a free place) */
  int32_t rhyme;  /* 1: the next character ends a rhyming line */
  int32_t group;  /* the rhyme group the poem has settled on, or -1 while several are open */
} poet_metre_ask;

typedef struct poet_ext_metre {
  /* The poem's rhyme book, "平水韵" or "中华新韵" (--rhyme-book), and its groups: "一东", ... */
  const char* (*book)(void* context);
  int32_t (*group_count)(void* context);
  const char* (*group_name)(void* context, int32_t group);
  /* A token's tone in the book's reading (classical for 平水韵, Mandarin for 中华新韵). */
  int32_t (*tone)(void* context, poet_token token);
  /* The level-tone rhyme groups a token belongs to: copies at most `capacity` into `groups` and
   * returns how many there are (0 for a mark, a special token or an oblique character). */
  size_t (*groups)(void* context, poet_token token, int32_t* groups, size_t capacity);
  void (*ask)(void* context, poet_state state, poet_metre_ask* ask);
} poet_ext_metre;

/* ---- the metre, version 2: poet.metre/1 and what a decoder stricter than the user needs ---- */
#define POET_EXT_METRE_2 "poet.metre/2"

/* The user's --tones. */
enum poet_tones_rule { POET_TONES_OFF = 0, POET_TONES_LOOSE = 1, POET_TONES_STRICT = 2 };

/* One standard pattern of regulated verse (近体诗格律). */
typedef struct poet_metre_pattern {
  int32_t settled;           /* 1: the poem so far leaves this one pattern open; 0: several are
                              * still open (or no metre holds the poem) and the rest is 0 */
  int32_t line_length;       /* 5 or 7 */
  int32_t level_start;       /* 1: 平起 (the first line's second character level); 0: 仄起 */
  int32_t first_line_rhymes; /* 1: the first line ends on the rhyme too */
} poet_metre_pattern;

typedef struct poet_ext_metre_2 {
  /* As in poet.metre/1, but ask says active = 0 where no character can come next. */
  const char* (*book)(void* context);
  int32_t (*group_count)(void* context);
  const char* (*group_name)(void* context, int32_t group);
  int32_t (*tone)(void* context, poet_token token);
  size_t (*groups)(void* context, poet_token token, int32_t* groups, size_t capacity);
  void (*ask)(void* context, poet_state state, poet_metre_ask* ask);
  /* The --tones the user chose: a poem is held to it, and a decoder may hold itself to more. */
  int32_t (*tones_rule)(void* context);
  /* Every token's tone at once: copies tone(t) into tones[t] for t below `capacity` and the
   * vocabulary's size, and returns that size. One call where tone() would take thousands. */
  size_t (*tone_table)(void* context, int32_t* tones, size_t capacity);
  /* The tone --tones strict would ask of the next character of `state`, whatever the user chose:
   * POET_TONE_LEVEL or _OBLIQUE where the patterns that every character so far keeps strictly
   * agree, _EITHER where they still disagree (the first line's first places, before 平起 or 仄起
   * is settled), and _UNKNOWN where no character can come next or no metre holds the poem. It
   * asks of characters only: where the line may also end (a form of 5 or 7 characters), the
   * mark and the end of the poem have no tone to keep. A decoder that holds every character to it
   * writes a poem that keeps one pattern throughout. */
  int32_t (*strict_tone)(void* context, poet_state state);
  /* The pattern the poem of `state` follows, once its characters leave only one open (of those
   * it keeps strictly, while any are). */
  void (*pattern)(void* context, poet_state state, poet_metre_pattern* pattern);
  /* The tone a settled pattern asks at (line, column), both from 0, as --tones strict holds it:
   * POET_TONE_LEVEL or _OBLIQUE; POET_TONE_UNKNOWN for a pattern not settled, a place past its
   * line, or a line past the 1024th. The pattern goes on past any poem's last line (粘 and 对
   * repeat every four lines). Worked out from the pattern alone, by poet. */
  int32_t (*pattern_tone)(void* context, const poet_metre_pattern* pattern, int32_t line,
                          int32_t column);
} poet_ext_metre_2;

/* ---- warnings: something the user should know that does not stop the poem ------------------- */
#define POET_EXT_LOG "poet.log/1"

typedef struct poet_ext_log {
  /* One line, shown to the user after the poem, naming the decoder. poet shows at most a few a
   * poem and counts the rest. */
  void (*warn)(void* context, const char* message);
} poet_ext_log;

/* ==== the plugin's extensions: what poet asks of a decoder
 * ========================================= */

/* ---- options: short names the prompt offers for the decoder's parameters ------------------- */
#define POET_PLUGIN_EXT_OPTIONS "poet.options/1"

/* `gen --beam 8` for the parameter "width" of the beam decoder: the option is the alias, 8 the
 * parameter's value. When the decoder a poem is written with has no such option, poet writes it
 * with the decoder that declares the alias (when several do, --decoder must say which). An alias
 * is named as a parameter is, and may not be one of the decoder's own parameters. */
typedef struct poet_option_alias {
  const char* option; /* "beam" (given as --beam) */
  const char* param;  /* "width": one of the decoder's parameters */
} poet_option_alias;

typedef struct poet_plugin_options {
  const poet_option_alias* aliases;
  size_t alias_count;
} poet_plugin_options;

/* ---- a factory: several decoders in one library -------------------------------------------- */
#define POET_PLUGIN_EXT_FACTORY "poet.factory/1"

/* Asked of the descriptor poet_decoder_entry returns: the library's other decoders. Each is a
 * decoder of its own, as if it came from a library of its own (its name, parameters, capabilities,
 * init(), instance and get_extension()), and any ABI version; the library stays loaded while any
 * of them is. A library with a decoder poet refuses is refused whole, with the reason; so is one
 * whose factory lists a NULL or more than 64 decoders. */
typedef struct poet_plugin_factory {
  const poet_decoder* const* decoders;
  size_t decoder_count;
} poet_plugin_factory;

/* ---- stable ids for the parameters ---------------------------------------------------------- */
#define POET_PLUGIN_EXT_PARAM_IDS "poet.param-ids/1"

/* One id per entry of poet_decoder.params, in that order: distinct, and not 0. poet keeps what the
 * user set (`set beam.width 4`) under a parameter's id rather than its name or place, so a
 * rebuilt plugin that renames or reorders its parameters keeps the user's values across
 * `decoders reload`. Keep an id for as long as the parameter means the same thing. */
typedef struct poet_plugin_param_ids {
  const uint32_t* ids;
  size_t id_count; /* poet_decoder.param_count */
} poet_plugin_param_ids;

#ifdef __cplusplus
}
#endif

#endif /* POET_DECODER_EXT_H */
