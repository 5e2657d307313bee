#!/usr/bin/env bash
# Fails if any object file outside engine/ (and the tests that link LibTorch on purpose) was
# compiled from a LibTorch header: such an object would make a REPL or plugin edit recompile a
# ~20 s LibTorch translation unit. Reads Ninja's dependency log, which lists every header each
# object was compiled from.
set -euo pipefail
ninja=$1 build=$2
"$ninja" -C "$build" -t deps | awk '
  /^[^ ].*: #deps/ { object = $1; next }
  /(torch|ATen|c10)\// && object !~ /(engine\/|engine_tests)/ { print object; seen[object] = 1 }
' | sort -u > "$build/torch_objects_outside_engine.txt"
objects=$("$ninja" -C "$build" -t deps | grep -c ': #deps' || true)
if [[ "$objects" -eq 0 ]]; then
  echo "no dependency information in $build: build it first" >&2
  exit 1
fi
if [[ -s "$build/torch_objects_outside_engine.txt" ]]; then
  echo "these objects include LibTorch headers but live outside engine/:" >&2
  cat "$build/torch_objects_outside_engine.txt" >&2
  exit 1
fi
echo "checked $objects objects: LibTorch headers only in engine/ and its tests"
