/* tonal: sampling that keeps every position of a regulated poem to the tone its pattern asks, as
 * --tones strict would, whatever the user chose, and that makes the characters of a couplet's
 * first line less likely in its second, so the two lines answer rather than echo. Where no
 * character of the asked tone can come, it takes what poet allows and says so, once a poem.
 * Built on poet.metre/2 (the tone strict asks of the next place, every token's tone at once)
 * and the SDK's helpers (sampling among what a rule keeps, with a fallback; a poem's lines). */
#include <poet/decoder.h>
#include <poet/decoder_ext.h>
#include <poet/decoder_sdk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TEMPERATURE, TOP_P, COUPLET_PENALTY };

static const poet_param_info params[] = {
    {"temperature", POET_PARAM_REAL, 0.9, 0.05, 5, NULL, "below 1 keeps to likely characters"},
    {"top-p", POET_PARAM_REAL, 0.95, 0.01, 1, NULL,
     "draw only from the likeliest characters holding this much probability"},
    {"couplet-penalty", POET_PARAM_REAL, 2, 0, 20, NULL,
     "log-probability taken off a character of a couplet's first line in its second"},
};

/* Ids that stay when a parameter is renamed or moved, so the user's settings survive a rebuild. */
static const uint32_t ids[] = {1, 2, 3};
static const poet_plugin_param_ids param_ids = {ids, 3};

static const void* get_extension(const char* id) {
  return strcmp(id, POET_PLUGIN_EXT_PARAM_IDS) == 0 ? &param_ids : NULL;
}

/* One poem's working state: what poet offers, and buffers kept from character to character. */
typedef struct poem {
  const double* params;
  const poet_ext_form* form;
  const poet_ext_metre_2* metre; /* NULL: no metre lexicon in use */
  const poet_ext_log* log;
  int32_t* tones;                /* every token's tone, read once */
  poet_token* text;              /* the poem so far (poet_sdk_text) */
  size_t capacity;
  float* row;                    /* the model's row, less the couplet penalty */
  int32_t wanted;                /* the tone asked of the next character, or POET_TONE_UNKNOWN */
  int warned;
} poem;

/* The rule poet_sdk_sample_kept applies: a character of the asked tone, or one read both ways;
 * a mark or the end, where the line or poem may end, has no tone to keep. */
static int keeps_tone(const poet_host* host, poet_state state, poet_token token, void* user) {
  const poem* p = (const poem*)user;
  (void)state;
  return p->wanted == POET_TONE_UNKNOWN || p->wanted == POET_TONE_EITHER ||
         p->tones[token] == p->wanted || p->tones[token] == POET_TONE_EITHER ||
         token == host->end_token || poet_sdk_is_mark(host, token);
}

static poet_token choose(const poet_host* host, poet_state state, const float* log_probs,
                         void* user) {
  poem* p = (poem*)user;
  poet_form_place place;
  poet_sdk_sampling sampling = poet_sdk_sampling_defaults();
  int fell_back = 0;
  poet_token token;
  p->form->place(host->context, state, &place);
  /* The tone strict would ask here: level or oblique, or either while the patterns disagree. */
  p->wanted = p->metre != NULL ? p->metre->strict_tone(host->context, state) : POET_TONE_UNKNOWN;
  memcpy(p->row, log_probs, (size_t)host->vocabulary_size * sizeof *p->row);
  if (place.line % 2 == 1) { /* the second line of a couplet: lower what its first line said */
    size_t begin, i, length = poet_sdk_text(host, state, &p->text, &p->capacity), count;
    if (length == (size_t)-1) {
      host->fail(host->context, "out of memory");
      return -1;
    }
    count = poet_sdk_line(host, p->text, length, place.line - 1, &begin);
    for (i = begin; i < begin + count; ++i) p->row[p->text[i]] -= (float)p->params[COUPLET_PENALTY];
  }
  sampling.temperature = p->params[TEMPERATURE];
  sampling.top_p = p->params[TOP_P];
  token = poet_sdk_sample_kept(host, state, p->row, &sampling, keeps_tone, p, &fell_back);
  if (fell_back && !p->warned && p->log != NULL) {
    char message[96];
    snprintf(message, sizeof message, "line %d, place %d: no character of the asked tone fits",
             (int)place.line + 1, (int)place.column + 1);
    p->log->warn(host->context, message);
    p->warned = 1;
  }
  return token;
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  poem p;
  int32_t status = POET_ERROR;
  memset(&p, 0, sizeof p);
  p.params = request->params;
  p.form = (const poet_ext_form*)host->get_extension(host->context, POET_EXT_FORM);
  p.metre = (const poet_ext_metre_2*)host->get_extension(host->context, POET_EXT_METRE_2);
  p.log = (const poet_ext_log*)host->get_extension(host->context, POET_EXT_LOG);
  p.tones = (int32_t*)calloc((size_t)host->vocabulary_size, sizeof *p.tones);
  p.row = (float*)malloc((size_t)host->vocabulary_size * sizeof *p.row);
  *result = request->start;
  if (p.form == NULL) {
    host->fail(host->context, "this poet has no form extension");
  } else if (p.tones == NULL || p.row == NULL) {
    host->fail(host->context, "out of memory");
  } else {
    if (p.metre != NULL) p.metre->tone_table(host->context, p.tones, (size_t)host->vocabulary_size);
    status = poet_sdk_write(host, request->start, choose, &p, 0);
  }
  free(p.tones);
  free(p.text);
  free(p.row);
  return status;
}

static const poet_decoder tonal = {
    .abi_version = POET_DECODER_ABI_VERSION,
    .name = "tonal",
    .version = "1.0.0",
    .help = "samples, every place in its pattern's tone, a couplet's lines not echoing",
    /* Nothing is kept between poems, so several may be written at once. */
    .capabilities = POET_CAP_STREAMS | POET_CAP_BATCHES,
    .params = params,
    .param_count = sizeof params / sizeof params[0],
    .decode = decode,
    .get_extension = get_extension,
};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &tonal; }
