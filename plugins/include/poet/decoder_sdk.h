/* poet/decoder_sdk.h: helpers for writing decoders, shared by the built-in ones and free for any
 * plugin: choosing the likeliest token, sampling with temperature, top-k, top-p, min-p and
 * typical-p, sampling among what a rule of the decoder's own keeps (with a fallback), a write
 * loop, reading a poem and its lines back, a repetition penalty, spotting repetition, and beam
 * search over batched steps. Every helper is called on the poem's thread, as the host's
 * callbacks are (poet/decoder.h).
 *
 * Header-only C99 (every function static inline), so a plugin that uses it still depends on
 * nothing but poet/decoder.h and the C library. */
#ifndef POET_DECODER_SDK_H
#define POET_DECODER_SDK_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "poet/decoder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The token with the highest log-probability, or -1 when every one is -INFINITY. */
static inline poet_token poet_sdk_argmax(const float* log_probs, int32_t count) {
  poet_token best = -1;
  int32_t i;
  for (i = 0; i < count; ++i) {
    if (log_probs[i] > -INFINITY && (best < 0 || log_probs[i] > log_probs[best])) best = i;
  }
  return best;
}

/* How poet_sdk_sample_with draws. Start from poet_sdk_sampling_defaults(), where every filter is
 * off, and set what you need; the filters apply in this order, each to what the ones before it
 * kept, and each keeps at least one token. */
typedef struct poet_sdk_sampling {
  double temperature; /* divides the log-probabilities: below 1 sharpens, above 1 flattens;
                       * 0 or less takes the likeliest token (default 1) */
  int32_t top_k;      /* only the k likeliest tokens (default 0: all) */
  double top_p;       /* only the smallest set of likeliest tokens holding this much of the
                       * probability (default 1: all) */
  double min_p;       /* only tokens at least min_p times as likely as the likeliest one
                       * (default 0: all) */
  double typical_p;   /* locally typical sampling (Meister et al. 2023): only the tokens whose
                       * surprisal -log p is closest to the entropy, the closest first, until
                       * they hold this much of the probability (default 1: all) */
} poet_sdk_sampling;

/* Sampling as the distribution itself: temperature 1, every filter off. */
static inline poet_sdk_sampling poet_sdk_sampling_defaults(void) {
  poet_sdk_sampling sampling;
  sampling.temperature = 1;
  sampling.top_k = 0;
  sampling.top_p = 1;
  sampling.min_p = 0;
  sampling.typical_p = 1;
  return sampling;
}

/* Internal to poet_sdk_sample_with: a token and its weight. */
typedef struct poet_sdk_candidate {
  poet_token token;
  double weight; /* log-probability / temperature, then probability */
} poet_sdk_candidate;

/* Internal to poet_sdk_sample_with: whether a comes before b: the heavier first, and of two alike
 * the lower token, so that the order is total and every sort gives the same. */
static inline int poet_sdk_heavier(const poet_sdk_candidate* a, const poet_sdk_candidate* b) {
  return a->weight > b->weight || (a->weight == b->weight && a->token < b->token);
}

/* Internal to poet_sdk_sample_with: sorts candidates by poet_sdk_heavier. Written out because
 * sampling sorts at every step of every poem, and qsort's calls through a pointer cost several
 * times as much. Quicksort on the median of three, insertion sort for short runs, recursing into
 * the shorter side only. */
