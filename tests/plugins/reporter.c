/* A decoder that writes the likeliest poem and reports, as one warning through poet.log/1, what
 * the ABI 2 extensions and its instance told it on the way, so that the tests can compare it with
 * what they know of the poem. Its `report` parameter picks what to report. */
#include <poet/decoder.h>
#include <poet/decoder_ext.h>
#include <poet/decoder_sdk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Built twice: against today's headers, and as "abi2-reporter" against the frozen ABI 2 ones. */
#ifndef REPORTER_NAME
#define REPORTER_NAME "reporter"
#endif

enum { INSTANCE, FORM, VOCABULARY, METRE, PATTERN };

static const poet_param_info params[] = {
    {"report", POET_PARAM_CHOICE, INSTANCE, 0, 0, "instance|form|vocabulary|metre|pattern",
     "what to report"},
};

typedef struct instance {
  int id;     /* which instance of this process, from 1 */
  int models; /* models seen: 1 + model_changed() calls */
} instance;

static int instances_made;

static void* create(const poet_host* host) {
  instance* self = (instance*)calloc(1, sizeof *self);
  if (self == NULL) {
    host->fail(host->context, "out of memory");
    return NULL;
  }
  self->id = ++instances_made;
  self->models = 1;
  return self;
}

static void destroy(void* self) { free(self); }

static void model_changed(void* self, const poet_host* host) {
  (void)host;
  ((instance*)self)->models += 1;
}

/* A report grows by appending; it stops growing where it is full. */
typedef struct report {
  char text[1024];
  size_t length;
} report;

static void add(report* r, const char* piece) {
  size_t n = strlen(piece);
  if (r->length + n >= sizeof r->text) n = sizeof r->text - 1 - r->length;
  memcpy(r->text + r->length, piece, n);
  r->length += n;
  r->text[r->length] = '\0';
}

static void add_number(report* r, const char* format, long value) {
  char piece[64];
  snprintf(piece, sizeof piece, format, value);
  add(r, piece);
}

static void add_list(report* r, const char* name, const int32_t* values, size_t count) {
  size_t i;
  add(r, name);
  for (i = 0; i < count; ++i) add_number(r, i == 0 ? "%ld" : ",%ld", values[i]);
  if (count == 0) add(r, "-");
}

static void report_vocabulary(const poet_host* host, report* r) {
  const poet_ext_vocabulary* v =
      (const poet_ext_vocabulary*)host->get_extension(host->context, POET_EXT_VOCABULARY);
  long round_trips = 0, marks = 0, special = 0;
  poet_token t;
  if (v == NULL) {
    add(r, "no vocabulary");
    return;
  }
  for (t = 0; t < host->vocabulary_size; ++t) {
    const char* text = v->text(host->context, t);
    if (text == NULL) {
      ++special;
      continue;
    }
    if (v->token(host->context, text, strlen(text)) != t) {
      add_number(r, "token %ld does not round trip", t);
      return;
    }
    ++round_trips;
    marks += v->is_mark(host->context, t);
  }
  add_number(r, "%ld round trips", round_trips);
  add_number(r, ", %ld marks", marks);
  add_number(r, ", %ld special", special);
  add_number(r, ", unknown %ld", v->token(host->context, "\xff", 1));
  add_number(r, ", two characters %ld", v->token(host->context, "\xe6\xb9\x96\xe6\x9c\x88", 6));
}

/* poet.metre/2 on the finished poem: the user's rule, the pattern it settled on, whether every
 * character of a known tone keeps the tone the pattern asks under strict, and whether the tone
 * table is tone() for every token. */
