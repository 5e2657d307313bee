/* A decoder for the isolation tests: its `mode` picks how it ends, from writing a poem well to
 * each way a plugin can take its process down or reach past it. In `write` mode it also asks the
 * host everything an isolated decoder's host answers, checks that a row stays in place while
 * another is read, and reports what it found through the log extension, for the tests to
 * compare. */
#define _GNU_SOURCE
#include <poet/decoder.h>
#include <poet/decoder_ext.h>
#include <poet/decoder_sdk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum { WRITE, SEGFAULT, ABORT, ALLOCATE, HANG, WAIT_FOR_CANCEL, HOARD, LIFT_LIMIT, CHATTER, SPAWN };

static const poet_param_info params[] = {
    {"mode", POET_PARAM_CHOICE, WRITE, 0, 0,
     "write|segfault|abort|allocate|hang|wait-for-cancel|hoard|lift-limit|chatter|spawn",
     "how decode() ends"},
    {"chunk-mb", POET_PARAM_INT, 8, 1, 64, NULL,
     "megabytes per allocation in allocate mode, and written in chatter mode"},
};

/* This process, told apart from the others crashy ran in: a number drawn when it loads (its
 * process id in a namespace of its own, which the runner may make, is the same in every one). */
static unsigned long long process_mark;

__attribute__((constructor)) static void draw_process_mark(void) {
  FILE* random = fopen("/dev/urandom", "rb");
  if (random == NULL || fread(&process_mark, sizeof process_mark, 1, random) != 1) abort();
  fclose(random);
}

static void write_all(int fd, const char* bytes, size_t size) {
  while (size > 0) {
    const ssize_t written = write(fd, bytes, size);
    if (written <= 0) return;
    bytes += written;
    size -= (size_t)written;
  }
}

/* Terminal controls, bytes that are not UTF-8 and a newline on standard output, `megabytes` of
 * 'x' after them, then a line on standard error. */
static void chatter(size_t megabytes) {
  static const char controls[] = "\x1b[2J\x1b]0;owned\x07\xff\xfe\nhello";
  char block[65536];
  size_t i;
  memset(block, 'x', sizeof block);
  write_all(1, controls, sizeof controls - 1);
  for (i = 0; i < megabytes * 16; ++i) write_all(1, block, sizeof block);
  write_all(2, "bye\n", 4);
}

/* A grandchild in a session of its own, which outlives this process unless poet ends it: it makes
 * a file in $POET_TEST_SPAWN_DIR and holds a lock on it until it ends (a lock rather than its
 * process id, which inside a namespace is not the one the tests see), then sleeps. Returns once
 * the lock is held. */
static void spawn(void) {
  int locked[2];
  pid_t child;
  if (pipe(locked) != 0) return;
  child = fork();
  if (child == 0) {
    setsid();
    if (fork() == 0) {
      const char* dir = getenv("POET_TEST_SPAWN_DIR");
      char path[4096];
      if (dir != NULL && snprintf(path, sizeof path, "%s/spawned-XXXXXX", dir) < (int)sizeof path) {
        const int fd = mkstemp(path);
        if (fd >= 0 && flock(fd, LOCK_EX) == 0) write_all(locked[1], "!", 1);
      }
      close(locked[1]);
      for (;;) pause();
    }
    _exit(0);
  }
  close(locked[1]);
  if (child > 0) {
    char done;
    ssize_t got;
    waitpid(child, NULL, 0);
    got = read(locked[0], &done, 1); /* the lock, or the grandchild gave up */
    (void)got;
  }
  close(locked[0]);
}

typedef struct instance {
  int model_changes;
} instance;

static int creates; /* in this process */

static void* create(const poet_host* host) {
  (void)host;
  ++creates;
  return calloc(1, sizeof(instance));
}

static void model_changed(void* self, const poet_host* host) {
  (void)host;
  ++((instance*)self)->model_changes;
}

static void destroy(void* self) {
  const char* log = getenv("POET_TEST_DESTROY_LOG");
  FILE* file = log != NULL ? fopen(log, "a") : NULL;
  if (file != NULL) {
    fprintf(file, "destroyed in %llx\n", process_mark);
    fclose(file);
  }
  free(self);
}

static poet_token likeliest(const poet_host* host, poet_state state, const float* log_probs,
                            void* user) {
  (void)state;
  (void)user;
  return poet_sdk_argmax(log_probs, host->vocabulary_size);
}

/* Reads the rows of the start and a clone of it: the first must not move or change meanwhile. */
static int rows_stay(const poet_host* host, poet_state start) {
  const size_t size = (size_t)host->vocabulary_size * sizeof(float);
  const poet_state other = host->clone(host->context, start);
  const float* first = host->log_probs(host->context, start);
  float* copy = malloc(size);
  int same;
  if (other < 0 || copy == NULL) return 0;
  memcpy(copy, first, size);
  host->log_probs(host->context, other);
  same = memcmp(copy, first, size) == 0;
  free(copy);
  host->release(host->context, other);
  return same;
}