static inline void poet_sdk_sort_candidates(poet_sdk_candidate* c, size_t n) {
  while (n > 16) {
    poet_sdk_candidate pivot, t;
    size_t i = 0, j = n - 1, m = n / 2;
    if (poet_sdk_heavier(&c[m], &c[0])) t = c[m], c[m] = c[0], c[0] = t;
    if (poet_sdk_heavier(&c[n - 1], &c[0])) t = c[n - 1], c[n - 1] = c[0], c[0] = t;
    if (poet_sdk_heavier(&c[n - 1], &c[m])) t = c[n - 1], c[n - 1] = c[m], c[m] = t;
    pivot = c[m];
    for (;;) { /* Hoare's partition: [0, i) before the pivot or equal, (j, n) after or equal */
      while (poet_sdk_heavier(&c[i], &pivot)) ++i;
      while (poet_sdk_heavier(&pivot, &c[j])) --j;
      if (i >= j) break;
      t = c[i], c[i] = c[j], c[j] = t;
      ++i, --j;
    }
    if (j + 1 < n - j - 1) {
      poet_sdk_sort_candidates(c, j + 1);
      c += j + 1, n -= j + 1;
    } else {
      poet_sdk_sort_candidates(c + j + 1, n - j - 1);
      n = j + 1;
    }
  }
  {
    size_t i, j;
    for (i = 1; i < n; ++i) {
      const poet_sdk_candidate x = c[i];
      for (j = i; j > 0 && poet_sdk_heavier(&x, &c[j - 1]); --j) c[j] = c[j - 1];
      c[j] = x;
    }
  }
}

/* Internal to poet_sdk_sample_with: how far a candidate's surprisal is from the entropy. */
static inline double poet_sdk_atypicality(const poet_sdk_candidate* candidate, double total,
                                          double entropy) {
  return fabs(-log(candidate->weight / total) - entropy);
}

/* Draws a token from log_probs as `sampling` says (temperature, then top-k, top-p, min-p and
 * typical-p, each on the probabilities the filters before it left, renormalised). The one uniform
 * number comes from the host, so the draw is reproducible. Returns -1 after host->fail() when no
 * token is allowed or memory runs out: a chooser can pass the -1 on as it is. */
static inline poet_token poet_sdk_sample_with(const poet_host* host, const float* log_probs,
                                              const poet_sdk_sampling* sampling) {
  const int32_t count = host->vocabulary_size;
  const poet_token best = poet_sdk_argmax(log_probs, count);
  poet_sdk_candidate* candidates;
  size_t first = 0, kept = 0, i; /* the draw is among candidates[first, kept) */
  double total = 0, cumulative = 0, target, whole = 0;
  poet_token chosen;
  if (best < 0) {
    host->fail(host->context, "no character can come next");
    return -1;
  }
  if (sampling->temperature <= 0) return best;
  candidates = (poet_sdk_candidate*)malloc((size_t)count * sizeof *candidates);
  if (candidates == NULL) {
    host->fail(host->context, "out of memory");
    return -1;
  }
  /* Tokens e^-30 times less likely than the best one cannot be drawn in practice; leaving them
   * out keeps the sort short. */
  for (i = 0; i < (size_t)count; ++i) {
    const double weight = (log_probs[i] - log_probs[best]) / sampling->temperature;
    if (weight > -30) {
      candidates[kept].token = (poet_token)i;
      candidates[kept].weight = weight;
      ++kept;
    }
  }
  if (sampling->top_k <= 0 && sampling->top_p < 1) {
    /* Top-p alone: what lies outside the nucleus is known before sorting. With the weights in
     * buckets half a nat wide, once the buckets above one hold top_p of the whole probability, no
     * token in it or below can be drawn; only the rest is sorted (the sort is most of a step's
     * work in a batch of poems). */
    double mass[60] = {0}, above = 0;
    size_t cut = 0, j = 0;
    for (i = 0; i < kept; ++i) {
      const double p = exp(candidates[i].weight);
      mass[(int)(-candidates[i].weight * 2)] += p;
      whole += p;
    }
    while (cut < 60 && above < sampling->top_p * whole) above += mass[cut++];
    for (i = 0; i < kept; ++i) {
      if ((size_t)(-candidates[i].weight * 2) < cut) candidates[j++] = candidates[i];
    }
    kept = j;
  }
  poet_sdk_sort_candidates(candidates, kept);
  if (sampling->top_k > 0 && (size_t)sampling->top_k < kept) kept = (size_t)sampling->top_k;
  for (i = 0; i < kept; ++i) {
    candidates[i].weight = exp(candidates[i].weight);
    total += candidates[i].weight;
  }
  if (whole > 0) total = whole; /* top-p's share is of every token's probability */
  if (sampling->top_p < 1) {
    for (i = 0; i < kept; ++i) {
      cumulative += candidates[i].weight;
      if (cumulative >= sampling->top_p * total) {
        kept = i + 1;
        total = cumulative;
        break;
      }
    }
  }
  if (sampling->min_p > 0) {
    const double least = sampling->min_p * candidates[0].weight;
    for (i = 1; i < kept && candidates[i].weight >= least; ++i) {
    }
    kept = i;
    for (total = 0, i = 0; i < kept; ++i) total += candidates[i].weight;
  }
  if (sampling->typical_p < 1) {
    /* The candidates go from likeliest to least likely, so their surprisals rise and the ones
     * closest to the entropy are one run, around where the surprisal passes it: grow that run
     * from there toward the closer neighbour until it holds typical_p. */
    double entropy = 0, mass = 0;
    size_t end;
    for (i = 0; i < kept; ++i) {
      const double p = candidates[i].weight / total;
      entropy -= p * log(p);
    }
    for (first = 0; first < kept && -log(candidates[first].weight / total) < entropy; ++first) {
    }
    end = first;
    do {
      const int take_left =
          end == kept ||
          (first > 0 && poet_sdk_atypicality(&candidates[first - 1], total, entropy) <=
                            poet_sdk_atypicality(&candidates[end], total, entropy));
      mass += take_left ? candidates[--first].weight : candidates[end++].weight;
    } while (mass < sampling->typical_p * total && end - first < kept);
    kept = end;
    total = mass;
  }
  target = host->random(host->context) * total;
  chosen = candidates[kept - 1].token;
  cumulative = 0;
  for (i = first; i < kept; ++i) {
    cumulative += candidates[i].weight;
    if (target < cumulative) {
      chosen = candidates[i].token;
      break;
    }
  }
  free(candidates);
  return chosen;
}

