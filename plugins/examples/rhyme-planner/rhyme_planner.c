/* rhyme-planner: sampling that plans toward each line's end. It reads the form (how far the line
 * has to go) and the metre lexicon (whether the next character is a rhyme, and which group the
 * poem rhymes in), both through ABI 2 extensions:
 * - the temperature falls over a line's last characters, so lines close on what the model is
 *   surest of;
 * - a rhyme is the likeliest character of the poem's group, never a long shot;
 * - a rhyme group with few characters in the model's vocabulary gets a warning, once per poem.
 * Its instance keeps a table of the groups' sizes, rebuilt when the model or the rhyme book
 * changes. A complete example of a plugin written outside poet's tree. */
#include <poet/decoder.h>
#include <poet/decoder_ext.h>
#include <poet/decoder_sdk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TEMPERATURE, LINE_END_TEMPERATURE, TOP_P, NARROW_GROUP };

static const poet_param_info params[] = {
    {"temperature", POET_PARAM_REAL, 1, 0.05, 5, NULL, "within a line"},
    {"line-end-temperature", POET_PARAM_REAL, 0.5, 0.05, 5, NULL,
     "for a line's last two characters"},
    {"top-p", POET_PARAM_REAL, 0.9, 0.01, 1, NULL,
     "draw only from the likeliest characters holding this much probability"},
    {"narrow-group", POET_PARAM_INT, 40, 0, 100000, NULL,
     "warn when the rhyme group has fewer characters than this in the vocabulary"},
};

#define MAX_GROUPS 32

/* The instance: how many of the vocabulary's characters each group of a book holds. */
typedef struct planner {
  char book[32]; /* the book the table is for; empty: no table yet */
  int32_t group_sizes[MAX_GROUPS];
} planner;

static void* create(const poet_host* host) {
  planner* self = (planner*)calloc(1, sizeof *self);
  if (self == NULL) host->fail(host->context, "out of memory");
  return self;
}

static void destroy(void* self) { free(self); }

/* Another model: another vocabulary, so the table is stale. */
static void model_changed(void* self, const poet_host* host) {
  (void)host;
  ((planner*)self)->book[0] = '\0';
}

static void count_groups(planner* self, const poet_host* host, const poet_ext_metre* metre) {
  const char* book = metre->book(host->context);
  poet_token token;
  if (strcmp(self->book, book) == 0) return;
  memset(self->group_sizes, 0, sizeof self->group_sizes);
  for (token = 0; token < host->vocabulary_size; ++token) {
    int32_t groups[MAX_GROUPS];
    const size_t count = metre->groups(host->context, token, groups, MAX_GROUPS);
    size_t i;
    for (i = 0; i < count && i < MAX_GROUPS; ++i) self->group_sizes[groups[i]] += 1;
  }
  snprintf(self->book, sizeof self->book, "%s", book);
}

typedef struct poem {
  const poet_host* host;
  const double* params;
  const poet_ext_form* form;
  const poet_ext_metre* metre; /* NULL: no metre lexicon in use */
  planner* self;
  int warned;
} poem;

static poet_token choose(const poet_host* host, poet_state state, const float* log_probs,
                         void* user) {
  poem* p = (poem*)user;
  poet_form_place place;
  double temperature = p->params[TEMPERATURE];
  p->form->place(host->context, state, &place);
  if (place.line_length > 0 && place.line_length - place.column <= 2)
    temperature = p->params[LINE_END_TEMPERATURE];
  if (p->metre != NULL) {
    poet_metre_ask ask;
    p->metre->ask(host->context, state, &ask);
    if (ask.active && ask.rhyme) {
      /* The host lets through only characters that can rhyme here; take the likeliest. */
      temperature = 0;
      if (ask.group >= 0 && !p->warned &&
          p->self->group_sizes[ask.group] < (int32_t)p->params[NARROW_GROUP]) {
        const poet_ext_log* log =
            (const poet_ext_log*)host->get_extension(host->context, POET_EXT_LOG);
        char message[160];
        snprintf(message, sizeof message, "the rhyme group %s has only %d characters to rhyme on",
                 p->metre->group_name(host->context, ask.group), (int)p->self->group_sizes[ask.group]);
        if (log != NULL) log->warn(host->context, message);
        p->warned = 1;
      }
    }
  }
  return poet_sdk_sample(host, log_probs, temperature, 0, p->params[TOP_P]);
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  poem p;
  p.host = host;
  p.params = request->params;
  p.form = (const poet_ext_form*)host->get_extension(host->context, POET_EXT_FORM);
  p.metre = (const poet_ext_metre*)host->get_extension(host->context, POET_EXT_METRE);
  p.self = (planner*)request->instance;
  p.warned = 0;
  *result = request->start;
  if (p.form == NULL) {
    host->fail(host->context, "this poet has no form extension");
    return POET_ERROR;
  }
  if (p.metre != NULL) count_groups(p.self, host, p.metre);
  return poet_sdk_write(host, request->start, choose, &p, 0);
}

static const poet_decoder rhyme_planner = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "rhyme-planner",
    .version = "1.0.0",
    .help = "samples, cooling toward each line's end and landing rhymes on the likeliest",
    .capabilities = POET_CAP_STREAMS,
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
    .create = create,
    .destroy = destroy,
    .model_changed = model_changed,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &rhyme_planner; }