static int32_t write_poem(const poet_host* host, const poet_request* request, poet_state* result) {
  const instance* self = (const instance*)request->instance;
  const poet_ext_form* form = host->get_extension(host->context, POET_EXT_FORM);
  const poet_ext_vocabulary* vocabulary = host->get_extension(host->context, POET_EXT_VOCABULARY);
  const poet_ext_metre* metre = host->get_extension(host->context, POET_EXT_METRE);
  const poet_ext_metre_2* metre_2 = host->get_extension(host->context, POET_EXT_METRE_2);
  const poet_ext_log* log = host->get_extension(host->context, POET_EXT_LOG);
  poet_form shape;
  poet_form_place place;
  poet_metre_ask ask;
  poet_metre_pattern pattern;
  int32_t tones[4];
  size_t tone_count;
  int32_t strict_tone;
  poet_token tokens[64];
  int32_t groups[4];
  char report[512];
  size_t length;
  int32_t status;
  if (form == NULL || vocabulary == NULL || metre == NULL || metre_2 == NULL || log == NULL) {
    host->fail(host->context, "an extension is missing");
    return POET_ERROR;
  }
  if (!rows_stay(host, request->start)) {
    host->fail(host->context, "a row moved while another was read");
    return POET_ERROR;
  }
  form->shape(host->context, &shape);
  form->place(host->context, request->start, &place);
  metre->ask(host->context, request->start, &ask);
  metre_2->pattern(host->context, request->start, &pattern);
  strict_tone = metre_2->strict_tone(host->context, request->start);
  tone_count = metre_2->tone_table(host->context, tones, 4);
  status = poet_sdk_write(host, request->start, likeliest, NULL, 0);
  if (status != POET_OK) return status;
  length = host->text(host->context, request->start, tokens, 64);
  snprintf(report, sizeof report,
           "process=%llx creates=%d changes=%d poem=%d/%d params=%g,%g form=%dx%d place=%d ask=%d "
           "text=%d:%s book=%s group=%s tone=%d groups=%d token=%d mark=%d random=%g rule=%d "
           "table=%d:%d%d%d pattern=%d%d%d%d strict=%d asks=%d",
           process_mark, creates, self->model_changes, request->poem_index, request->poem_count,
           request->params[0], request->params[1],
           shape.line_count_count > 0 ? shape.line_counts[0] : 0,
           shape.line_length_count > 0 ? shape.line_lengths[0] : 0, place.line_length, ask.tones,
           (int)length, vocabulary->text(host->context, tokens[0]), metre->book(host->context),
           metre->group_name(host->context, 1), metre->tone(host->context, tokens[1]),
           (int)metre->groups(host->context, tokens[1], groups, 4),
           vocabulary->token(host->context, "\xe6\x9c\x88", 3),
           vocabulary->is_mark(host->context, 1), host->random(host->context),
           metre_2->tones_rule(host->context), (int)tone_count, tones[1], tones[2], tones[3],
           pattern.settled, pattern.line_length, pattern.level_start, pattern.first_line_rhymes,
           metre_2->pattern_tone(host->context, &pattern, 1, 1), strict_tone);
  log->warn(host->context, report);
  *result = request->start;
  return POET_OK;
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  static void* volatile kept; /* what allocate mode holds, so that no allocation is left out */
  volatile int* volatile nowhere = (int*)16;
  volatile int spin = 1;
  const size_t chunk = (size_t)request->params[1] << 20;
  struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  switch ((int)request->params[0]) {
    case WRITE:
      return write_poem(host, request, result);
    case CHATTER:
      chatter((size_t)request->params[1]);
      return write_poem(host, request, result);
    case SPAWN:
      spawn();
      return write_poem(host, request, result);
    case SEGFAULT:
      *nowhere = 1;
      return POET_ERROR;
    case ABORT:
      abort();
    case LIFT_LIMIT: /* as far as it is let, then allocates as allocate mode does */
      if (setrlimit(RLIMIT_AS, &unlimited) != 0 && getrlimit(RLIMIT_AS, &unlimited) == 0) {
        unlimited.rlim_cur = unlimited.rlim_max;
        setrlimit(RLIMIT_AS, &unlimited);
      }
      /* fall through */
    case ALLOCATE: /* calling poet as it goes (a draw), so that only the memory limit ends it */
      while (host->random(host->context) >= 0) {
        void** block = malloc(chunk);
        if (block == NULL) abort(); /* as xmalloc() does */
        memset(block, 1, chunk);
        *block = kept;
        kept = block;
      }
      return POET_ERROR;
    case HANG:
      while (spin) {
      }
      return POET_ERROR;
    case WAIT_FOR_CANCEL:
      while (!host->cancelled(host->context)) {
      }
      return POET_CANCELLED;
    default: /* HOARD: clones states until the host gives no more */
      while (host->clone(host->context, request->start) >= 0) {
      }
      host->fail(host->context, "out of states");
      return POET_ERROR;
  }
}

/* An alias, so that the tests see one cross from the runner (--how segfault). */
static const poet_option_alias aliases[] = {{"how", "mode"}};
static const poet_plugin_options options = {aliases, 1};

static const void* get_extension(const char* id) {
  return strcmp(id, POET_PLUGIN_EXT_OPTIONS) == 0 ? &options : NULL;
}

static const poet_decoder crashy = {POET_DECODER_ABI_VERSION,
                                    "crashy",
                                    "1.0.0",
                                    "ends each way a plugin can, for the isolation tests",
                                    POET_CAP_STREAMS,
                                    params,
                                    sizeof params / sizeof params[0],
                                    NULL,
                                    decode,
                                    create,
                                    destroy,
                                    model_changed,
                                    get_extension};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &crashy; }