/* Draws a token from log_probs / temperature, keeping only the top_k likeliest (0: all) and the
 * smallest set whose probability reaches top_p (1: all): poet_sdk_sample_with without min-p and
 * typical-p. Returns -1 after host->fail() if no token is allowed or memory runs out. */
static inline poet_token poet_sdk_sample(const poet_host* host, const float* log_probs,
                                         double temperature, int32_t top_k, double top_p) {
  poet_sdk_sampling sampling = poet_sdk_sampling_defaults();
  sampling.temperature = temperature;
  sampling.top_k = top_k;
  sampling.top_p = top_p;
  return poet_sdk_sample_with(host, log_probs, &sampling);
}

/* A rule of the decoder's own for the next token of `state`: non-zero keeps `token`. */
typedef int (*poet_sdk_keep)(const poet_host* host, poet_state state, poet_token token,
                             void* user);

/* Copies the row `log_probs` of `state` into `out` (host->vocabulary_size floats) with -INFINITY
 * for every token `keep` turns down; `keep` is asked only of tokens the host allows. Returns how
 * many tokens are left. */
static inline size_t poet_sdk_mask(const poet_host* host, poet_state state, const float* log_probs,
                                   poet_sdk_keep keep, void* user, float* out) {
  size_t left = 0;
  int32_t token;
  for (token = 0; token < host->vocabulary_size; ++token) {
    const int allowed = log_probs[token] > -INFINITY && keep(host, state, token, user);
    out[token] = allowed ? log_probs[token] : -INFINITY;
    left += allowed ? 1 : 0;
  }
  return left;
}

/* Draws as `sampling` says among the tokens `keep` keeps, or, where it keeps none, among every
 * token the host allows; then *fell_back (which may be NULL) is set to 1, else 0, so that the
 * decoder can say so (poet.log/1). Nothing drawn is no fallback: *fell_back is 0 with -1. Returns -1 after host->fail() when no token is allowed at all
 * or memory runs out. */
