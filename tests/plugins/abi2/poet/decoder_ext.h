/* FROZEN: poet/decoder_ext.h exactly as released for ABI version 2 (git show
 * 26cb6d8:plugins/include/poet/decoder_ext.h), kept so that tests build a plugin the way one built
 * before ABI 3 was; never edit it. */
/* poet/decoder_ext.h: the host's extensions, asked for by name with poet_host.get_extension.
 *
 *   const poet_ext_form* form = host->get_extension(host->context, POET_EXT_FORM);
 *   if (form != NULL) form->place(host->context, state, &place);
 *
 * An extension's name carries its version ("poet.form/1"): a change that would break a plugin
 * gets a new name, and the host goes on answering the old one, so a plugin keeps working with
 * every later poet. Every function takes host->context first. Plain C99, like poet/decoder.h. */
#ifndef POET_DECODER_EXT_H
#define POET_DECODER_EXT_H

#include "poet/decoder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the form: how long the lines are, how many there are, where a state stands ---------- */
#define POET_EXT_FORM "poet.form/1"

typedef struct poet_form {
  int32_t free;           /* 1: lines of any length up to longest_line, as many as the model
                           * writes (--form free); 0: the lengths and counts below hold */
  int32_t same_length;    /* every line as long as the first */
  int32_t regulated;      /* ， closes a couplet's first line and 。 its second, as in 律诗 */
  int32_t longest_line;   /* characters (marks aside) a line may have at most */
  int32_t max_characters; /* characters and marks in all; 0: only the line rules bound it */
  const int32_t* line_lengths; /* the lengths a line may have, ascending; none when free */
  size_t line_length_count;
  const int32_t* line_counts; /* the numbers of lines the poem may have, ascending; none: the
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
  /* 1 for the marks that close a line: ， 。 ？ ！ ； */
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

/* What the metre rule asks of the next character of a state. */
typedef struct poet_metre_ask {
  int32_t active; /* 0: no metre holds this poem (a free form, or --rhyme off --tones off) and the
                   * rest is empty */
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

/* ---- warnings: something the user should know that does not stop the poem ------------------- */
#define POET_EXT_LOG "poet.log/1"

typedef struct poet_ext_log {
  /* One line, shown to the user after the poem, naming the decoder. poet shows at most a few a
   * poem and counts the rest. */
  void (*warn)(void* context, const char* message);
} poet_ext_log;

#ifdef __cplusplus
}
#endif

#endif /* POET_DECODER_EXT_H */
