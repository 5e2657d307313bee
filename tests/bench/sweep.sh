#!/usr/bin/env bash
# The default architecture, chosen by measurement: each candidate trains from scratch on the Tang
# train split for the same wall time, validating every 100 steps. The table gives its validation
# perplexity after a third and two thirds of that time (the last validation by then, from the loss
# history: poems of up to 126 characters, as training validates), then `eval` of its best
# checkpoint on the whole validation split, long poems included.
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
  [gru-512]='cell = "gru"
hidden_size = 512
embedding_size = 256'
  [gru-512-dropout]='cell = "gru"
hidden_size = 512
embedding_size = 256
dropout = 0.2'
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(lstm-256 gru-256 rnn-256 lstm-256-full-softmax gru-512 gru-512-dropout)

third=$(awk -v m="$minutes" 'BEGIN { printf "%g", m / 3 }')
two_thirds=$(awk -v m="$minutes" 'BEGIN { printf "%g", 2 * m / 3 }')
echo "| candidate | parameters | weights | steps in $minutes min | perplexity at $third min | at $two_thirds min | at $minutes min, all valid poems |"
echo "|---|---|---|---|---|---|---|"
# The last validation perplexity at or before a point in training time, from a loss history CSV
# (step,epoch,train_loss,valid_perplexity,wall_seconds,tokens_per_second).
perplexity_by() {
  awk -F, -v limit="$(awk -v m="$2" 'BEGIN { print m * 60 }')" \
    'NR > 1 && $4 != "" && $5 <= limit { last = $4 } END { if (last == "") print "–"; else printf "%.1f", last }' "$1"
}
for name in "${names[@]}"; do
  printf '[model]\n%s\n[train]\nsteps = 1000000\neval_every = 100\n' "${candidates[$name]}" > "$work/$name.toml"
  # Ctrl-C (SIGINT) stops training after the current step, validates, and saves.
  timeout -s INT "${minutes}m" "$poet" -c "train --corpus $corpus --config $work/$name.toml --out $work/$name.ckpt" \
    > "$work/$name.log" 2>&1 || true
  best=$work/$name.best.ckpt
  steps=$(sed -n 's/^stopped at step \([0-9]*\).*/\1/p' "$work/$name.log")
  params=$("$poet" --model "$best" -c model | sed -n 's/^  parameters  //p')
  perplexity=$("$poet" --model "$best" -c "eval $corpus --split valid" | sed -n 's/.*perplexity \([0-9.]*\)$/\1/p')
  megabytes=$(awk -v p="$params" 'BEGIN { sub(/M$/, "", p); printf "%.1f MB", p * 4 }')
  history=$work/$name.loss.csv
  echo "| $name | $params | $megabytes | $steps | $(perplexity_by "$history" "$third") |" \
       "$(perplexity_by "$history" "$two_thirds") | $perplexity |"
done