static inline poet_token poet_sdk_sample_kept(const poet_host* host, poet_state state,
                                              const float* log_probs,
                                              const poet_sdk_sampling* sampling,
                                              poet_sdk_keep keep, void* user, int* fell_back) {
  float* kept = (float*)malloc((size_t)host->vocabulary_size * sizeof *kept);
  size_t left;
  poet_token token;
  if (kept == NULL) {
    host->fail(host->context, "out of memory");
    return -1;
  }
  left = poet_sdk_mask(host, state, log_probs, keep, user, kept);
  token = poet_sdk_sample_with(host, left > 0 ? kept : log_probs, sampling);
  if (fell_back != NULL) *fell_back = left == 0 && token >= 0;
  free(kept);
  return token;
}

/* What a chooser returns to stop poet_sdk_write with POET_CANCELLED (say, once it sees
 * host->cancelled()); -1 stays an error. */
#define POET_SDK_CANCEL (-2)

/* Chooses the next token of `state` from its log-probabilities; -1 when it cannot (after
 * host->fail()), or POET_SDK_CANCEL to stop. `user` is whatever the decoder passed to
 * poet_sdk_write. */
typedef poet_token (*poet_sdk_chooser)(const poet_host* host, poet_state state,
                                       const float* log_probs, void* user);

/* Writes on from `state` one token at a time, each picked by `choose`, showing the text as it
 * goes, until the poem ends, or with stop_at_line_end until the current line ends. The state is
 * stepped in place. Returns POET_OK, POET_CANCELLED when `choose` returned POET_SDK_CANCEL or the
 * host stopped a step, or POET_ERROR. */
static inline int32_t poet_sdk_write(const poet_host* host, poet_state state,
                                     poet_sdk_chooser choose, void* user, int stop_at_line_end) {
  poet_position position;
  int32_t line, status;
  host->position(host->context, state, &position);
  line = position.line;
  while (!position.finished && !(stop_at_line_end && position.line != line)) {
    poet_token token = choose(host, state, host->log_probs(host->context, state), user);
    if (token == POET_SDK_CANCEL) return POET_CANCELLED;
    if (token < 0) return POET_ERROR;
    status = host->step(host->context, &state, &token, 1);
    if (status == POET_OK) status = host->show(host->context, state);
    if (status != POET_OK) return status;
    host->position(host->context, state, &position);
  }
  return POET_OK;
}

/* The poem so far of `state` (host->text), copied into *tokens, a malloc'd buffer of *capacity
 * tokens (it may start NULL and 0) that grows as needed; free it when done. Returns the poem's
 * length, or (size_t)-1 when memory runs out. */
static inline size_t poet_sdk_text(const poet_host* host, poet_state state, poet_token** tokens,
                                   size_t* capacity) {
  size_t length = host->text(host->context, state, *tokens, *capacity);
  if (length > *capacity) { /* a longer poem than ever: grow and ask again */
    poet_token* grown = (poet_token*)realloc(*tokens, length * 2 * sizeof *grown);
    if (grown == NULL) return (size_t)-1;
    *tokens = grown;
    *capacity = length * 2;
    length = host->text(host->context, state, *tokens, *capacity);
  }
  return length;
}

/* Whether a token is one of the punctuation marks that end a line: the vocabulary extension's
 * is_mark, answered from host->token_text without asking for the extension (decoders ask it of
 * every candidate). */
static inline int poet_sdk_is_mark(const poet_host* host, poet_token token) {
  static const char* const marks[] = {"\xef\xbc\x8c", "\xe3\x80\x82", "\xef\xbc\x9f",
                                      "\xef\xbc\x81", "\xef\xbc\x9b"};
  const char* text = host->token_text(host->context, token);
  size_t i;
  /* Every mark's UTF-8 begins with one of these two bytes, and few characters' do: most tokens
   * are told apart without a string comparison (decoders ask this for every candidate). */
  if (text == NULL || ((unsigned char)text[0] != 0xEF && (unsigned char)text[0] != 0xE3)) return 0;
  for (i = 0; i < sizeof marks / sizeof marks[0]; ++i) {
    if (strcmp(text, marks[i]) == 0) return 1;
  }
  return 0;
}

