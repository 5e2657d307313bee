#!/usr/bin/env bash
# Fails if an object of a room that must stay free of LibTorch (repl/, decoders/, plugins/,
# corpora/) was compiled from a LibTorch header: such an object would make an edit there recompile
# a ~20 s LibTorch translation unit. So must poet-decoder-runner, which starts for every isolated
# plugin. Reads Ninja's dependency log, which lists every header each object was compiled from.
set -euo pipefail
ninja=$1 build=$2
deps=$("$ninja" -C "$build" -t deps)
objects=$(grep -c ': #deps' <<<"$deps" || true)
if [[ "$objects" -eq 0 ]]; then
  echo "no dependency information in $build: build it first" >&2
  exit 1
fi
offenders=$(awk '
  /^[^ ].*: #deps/ { object = $1; next }
  /\/(torch|ATen|c10)\// && object ~ /^((repl|decoders|plugins|corpora)\/|engine\/CMakeFiles\/poet-decoder-runner)/ {
    print object
  }
' <<<"$deps" | sort -u)
if [[ -n "$offenders" ]]; then
  echo "these objects of LibTorch-free rooms include LibTorch headers:" >&2
  echo "$offenders" >&2
  exit 1
fi
echo "checked $objects objects: none in repl/, decoders/, plugins/, corpora/ or the decoder runner includes LibTorch"