static void report_pattern(const poet_host* host, poet_state state, report* r) {
#ifdef POET_EXT_METRE_2
  const poet_ext_metre_2* metre =
      (const poet_ext_metre_2*)host->get_extension(host->context, POET_EXT_METRE_2);
  poet_metre_pattern pattern;
  poet_token* tokens = NULL;
  int32_t* table;
  size_t capacity = 0, length, i, size;
  long off_pattern = 0, table_differs = 0;
  int32_t line = 0, column = 0;
  if (metre == NULL) {
    add(r, "no metre");
    return;
  }
  metre->pattern(host->context, state, &pattern);
  add_number(r, "rule %ld", metre->tones_rule(host->context));
  add_number(r, "; settled %ld", pattern.settled);
  add(r, pattern.level_start ? ", 平起" : ", 仄起");
  add(r, pattern.first_line_rhymes ? ", first line rhymes" : ", first line does not rhyme");
  length = poet_sdk_text(host, state, &tokens, &capacity);
  for (i = 0; tokens != NULL && i < length; ++i) {
    int32_t tone, asked;
    if (poet_sdk_is_mark(host, tokens[i])) {
      ++line;
      column = 0;
      continue;
    }
    tone = metre->tone(host->context, tokens[i]);
    asked = metre->pattern_tone(host->context, &pattern, line, column++);
    if ((tone == POET_TONE_LEVEL || tone == POET_TONE_OBLIQUE) && tone != asked) ++off_pattern;
  }
  free(tokens);
  add_number(r, "; %ld characters off the pattern", off_pattern);
  size = metre->tone_table(host->context, NULL, 0);
  table = (int32_t*)malloc(size * sizeof *table);
  if (table == NULL || metre->tone_table(host->context, table, size) != size) {
    add(r, "; no tone table");
  } else {
    for (i = 0; i < size; ++i) table_differs += table[i] != metre->tone(host->context, (poet_token)i);
    add_number(r, "; tone table of %ld", (long)size);
    add_number(r, ", %ld unlike tone()", table_differs);
  }
  free(table);
#else
  (void)host, (void)state;
  add(r, "no metre/2");
#endif
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  const poet_ext_log* log = (const poet_ext_log*)host->get_extension(host->context, POET_EXT_LOG);
  const poet_ext_form* form = (const poet_ext_form*)host->get_extension(host->context, POET_EXT_FORM);
  const poet_ext_metre* metre =
      (const poet_ext_metre*)host->get_extension(host->context, POET_EXT_METRE);
  const instance* self = (const instance*)request->instance;
  const int mode = (int)request->params[0];
  poet_state state = request->start;
  poet_form_place place;
  poet_metre_ask ask;
  int32_t status = POET_OK, group = -1, rhymes_in_group = 1, active_before_end = 0;
  report r, lines, rhymes, tones;
  const char* problem = NULL;

  r.length = lines.length = rhymes.length = tones.length = 0;
  r.text[0] = lines.text[0] = rhymes.text[0] = tones.text[0] = '\0';
  *result = state;
  if (log == NULL || form == NULL) {
    host->fail(host->context, "an extension is missing");
    return POET_ERROR;
  }
  for (;;) {
    poet_token token;
    form->place(host->context, state, &place);
    if (place.finished) break;
    if (place.column == 0 && !(place.line_length == 0 && place.lines_left == 0)) { /* a line */
      add_number(&lines, lines.length == 0 ? "%ld" : " %ld", place.line_length);
      add_number(&lines, "/%ld", place.lines_left);
    }
    if (problem == NULL && place.line_length > 0 && place.line_full != (place.column == place.line_length))
      problem = "line_full disagrees with line_length";
    if (problem == NULL && place.may_end && place.column != 0) problem = "may_end inside a line";
    if (metre != NULL) {
      metre->ask(host->context, state, &ask);
      if (ask.active && ask.rhyme) {
        add_number(&rhymes, rhymes.length == 0 ? "%ld" : " %ld", place.line);
        add_number(&rhymes, ":%ld", place.column);
      }
      if (ask.active && place.line == 1 && !place.line_full)
        add(&tones, ask.tones == POET_TONE_LEVEL ? "平" : ask.tones == POET_TONE_OBLIQUE ? "仄" : "中");
    }
#ifdef POET_EXT_METRE_2
    { /* poet.metre/2's ask has nothing to ask where only the line's mark or the poem's end may come */
      const poet_ext_metre_2* metre_2 =
          (const poet_ext_metre_2*)host->get_extension(host->context, POET_EXT_METRE_2);
      poet_metre_ask asked;
      if (metre_2 != NULL) {
        metre_2->ask(host->context, state, &asked);
        active_before_end |= asked.active && (place.line_full || (place.may_end && place.column == 0));
      }
    }
#endif
    token = poet_sdk_argmax(host->log_probs(host->context, state), host->vocabulary_size);
    if (token < 0) {
      host->fail(host->context, "no token is allowed");
      return POET_ERROR;
    }
    status = host->step(host->context, &state, &token, 1);
    if (status != POET_OK) return status;
    if (metre != NULL && ask.active && ask.rhyme && ask.group >= 0) {
      int32_t groups[8];
      const size_t count = metre->groups(host->context, token, groups, 8);
      size_t i;
      int found = 0;
      for (i = 0; i < count && i < 8; ++i) found |= groups[i] == ask.group;
      rhymes_in_group &= found;
      group = ask.group;
    }
  }

  switch (mode) {
    case INSTANCE:
      add_number(&r, "instance %ld", self != NULL ? self->id : 0);
      add_number(&r, ", poem %ld", request->poem_index);
      add_number(&r, " of %ld", request->poem_count);
      add_number(&r, ", models %ld", self != NULL ? self->models : 0);
      break;
    case FORM: {
      poet_form shape;
      form->shape(host->context, &shape);
      add_number(&r, "free %ld", shape.free);
      add_number(&r, ", same %ld", shape.same_length);
      add_number(&r, ", regulated %ld", shape.regulated);
      add_number(&r, ", longest %ld", shape.longest_line);
      add_list(&r, ", lengths ", shape.line_lengths, shape.line_length_count);
      add_list(&r, ", counts ", shape.line_counts, shape.line_count_count);
      add(&r, "; lines ");
      add(&r, lines.text);
      add(&r, "; ");
      add(&r, problem != NULL ? problem : "consistent");
      break;
    }
    case VOCABULARY:
      report_vocabulary(host, &r);
      break;
    default:
      if (metre == NULL) {
        add(&r, "no metre");
        break;
      }
      add(&r, metre->book(host->context));
      add_number(&r, " of %ld groups; rhymes at ", metre->group_count(host->context));
      add(&r, rhymes.text);
      add(&r, "; group ");
      add(&r, group >= 0 ? metre->group_name(host->context, group) : "none");
      add(&r, rhymes_in_group ? ", every rhyme in it" : ", a rhyme outside it");
      add(&r, "; line 2 asks ");
      add(&r, tones.text);
      break;
    case PATTERN:
      report_pattern(host, state, &r);
      if (active_before_end) add(&r, "; asks before a mark or the end");
      break;
  }
  log->warn(host->context, r.text);
  *result = state;
  return POET_OK;
}

static const poet_decoder reporter = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = REPORTER_NAME,
    .version = "1.0.0",
    .help = "reports what the extensions said, for tests",
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
    .create = create,
    .destroy = destroy,
    .model_changed = model_changed,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &reporter; }
