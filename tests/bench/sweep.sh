#!/usr/bin/env bash
# The default architecture, chosen by measurement: each candidate trains from scratch on the Tang
# train split for the same wall time, then its best checkpoint's validation perplexity is measured
# with `eval`. Prints a README table.
#
#   tests/bench/sweep.sh [MINUTES] [CANDIDATE...]   (default 10 minutes, every candidate; needs a build)
set -euo pipefail
minutes=${1:-10}
shift || true
repo=$(cd "$(dirname "$0")/../.." && pwd)
poet=$repo/build/bin/poet
corpus=$repo/corpora/tang.tsv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name: [model] keys. Everything else is the trainer's default.
declare -A candidates=(
  [lstm-256]='cell = "lstm"'
  [gru-256]='cell = "gru"'
  [rnn-256]='cell = "rnn"'
  [lstm-256-full-softmax]='cell = "lstm"
adaptive_cutoffs = []'
  [lstm-512]='cell = "lstm"
hidden_size = 512
embedding_size = 256'
  [lstm-512-dropout]='cell = "lstm"
hidden_size = 512
embedding_size = 256
dropout = 0.2'
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(lstm-256 gru-256 rnn-256 lstm-256-full-softmax lstm-512 lstm-512-dropout)

echo "| candidate | parameters | steps in $minutes min | validation perplexity | checkpoint (weights only) |"
echo "|---|---|---|---|---|"
for name in "${names[@]}"; do
  printf '[model]\n%s\n[train]\nsteps = 1000000\n' "${candidates[$name]}" > "$work/$name.toml"
  # Ctrl-C (SIGINT) stops training after the current step, validates, and saves.
  timeout -s INT "${minutes}m" "$poet" -c "train --corpus $corpus --config $work/$name.toml --out $work/$name.ckpt" \
    > "$work/$name.log" 2>&1 || true
  best=$work/$name.best.ckpt
  steps=$(sed -n 's/^stopped at step \([0-9]*\).*/\1/p' "$work/$name.log")
  params=$("$poet" --model "$best" -c model | sed -n 's/^  parameters  //p')
  perplexity=$("$poet" --model "$best" -c "eval $corpus --split valid" | sed -n 's/.*perplexity \([0-9.]*\)$/\1/p')
  megabytes=$(awk -v p="$params" 'BEGIN { sub(/M$/, "", p); printf "%.1f MB", p * 4 }')
  echo "| $name | $params | $steps | $perplexity | $megabytes |"
done