/* Line `line` (from 0) of a poem's tokens, as poet_sdk_text gives them: sets *begin to where it
 * starts and returns how many characters it has so far, its closing mark left out; a line not
 * begun yet has none, at *begin = count. */
static inline size_t poet_sdk_line(const poet_host* host, const poet_token* tokens, size_t count,
                                   int32_t line, size_t* begin) {
  size_t start = 0, end;
  int32_t at = 0;
  while (at < line && start < count) {
    if (poet_sdk_is_mark(host, tokens[start])) ++at;
    ++start;
  }
  if (at < line) start = count;
  for (end = start; end < count && !poet_sdk_is_mark(host, tokens[end]); ++end) {
  }
  *begin = start;
  return end - start;
}

/* A repetition penalty: lowers in `log_probs` (your copy of a row of host->log_probs, which it
 * changes) the log-probability of every character of `tokens` (a poem, as poet_sdk_text gives it)
 * by `penalty` for each time the poem has it, so a character used twice is e^(2 penalty) times
 * less likely than the model says. Marks are left alone: every line needs one. This subtracts
 * per use, like a frequency penalty, rather than dividing once as CTRL does. */
static inline void poet_sdk_repetition_penalty(const poet_host* host, float* log_probs,
                                               const poet_token* tokens, size_t count,
                                               double penalty) {
  size_t i;
  for (i = 0; i < count; ++i) {
    const poet_token token = tokens[i];
    if (token >= 0 && token < host->vocabulary_size && !poet_sdk_is_mark(host, token)) {
      log_probs[token] -= (float)penalty;
    }
  }
}

/* What poet_sdk_penalise keeps from step to step: the poem read back and a copy of the row, each
 * allocated once. Start from {0}; poet_sdk_penalised_free frees it. */
typedef struct poet_sdk_penalised {
  poet_token* tokens; /* the poem so far at the last call, `length` tokens */
  size_t length;
  size_t capacity;
  float* row;
} poet_sdk_penalised;

/* The row `log_probs` of `state` less poet_sdk_repetition_penalty for its poem so far, in p's copy
 * (log_probs itself when penalty is 0); the poem is left in p->tokens for other checks. NULL, after
 * host->fail(), when memory runs out. */
static inline const float* poet_sdk_penalise(const poet_host* host, poet_state state,
                                             const float* log_probs, double penalty,
                                             poet_sdk_penalised* p) {
  const size_t row_bytes = (size_t)host->vocabulary_size * sizeof *p->row;
  p->length = poet_sdk_text(host, state, &p->tokens, &p->capacity);
  if (p->length != (size_t)-1 && penalty <= 0) return log_probs;
  if (p->length != (size_t)-1 && p->row == NULL) p->row = (float*)malloc(row_bytes);
  if (p->length == (size_t)-1 || p->row == NULL) {
    host->fail(host->context, "out of memory");
    return NULL;
  }
  memcpy(p->row, log_probs, row_bytes);
  poet_sdk_repetition_penalty(host, p->row, p->tokens, p->length, penalty);
  return p->row;
}

static inline void poet_sdk_penalised_free(poet_sdk_penalised* p) {
  free(p->tokens);
  free(p->row);
  p->tokens = NULL;
  p->row = NULL;
  p->length = p->capacity = 0;
}

/* Whether appending `token` to a poem's tokens would repeat it: complete an n-gram of
 * characters (no marks) that the poem already has, when ngram > 1, or, when no_repeat_line is
 * set, make the line so far a copy of an earlier whole line: at its last character, which lets a
 * decoder turn away while it still can (the form may allow nothing but the mark after it), or at
 * the mark that closes a copied line. */
