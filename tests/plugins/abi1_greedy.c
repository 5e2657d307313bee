/* A greedy decoder built against the frozen ABI 1 header (tests/plugins/abi1/poet/decoder.h), as
 * a plugin compiled before ABI 2 was: poet must go on loading it and writing with it. */
#include <poet/decoder.h>

static int32_t decode(const poet_host* host, const poet_request* request, poet_state* result) {
  poet_state state = request->start;
  poet_position position;
  *result = state;
  for (host->position(host->context, state, &position); !position.finished;
       host->position(host->context, state, &position)) {
    const float* log_probs = host->log_probs(host->context, state);
    poet_token best = -1, t;
    int32_t status;
    for (t = 0; t < host->vocabulary_size; ++t) {
      if (log_probs[t] > -1e30f && (best < 0 || log_probs[t] > log_probs[best])) best = t;
    }
    status = host->step(host->context, &state, &best, 1);
    if (status == POET_OK) status = host->show(host->context, state);
    if (status != POET_OK) return status;
  }
  return POET_OK;
}

static const poet_decoder old_greedy = {1, "old-greedy", "1.0.0", "greedy, built for ABI 1",
                                        POET_CAP_STREAMS, NULL, 0, NULL, decode};

POET_DECODER_EXPORT const poet_decoder* poet_decoder_entry(void) { return &old_greedy; }
