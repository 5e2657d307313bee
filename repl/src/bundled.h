#pragma once
// The files poet ships with: the prepared Tang corpus, the model trained on it, and the metre
// lexicon.

#include <filesystem>

namespace poet::repl {

// Each is found beside an installed poet (../share/poet/corpora from its folder), or else in the
// source tree poet was built from.
std::filesystem::path bundled_corpus();  // tang.tsv: what `train` learns from by default
std::filesystem::path bundled_model();   // tang.ckpt: what poet loads at start by default
std::filesystem::path bundled_metre();   // metre.tsv: tones and rhymes, for gen and check
std::filesystem::path bundled_critic();  // critic.ckpt: what gen --best-of chooses by

}  // namespace poet::repl
