#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, in build-fuzz/) and runs each for SECONDS, starting from its
# seeds in tests/fuzz/corpus/TARGET/; prints each target's executions and exits non-zero if any
# target found a crash, a sanitizer report, a hang or an unbounded allocation.
#   tests/fuzz/run.sh 60
# New inputs the fuzzer finds go to build-fuzz/fuzz/TARGET/, findings to
# build-fuzz/fuzz/findings/ (add a fixed one to the seeds as a regression input).
set -euo pipefail
seconds=${1:?usage: tests/fuzz/run.sh SECONDS}
cd "$(dirname "$0")/../.."
build=build-fuzz
targets=(words config corpus checkpoint descriptor protocol)

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B $build -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOET_FUZZ=ON
fi
cmake --build $build --target poet_fuzz

work=$build/fuzz
mkdir -p $work/findings
failed=()
for target in "${targets[@]}"; do
  mkdir -p $work/$target
  log=$work/$target.log
  dict=()
  [[ -f tests/fuzz/$target.dict ]] && dict=(-dict=tests/fuzz/$target.dict)
  # -timeout: an input that takes seconds is a hang; -rss_limit_mb also caps any one allocation.
  if $build/tests/fuzz/fuzz_$target -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
       -rss_limit_mb=1024 -artifact_prefix=$work/findings/$target- "${dict[@]}" \
       $work/$target tests/fuzz/corpus/$target >"$log" 2>&1; then
    echo "$target: $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") executions in ${seconds}s"
  else
    echo "$target: FAILED (log: $log)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" | head -n 8
    failed+=("$target")
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
