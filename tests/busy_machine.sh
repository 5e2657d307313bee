#!/usr/bin/env bash
# The README's test command, several times in a row, beside busy loops that keep every core
# occupied: a test that depends on how fast the machine is fails here before it fails for a user.
#
#   tests/busy_machine.sh [ROUNDS] [LOOPS_PER_CORE]     (from the repository's root; 3 and 2)
#
# Two loops a core and the suite's own two jobs load a 2-core machine to about 6.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
loops=$((${2:-2} * $(nproc)))

hogs=()
trap 'kill "${hogs[@]}" 2> /dev/null || true' EXIT
for _ in $(seq "$loops"); do
  (while :; do :; done) &
  hogs+=($!)
done

for round in $(seq "$rounds"); do
  echo "busy_machine: round $round of $rounds, beside $loops busy loops (load $(cut -d' ' -f1 /proc/loadavg))"
  start=$(date +%s)
  .ci/setup && cmake -S . -B build -G Ninja && cmake --build build && ctest --test-dir build --output-on-failure -j2
  echo "busy_machine: round $round passed in $(($(date +%s) - start)) s (load $(cut -d' ' -f1 /proc/loadavg))"
done
