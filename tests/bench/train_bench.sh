#!/usr/bin/env bash
# poet's trainer against the peer: the popular PyTorch-book set-up (../shared/bench/peer_train.py
# 'book': LSTM, embedding 128, hidden 256, 2 layers, batch 128, poems padded to 125, full softmax),
# on Debian's python3-torch, the same LibTorch build, on the same Tang train split.
#
#   tests/bench/train_bench.sh [MINUTES]     (default 5; 0: part 1 only; needs `.ci/setup --bench`
#                                            and a build)
#
# 1. Speed: useful (non-padding) characters per second, poet and the peer in alternating rounds.
# 2. Quality at equal cost: each trains for MINUTES of wall time, then the test split's
#    per-character perplexity. poet's clock includes its own validation passes.
# 3. poet's peak resident memory while training the default model.
set -euo pipefail
minutes=${1:-5}
repo=$(cd "$(dirname "$0")/../.." && pwd)
poet=$repo/build/bin/poet
peer=${POET_PEER:-$repo/../shared/bench/peer_train.py}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The peer reads one poem per line; both train on the train split and are measured on the test one.
awk -F'\t' 'NR > 1 && $1 == "train" { print $5 }' "$repo/corpora/tang.tsv" > "$work/train.txt"
awk -F'\t' 'NR > 1 && $1 == "test" { print $5 }' "$repo/corpora/tang.tsv" > "$work/test.txt"

# The peer's architecture, with poet's own trainer settings (length-grouped batches, adaptive
# softmax, its thread policy). min_count 1: like the peer, every training character is in the
# vocabulary.
cat > "$work/poet.toml" <<TOML
[model]
cell = "lstm"
embedding_size = 128
hidden_size = 256
layers = 2
[train]
batch_size = 128
min_count = 1
eval_every = 400
log_every = 10
checkpoint_every = 1000000
TOML

echo "## speed: useful characters per second, alternating rounds"
ratios=()
for round in 1 2 3; do
  peer_rate=$(/usr/bin/python3 "$peer" "$work/train.txt" book --iters 5 | sed -n 's/.*useful_tok\/s=\([0-9]*\).*/\1/p')
  poet_rate=$("$poet" -c "train --corpus $repo/corpora/tang.tsv --steps 30 --config $work/poet.toml --out $work/speed.ckpt" 2>&1 \
              | sed -n 's/^step 30\/30 .*  \([0-9]*\) chars\/s .*/\1/p')
  ratio=$(awk -v a="$poet_rate" -v b="$peer_rate" 'BEGIN { printf "%.1f", a / b }')
  ratios+=("$ratio")
  echo "round $round: poet $poet_rate, peer $peer_rate: ${ratio}x"
done
echo "ratio per round: ${ratios[*]}"
[ "$minutes" -gt 0 ] || exit 0

echo
echo "## test perplexity after $minutes minutes of training each"
echo "peer: $(/usr/bin/python3 "$peer" "$work/train.txt" book --minutes "$minutes" --valid "$work/test.txt" \
               | sed 's/valid perplexity/test perplexity/')"
# poet trains until interrupted; Ctrl-C (SIGINT) stops it after the current step, with a checkpoint.
/usr/bin/time -f "poet peak resident memory: %M KB" \
  "$poet" -c "train --corpus $repo/corpora/tang.tsv --steps 1000000 --config $work/poet.toml --out $work/race.ckpt" \
  > "$work/race.out" 2> "$work/race.err" &
timer=$!
sleep "$((minutes * 60))"
pkill -INT -P "$timer"  # poet, the child of time
wait "$timer"
echo "poet: $(sed -n 's/^stopped at \(step [0-9]*\).*/\1/p' "$work/race.out" "$work/race.err"); test perplexity" \
     "$("$poet" --model "$work/race.ckpt" -c "eval $repo/corpora/tang.tsv --split test" | sed 's/.*perplexity //')"
grep 'peak resident memory' "$work/race.err"
