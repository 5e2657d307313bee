#!/usr/bin/env bash
# How `eval`'s time grows with a poem's length, on the bundled model: one poem of N characters
# (lines of five, alternating ， and 。, characters drawn from a fixed list by a fixed seed), for N
# from 1,000 to 16,000. Each is evaluated ROUNDS times (default 3), alternating the lengths; the
# median, less the median of a start-up that evaluates nothing, per 1,000 characters. Time in
# proportion to length gives the same figure for every N.
#
#   tests/bench/eval_bench.sh [ROUNDS]     (after a build)
set -euo pipefail
rounds=${1:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
poet=$repo/build/bin/poet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lengths=(1000 2000 4000 8000 16000)

python3 - "$work" "${lengths[@]}" <<'PY'
import random, sys
random.seed(7)
chars = "春风花月夜山水云天地人江河日星辰松竹梅兰秋霜雪雨"
for n in map(int, sys.argv[2:]):
    lines = [''.join(random.choice(chars) for _ in range(5)) + ('，' if i % 2 == 0 else '。')
             for i in range(n // 6)]
    open(f"{sys.argv[1]}/{n}.txt", "w").write("长诗:" + ''.join(lines) + "\n")
PY

seconds() { local start=$(date +%s%N); "$@" > /dev/null; echo $(( ($(date +%s%N) - start) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -A times
for _ in $(seq "$rounds"); do
  times[none]+="$(seconds "$poet" -c "model") "
  for n in "${lengths[@]}"; do times[$n]+="$(seconds "$poet" -c "eval $work/$n.txt") "; done
done
base=$(tr ' ' '\n' <<< "${times[none]}" | grep . | median)
echo "start-up and load, no eval: ${base} ms (median of $rounds)"
printf '%-10s %10s %16s\n' characters "eval ms" "ms per 1,000"
for n in "${lengths[@]}"; do
  ms=$(( $(tr ' ' '\n' <<< "${times[$n]}" | grep . | median) - base ))
  printf '%-10s %10s %16s\n' "$n" "$ms" "$(awk -v ms="$ms" -v n="$n" 'BEGIN { printf "%.0f", ms * 1000 / n }')"
done
