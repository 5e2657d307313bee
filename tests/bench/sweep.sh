#!/usr/bin/env bash
# The bundled model's architecture, chosen by measurement: each candidate trains from scratch on
# the Tang train split for about the same wall time, with the trainer's whole schedule (warm-up,
# then cosine decay to the last step) fitted into that time: a short probe measures the
# candidate's seconds per step, and the run is given the steps that take the budget. The table
# gives its validation perplexity after a third and two thirds of the budget (the last validation
# by then, from the loss history: poems of up to 126 characters, as training validates), its best
# validation in training, and `eval` of its best checkpoint on the whole validation split, long
# poems included. A candidate with metre inputs (-metre) is conditioned on what the metre asks of
# each character: its figures do not compare with the others' (eval says so).
#
#   tests/bench/sweep.sh [MINUTES] [CANDIDATE...]   (default 20 minutes, every candidate; needs a build)
#   POET_SWEEP_DIR=DIR keeps each candidate's checkpoints, history and log in DIR (default: a
#   scratch folder, removed), so that the winner's run can go on with `train --resume`.
set -euo pipefail
minutes=${1:-20}
shift || true
repo=$(cd "$(dirname "$0")/../.." && pwd)
poet=$repo/build/bin/poet
corpus=$repo/corpora/tang.tsv
if [[ -n "${POET_SWEEP_DIR:-}" ]]; then
  work=$POET_SWEEP_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

# name: [model] and [train] keys. Everything else is the trainer's default.
declare -A candidates=(
  [gru-256]='cell = "gru"'
  [gru-256-positions]='cell = "gru"
position_inputs = true'
  [lstm-256-positions]='cell = "lstm"
position_inputs = true'
  [gru-256-positions-metre]='cell = "gru"
position_inputs = true
metre_inputs = true'
  [gru-384-dropout-positions]='cell = "gru"
hidden_size = 384
embedding_size = 192
dropout = 0.2
position_inputs = true'
  [gru-384-dropout30-positions]='cell = "gru"
hidden_size = 384
embedding_size = 192
dropout = 0.3
position_inputs = true'
  [gru-384-dropout30-positions-metre]='cell = "gru"
hidden_size = 384
embedding_size = 192
dropout = 0.3
position_inputs = true
metre_inputs = true'
  [lstm-384-dropout30-positions]='cell = "lstm"
hidden_size = 384
embedding_size = 192
dropout = 0.3
position_inputs = true'
  [gru-512-dropout-positions]='cell = "gru"
hidden_size = 512
embedding_size = 256
dropout = 0.3
position_inputs = true'
  [lstm-512-dropout-positions]='cell = "lstm"
hidden_size = 512
embedding_size = 256
dropout = 0.3
position_inputs = true'
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gru-256 gru-256-positions gru-384-dropout-positions gru-512-dropout-positions)

third=$(awk -v m="$minutes" 'BEGIN { printf "%.3g", m / 3 }')
two_thirds=$(awk -v m="$minutes" 'BEGIN { printf "%.3g", 2 * m / 3 }')
echo "| candidate | parameters | weights | steps | minutes | perplexity at $third min | at $two_thirds min | best in training | best checkpoint, all valid poems |"
echo "|---|---|---|---|---|---|---|---|---|"
# The last validation perplexity at or before a point in training time, from a loss history CSV
# (step,epoch,train_loss,valid_perplexity,wall_seconds,tokens_per_second).
perplexity_by() {
  awk -F, -v limit="$(awk -v m="$2" 'BEGIN { print m * 60 }')" \
    'NR > 1 && $4 != "" && $5 <= limit { last = $4 } END { if (last == "") print "–"; else printf "%.1f", last }' "$1"
}
# Seconds per step between two logged steps of a history.
seconds_per_step() {
  awk -F, -v from="$2" -v to="$3" 'NR > 1 && $1 == from { t0 = $5 } NR > 1 && $1 == to { t1 = $5 }
    END { printf "%.4f", (t1 - t0) / (to - from) }' "$1"
}
for name in "${names[@]}"; do
  [[ -n "${candidates[$name]:-}" ]] || { echo "unknown candidate '$name'" >&2; exit 2; }
  # The probe: 100 steps, timed from step 20 on (past the start-up and the first batches).
  printf '[model]\n%s\n[train]\nsteps = 100\nlog_every = 20\neval_every = 1000\n' "${candidates[$name]}" > "$work/$name.probe.toml"
  "$poet" -c "train --corpus $corpus --config $work/$name.probe.toml --out $work/$name.probe.ckpt" > "$work/$name.probe.log" 2>&1
  per_step=$(seconds_per_step "$work/$name.probe.loss.csv" 20 100)
  # Validations (every 500 steps), checkpoints and batches longer than the probe's take some of
  # the budget.
  steps=$(awk -v m="$minutes" -v s="$per_step" 'BEGIN { printf "%d", 0.9 * m * 60 / s }')
  rm -f "$work/$name.probe."*
  printf '[model]\n%s\n[train]\nsteps = %d\n' "${candidates[$name]}" "$steps" > "$work/$name.toml"
  "$poet" -c "train --corpus $corpus --config $work/$name.toml --out $work/$name.ckpt" > "$work/$name.log" 2>&1
  best=$work/$name.best.ckpt
  history=$work/$name.loss.csv
  params=$("$poet" --model "$best" -c model | sed -n 's/^  parameters  //p')
  perplexity=$("$poet" --model "$best" -c "eval $corpus --split valid" | sed -n 's/.*perplexity \([0-9.]*\).*/\1/p')
  megabytes=$(awk -v p="$params" 'BEGIN { sub(/M$/, "", p); printf "%.1f MB", p * 4 }')
  taken=$(awk -F, 'NR > 1 { last = $5 } END { printf "%.1f", last / 60 }' "$history")
  best_in_training=$(awk -F, 'NR > 1 && $4 != "" && (best == "" || $4 < best) { best = $4 } END { printf "%.1f", best }' "$history")
  echo "| $name | $params | $megabytes | $steps | $taken | $(perplexity_by "$history" "$third") |" \
       "$(perplexity_by "$history" "$two_thirds") | $best_in_training | $perplexity |"
done