static inline int poet_sdk_repeats(const poet_host* host, const poet_token* tokens, size_t count,
                                   poet_token token, int32_t ngram, int no_repeat_line) {
  const int mark = token == host->end_token || poet_sdk_is_mark(host, token);
  size_t i, j;
  if (!mark && ngram > 1 && count + 1 >= (size_t)ngram) {
    const size_t n = (size_t)ngram, tail = count + 1 - n; /* the new n-gram starts at tail */
    for (j = tail; j < count; ++j) {
      if (poet_sdk_is_mark(host, tokens[j])) return 0;
    }
    for (i = 0; i + n <= count; ++i) {
      if (tokens[i + n - 1] != token ||
          memcmp(tokens + i, tokens + tail, (n - 1) * sizeof *tokens) != 0)
        continue;
      for (j = i; j < i + n && !poet_sdk_is_mark(host, tokens[j]); ++j) {
      }
      if (j == i + n) return 1;
    }
  }
  if (no_repeat_line && token != host->end_token) {
    size_t line_start = count, length, end;
    while (line_start > 0 && !poet_sdk_is_mark(host, tokens[line_start - 1])) --line_start;
    /* The line so far, with the token unless a mark: `length` characters. An earlier line is a
     * copy of it when it is [end - length, end), closed by a mark at `end` and opened by one (or
     * the poem's start). Whole tokens are compared first, the marks last, as this runs for every
     * candidate of a beam. */
    length = count - line_start + (mark ? 0 : 1);
    if (length == 0 || line_start == 0) return 0;
    for (end = length; end < line_start; ++end) {
      const size_t start = end - length;
      if ((mark || tokens[end - 1] == token) &&
          memcmp(tokens + start, tokens + line_start, (count - line_start) * sizeof *tokens) == 0 &&
          poet_sdk_is_mark(host, tokens[end]) &&
          (start == 0 || poet_sdk_is_mark(host, tokens[start - 1]))) {
        return 1;
      }
    }
  }
  return 0;
}

/* The likeliest token that does not repeat the poem (poet_sdk_repeats), or the likeliest of all
 * when every allowed one would: a greedy decoder that turns away from repeats but never stops over
 * them. -1 when every token is -INFINITY. */
static inline poet_token poet_sdk_argmax_unrepeated(const poet_host* host, const float* log_probs,
                                                    const poet_token* tokens, size_t count,
                                                    int32_t ngram, int no_repeat_line) {
  const poet_token best = poet_sdk_argmax(log_probs, host->vocabulary_size);
  poet_token fresh = -1;
  int32_t i;
  if (best < 0 || !poet_sdk_repeats(host, tokens, count, best, ngram, no_repeat_line)) return best;
  for (i = 0; i < host->vocabulary_size; ++i) {
    if (log_probs[i] > -INFINITY && (fresh < 0 || log_probs[i] > log_probs[fresh]) &&
        !poet_sdk_repeats(host, tokens, count, (poet_token)i, ngram, no_repeat_line)) {
      fresh = (poet_token)i;
    }
  }
  return fresh >= 0 ? fresh : best;
}

/* Settings of poet_sdk_beam_search. Start from poet_sdk_beam_defaults() and set what you need, so
 * that a field added later keeps its neutral value. */
typedef struct poet_sdk_beam_options {
  int32_t width;            /* hypotheses kept after each step (default 8) */
  double length_penalty;    /* a finished hypothesis scores log-probability / length^length_penalty
                             * (default 0) */
  int32_t no_repeat_ngram;  /* as poet_sdk_repeats (default 0: off) */
  int32_t no_repeat_line;   /* as poet_sdk_repeats (default 0: off) */
  int32_t stop_at_line_end; /* finish a hypothesis when its current line ends, not the poem
                             * (default 0) */
  double repeat_penalty;    /* scores each token as poet_sdk_repetition_penalty lowers it
                             * (default 0: as the model says) */
} poet_sdk_beam_options;

