#!/usr/bin/env bash
# Training on several workers (train --workers): what one machine gains, what the exchange costs,
# and from those an estimate for k machines.
#
#   tests/bench/workers_bench.sh [ROUNDS]     (default 3; needs a build)
#
# 1. Speed: characters per second training the default model on the Tang corpus with 1 and with
#    2 workers on this machine, in alternating rounds.
# 2. The exchange: the allreduce of the model's gradients over loopback between two workers
#    (poet_bench_allreduce), for the default model and a larger one (about 4x the weights).
# 3. The estimate: with k machines, one worker each, a step of C characters takes
#    C / (k * r) + a_k seconds, where r is one machine's chars/s and a_k the allreduce; over a
#    link of B bytes/s a ring allreduce moves 2 (k-1)/k * S bytes of an S-byte bucket per machine.
set -euo pipefail
rounds=${1:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${POET_BUILD:-$repo/build}
poet=$build/bin/poet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/default.toml" <<TOML
[train]
eval_every = 1000000
checkpoint_every = 1000000
log_every = 1000000
TOML
cat > "$work/larger.toml" <<TOML
[model]
embedding_size = 256
hidden_size = 512
layers = 4
[train]
eval_every = 1000000
checkpoint_every = 1000000
log_every = 1000000
TOML

rate() {  # config steps workers: the last progress line's chars/s
  "$poet" -c "train --corpus $repo/corpora/tang.tsv --steps $2 --config $work/$1.toml --workers $3 --out $work/speed.ckpt" 2>&1 \
    | tr '\r' '\n' | sed -n "s/^step $2\/$2 .*  \([0-9]*\) chars\/s .*/\1/p" | tail -1
}

echo "## speed on this machine ($(nproc) cores), default model, 30 steps, alternating rounds (chars/s)"
one=() two=()
for round in $(seq "$rounds"); do
  one+=("$(rate default 30 1)")
  two+=("$(rate default 30 2)")
  echo "round $round: 1 worker ${one[-1]}, 2 workers ${two[-1]}"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
r1=$(median "${one[@]}")
r2=$(median "${two[@]}")
echo "median: 1 worker $r1, 2 workers $r2: $(awk -v a="$r2" -v b="$r1" 'BEGIN { printf "%.2fx", a / b }')"
larger=$(rate larger 10 1)
echo "larger model (GRU 256/512, 4 layers), 1 worker, 10 steps: $larger chars/s"

echo
echo "## the exchange over loopback"
"$build/tests/bench/poet_bench_allreduce" | tee "$work/allreduce.txt"

echo
echo "## estimate for k machines, one worker each, at this machine's speed"
# Characters per step: the Tang train split's characters (and each poem's end) per batch of 64.
chars=$(/usr/bin/python3 - "$repo/corpora/tang.tsv" <<'PY'
import sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1], encoding='utf-8')][1:]
poems = [len(r[4]) + 1 for r in rows if r[0] == 'train' and len(r[4]) <= 126]
print(round(sum(poems) / ((len(poems) + 63) // 64)))
PY
)
echo "a step of 64 poems: $chars characters on average"
awk -v c="$chars" -v r1="$r1" -v rl="$larger" '
  /^allreduce of/ {
    n++; ms[n] = $0; sub(/.*median /, "", ms[n]); sub(/ ms.*/, "", ms[n])
    mb[n] = $0; sub(/.*weights \(/, "", mb[n]); sub(/ MB.*/, "", mb[n])
  }
  END {
    name[1] = "default"; rate[1] = r1; name[2] = "larger"; rate[2] = rl
    for (m = 1; m <= 2; m++) {
      t1 = c / rate[m]
      printf "%s model: one machine %.0f ms a step; bucket %.1f MB; loopback allreduce %.1f ms\n", name[m], t1 * 1000, mb[m], ms[m]
      printf "  %-4s %-28s %-28s %-28s\n", "k", "loopback-like (as measured)", "10 Gb/s link", "1 Gb/s link"
      for (k = 2; k <= 8; k *= 2) {
        lo = ms[m] / 1000
        g10 = 2 * (k - 1) / k * mb[m] * 8 / 10000 + 0.001
        g1 = 2 * (k - 1) / k * mb[m] * 8 / 1000 + 0.001
        printf "  %-4d %-28s %-28s %-28s\n", k, sprintf("%.2fx (allreduce %.0f ms)", t1 / (t1 / k + lo), lo * 1000),
               sprintf("%.2fx (allreduce %.0f ms)", t1 / (t1 / k + g10), g10 * 1000),
               sprintf("%.2fx (allreduce %.0f ms)", t1 / (t1 / k + g1), g1 * 1000)
      }
    }
  }' "$work/allreduce.txt"
