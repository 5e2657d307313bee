/* An acrostic decoder built against the frozen ABI 1 header, as a plugin compiled before ABI 3
 * was: it declares POET_CAP_HEADS and steps each head itself, then writes the rest of the line
 * greedily. poet must go on letting it step the heads (and hold it to them). */
#include <poet/decoder.h>

static int32_t step_best(const poet_host* host, poet_state state) {
  const float* log_probs = host->log_probs(host->context, state);
  poet_token best = -1, t;
  for (t = 0; t < host->vocabulary_size; ++t) {
    if (log_probs[t] > -1e30f && (best < 0 || log_probs[t] > log_probs[best])) best = t;
  }
  return host->step(host->context, &state, &best, 1);
}

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  poet_state state = request->start;
  poet_position position;
  size_t i;
  int32_t status = POET_OK;
  *result = state;
  for (i = 0; i < request->head_count && status == POET_OK; ++i) {
    status = host->step(host->context, &state, &request->heads[i], 1);
    for (host->position(host->context, state, &position);
         status == POET_OK && !position.finished && position.line == (int32_t)i;
         host->position(host->context, state, &position)) {
      status = step_best(host, state);
    }
  }
  for (host->position(host->context, state, &position); status == POET_OK && !position.finished;
       host->position(host->context, state, &position)) {
    status = step_best(host, state);
  }
  if (status == POET_OK) status = host->show(host->context, state);
  return status;
}

static const poet_decoder old_acrostic = {1,
                                          "old-acrostic",
                                          "1.0.0",
                                          "acrostic heads stepped by the decoder, built for ABI 1",
                                          POET_CAP_HEADS,
                                          NULL,
                                          0,
                                          NULL,
                                          decode};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &old_acrostic; }