static inline poet_sdk_beam_options poet_sdk_beam_defaults(void) {
  poet_sdk_beam_options options;
  options.width = 8;
  options.length_penalty = 0;
  options.no_repeat_ngram = 0;
  options.no_repeat_line = 0;
  options.stop_at_line_end = 0;
  options.repeat_penalty = 0;
  return options;
}

/* Internal to poet_sdk_beam_search: a partial poem. */
typedef struct poet_sdk_hypothesis {
  poet_state state;
  double score;  /* summed log-probability of the tokens chosen by the search */
  size_t length; /* tokens chosen by the search */
  int32_t line;  /* the line it started on (for stop_at_line_end) */
} poet_sdk_hypothesis;

static inline double poet_sdk_normalised(const poet_sdk_hypothesis* h, double length_penalty) {
  return h->length == 0 ? h->score : h->score / pow((double)h->length, length_penalty);
}

static inline int poet_sdk_by_score_descending(const void* a, const void* b) {
  const double x = ((const poet_sdk_hypothesis*)a)->score,
               y = ((const poet_sdk_hypothesis*)b)->score;
  return x > y ? -1 : x < y ? 1 : 0;
}

/* Beam search from `start` (which it takes over) until the poem ends, or with stop_at_line_end
 * until the current line ends. Every hypothesis in a round is stepped in one batched call. Stores
 * the best finished state in *result and returns POET_OK, or a poet_status. */
