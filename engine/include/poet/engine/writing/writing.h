#pragma once
// Writing a poem: the host side of the decoder ABI. It starts the model on the poem's beginning,
// hands a decoder plugin the callbacks of poet/decoder.h, holds every state to the poem's
// constraints (its form, an acrostic's heads, its metre), streams what the decoder settles, and
// checks what comes back.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "poet/engine/metre/form_rule.h"
#include "poet/engine/metre/metre.h"
#include "poet/engine/model/critic.h"
#include "poet/engine/model/engine.h"
#include "poet/engine/plugins/decoders.h"

namespace poet {

struct PoemRequest {
  std::u32string start;  // the poem's first characters (gen); may be empty
  std::u32string heads;  // one character per line (acrostic), which any decoder writes under
  std::u32string mood;   // a line read into the model first to set the mood; not part of the poem
  FormRule form = FormRule::automatic();
  // Rhyme and tones, for the regulated forms (5 or 7 characters a line, marks as in 律诗); a free
  // form has none. Like the form, the host holds every decoder to it.
  MetreRule metre;
  std::vector<double> params;  // one per decoder parameter; empty: the decoder's defaults
  int poem_index = 0;  // this poem's place among a command's poems (gen -n), for the decoder
  int poem_count = 1;
  // Called with each piece of text as it is settled, in order; together they are the poem.
  std::function<void(const std::string& utf8)> on_text;
  const std::atomic<bool>* cancel = nullptr;  // set by Ctrl-C
};

struct WrittenPoem {
  std::string text;                // UTF-8, marks included
  std::vector<std::string> lines;  // each line with its closing mark
  double log_prob = 0;             // the model's, of the tokens the decoder chose
  std::optional<int> rhyme_group;  // of the request's rhyme book, when the metre rule chose one
  std::vector<std::string> notes;  // where the metre gave way, and why ("line 6: ...")
  std::vector<std::string>
      warnings;  // what the decoder warned of ("decoder 'x': ..."), the first few
  std::size_t unshown_warnings = 0;  // and how many more it gave
};

// Writes one poem with `decoder` on `generation`'s model. Throws Error::input for a request that
// cannot be written (heads that do not fit the form, a beginning that breaks it), Error::model for
// a character outside the vocabulary, Error::plugin for a decoder that fails or breaks the ABI,
// and Error::stopped() for Ctrl-C.
WrittenPoem write_poem(Generation& generation, const Decoder& decoder, const PoemRequest& request);

// Writes requests[i] on generations[i] (one generation each, all on one model), as write_poem
// would one by one, and returns the poems in order. With a decoder that batches (its
// POET_CAP_BATCHES), every poem is written on a thread of its own and their steps meet in one
// batched forward pass a character (StepBatch); with any other, one after another. Set no
// on_text: the poems are written at once. Throws the first poem's error, after every poem has
// stopped.
std::vector<WrittenPoem> write_poems(const std::vector<Generation*>& generations,
                                     const Decoder& decoder,
                                     const std::vector<PoemRequest>& requests);

// How many candidates best-of K writes of one poem with `decoder`: K, or one for a decoder that
// never draws (POET_CAP_SEEDLESS), whose candidates would all be the same poem.
int candidate_count(const Decoder& decoder, int best_of);

// Which of a poem's candidates the critic rates most real, the model's own score breaking ties,
// and the critic's score of it.
struct CriticChoice {
  std::size_t index = 0;
  double score = 0;
};
CriticChoice choose_by_critic(const Critic& critic, const std::vector<WrittenPoem>& candidates);

}  // namespace poet