static inline int32_t poet_sdk_beam_search(const poet_host* host, poet_state start,
                                           const poet_sdk_beam_options* options,
                                           poet_state* result) {
  const size_t width = options->width > 0 ? (size_t)options->width : 1;
  const int32_t vocabulary = host->vocabulary_size;
  /* live: hypotheses being extended; candidates: their expansions, each (parent, token, score) */
  poet_sdk_hypothesis* live = (poet_sdk_hypothesis*)malloc(width * sizeof *live);
  poet_sdk_hypothesis* next = (poet_sdk_hypothesis*)malloc(width * sizeof *next);
  poet_sdk_hypothesis* candidates =
      (poet_sdk_hypothesis*)malloc(width * width * sizeof *candidates);
  poet_token* chosen = (poet_token*)malloc(width * width * sizeof *chosen);
  poet_state* parents = (poet_state*)malloc(width * sizeof *parents);
  poet_state* states = (poet_state*)malloc(width * sizeof *states);
  poet_token* tokens = (poet_token*)malloc(width * sizeof *tokens);
  poet_sdk_penalised poem = {0}; /* a hypothesis's poem, and its row less the penalty */
  poet_sdk_hypothesis best;
  size_t live_count = 1, i, j, k;
  int32_t status = POET_OK;
  poet_position position;

  best.state = -1;
  best.score = -INFINITY;
  if (!live || !next || !candidates || !chosen || !parents || !states || !tokens) {
    host->fail(host->context, "beam search: out of memory");
    status = POET_ERROR;
    live_count = 0;
  } else {
    host->position(host->context, start, &position);
    live[0].state = start;
    live[0].score = 0;
    live[0].length = 0;
    live[0].line = position.line;
  }

  while (live_count > 0 && status == POET_OK) {
    size_t candidate_count = 0, next_count = 0;
    /* Each hypothesis proposes its `width` best tokens that do not repeat the poem. */
    for (i = 0; i < live_count; ++i) {
      const float* log_probs =
          poet_sdk_penalise(host, live[i].state, host->log_probs(host->context, live[i].state),
                            options->repeat_penalty, &poem);
      size_t found = 0;
      if (log_probs == NULL) break;
      for (j = 0; j < width; ++j) chosen[i * width + j] = -1;
      for (k = 0; k < (size_t)vocabulary; ++k) { /* insertion into the top `width`, by log-prob */
        const float value = log_probs[k];
        size_t at;
        if (!(value > -INFINITY)) continue;
        if (found == width && value <= log_probs[chosen[i * width + width - 1]]) continue;
        if (poet_sdk_repeats(host, poem.tokens, poem.length, (poet_token)k,
                             options->no_repeat_ngram, options->no_repeat_line)) {
          continue;
        }
        at = found < width ? found++ : width - 1;
        while (at > 0 && log_probs[chosen[i * width + at - 1]] < value) {
          chosen[i * width + at] = chosen[i * width + at - 1];
          --at;
        }
        chosen[i * width + at] = (poet_token)k;
      }
      for (j = 0; j < found; ++j) {
        poet_sdk_hypothesis* c = &candidates[candidate_count++];
        c->state = (poet_state)(i * width + j); /* its slot in `chosen` until it is stepped */
        c->score = live[i].score + log_probs[chosen[i * width + j]];
        c->length = live[i].length + 1;
        c->line = live[i].line;
      }
    }
    if (i < live_count) { /* out of memory, told to the host by poet_sdk_penalise */
      status = POET_ERROR;
      break;
    }
    if (candidate_count == 0) break; /* every continuation repeats: keep the best finished one */
    qsort(candidates, candidate_count, sizeof *candidates, poet_sdk_by_score_descending);
    if (candidate_count > width) candidate_count = width;

    /* Step the survivors in one batch: a parent's first child takes its state, later ones a clone.
     */
    for (i = 0; i < live_count; ++i) parents[i] = live[i].state;
    for (i = 0; i < candidate_count; ++i) {
      const size_t slot = (size_t)candidates[i].state, parent = slot / width;
      poet_state state = parents[parent];
      if (state < 0) {
        state = host->clone(host->context, live[parent].state);
        if (state < 0) {
          status = POET_ERROR;
          break;
        }
      } else {
        parents[parent] = -1;
      }
      states[next_count] = state;
      tokens[next_count] = chosen[slot];
      next[next_count] = candidates[i];
      next[next_count].state = state;
      ++next_count;
    }
    for (i = 0; i < live_count; ++i) {
      if (parents[i] >= 0) host->release(host->context, parents[i]);
    }
    if (status == POET_OK) status = host->step(host->context, states, tokens, next_count);
    live_count = 0;
    for (i = 0; i < next_count; ++i) {
      host->position(host->context, next[i].state, &position);
      if (status == POET_OK && !position.finished &&
          !(options->stop_at_line_end && position.line != next[i].line)) {
        live[live_count++] = next[i];
        continue;
      }
      if (status == POET_OK &&
          poet_sdk_normalised(&next[i], options->length_penalty) >
              (best.state < 0 ? -INFINITY : poet_sdk_normalised(&best, options->length_penalty))) {
        if (best.state >= 0) host->release(host->context, best.state);
        best = next[i];
      } else {
        host->release(host->context, next[i].state);
      }
    }
    /* A live hypothesis that cannot beat the best finished one even at zero further cost is dropped
     * (log-probabilities only fall); without a length penalty that ends the search early. */
    if (best.state >= 0 && options->length_penalty == 0) {
      for (i = 0, j = 0; i < live_count; ++i) {
        if (live[i].score > best.score) {
          live[j++] = live[i];
        } else {
          host->release(host->context, live[i].state);
        }
      }
      live_count = j;
    }
  }
  for (i = 0; i < live_count; ++i) host->release(host->context, live[i].state);
  free(live);
  free(next);
  free(candidates);
  free(chosen);
  free(parents);
  free(states);
  free(tokens);
  poet_sdk_penalised_free(&poem);
  if (status == POET_OK && best.state < 0) {
    host->fail(host->context, "beam search: every continuation repeated the poem");
    status = POET_ERROR;
  }
  if (status != POET_OK) {
    if (best.state >= 0) host->release(host->context, best.state);
    return status;
  }
  *result = best.state;
  return POET_OK;
}

#ifdef __cplusplus
}
#endif

#endif /* POET_DECODER_SDK_H */
