#!/usr/bin/env bash
# The project's layering, checked on what the compiler read: Ninja's dependency log lists every
# header each object was compiled from.
# 1. No object of a room that must stay free of LibTorch (repl/, decoders/, plugins/, corpora/, and
#    poet-decoder-runner, which starts for every isolated plugin) was compiled from a LibTorch
#    header: an edit there would recompile a ~20 s LibTorch translation unit.
# 2. Dependencies point one way. The engine's rooms (engine/src/ROOM and their public headers in
#    engine/include/poet/engine/ROOM) read only the rooms below them, as `allowed` says; repl/ reads
#    the engine's public headers, never engine/src/; decoders/ and plugins/ read only the public C
#    headers of plugins/include/poet/.
set -euo pipefail
ninja=$1 build=$2
deps=$("$ninja" -C "$build" -t deps)
objects=$(grep -c ': #deps' <<<"$deps" || true)
if [[ "$objects" -eq 0 ]]; then
  echo "no dependency information in $build: build it first" >&2
  exit 1
fi
source_dir=$(cd "$(dirname "$0")/.." && pwd)

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

# Each engine room and the rooms it may read, besides itself and the engine's top-level headers
# (error.h, version.h).
violations=$(awk -v src="$source_dir/" '
  BEGIN {
    allowed["text"] = ""
    allowed["files"] = "text"
    allowed["metre"] = "text files"
    allowed["model"] = "text files metre"
    allowed["training"] = "text files metre model"
    allowed["plugins"] = "text files"
    allowed["writing"] = "text files metre model plugins"
    allowed["config"] = "text files metre model training plugins"
  }
  # The room of a project header, or "" for one outside the engine.
  function room_of(path,    rest) {
    if (index(path, src "engine/src/") == 1) rest = substr(path, length(src "engine/src/") + 1)
    else if (index(path, src "engine/include/poet/engine/") == 1) rest = substr(path, length(src "engine/include/poet/engine/") + 1)
    else return ""
    return index(rest, "/") ? substr(rest, 1, index(rest, "/") - 1) : "top"
  }
  /^[^ ].*: #deps/ {
    object = $1; sub(/:$/, "", object)
    kind = ""
    if (match(object, /^engine\/CMakeFiles\/[^\/]*\/src\/[a-z]+\//)) {
      kind = "engine"
      from = object; sub(/^engine\/CMakeFiles\/[^\/]*\/src\//, "", from); sub(/\/.*/, "", from)
    } else if (object ~ /^repl\//) {
      kind = "repl"
    } else if (object ~ /^(decoders|plugins)\//) {
      kind = "plugin"
    }
    next
  }
  kind == "" || $1 !~ ("^" src) { next }
  {
    path = $1
    if (kind == "plugin" && index(path, src "plugins/include/poet/") != 1 && index(path, src "decoders/") != 1 &&
        index(path, src "plugins/examples/") != 1) {
      print object " reads " path; next
    }
    if (kind == "repl" && index(path, src "engine/src/") == 1) { print object " reads " path; next }
    if (kind != "engine") next
    to = room_of(path)
    if (to == "" || to == "top" || to == from) next
    if (index(" " allowed[from] " ", " " to " ") == 0) print object " (" from ") reads " path " (" to ")"
  }
' <<<"$deps" | sort -u)
if [[ -n "$violations" ]]; then
  echo "these objects read a room their own may not depend on:" >&2
  echo "$violations" >&2
  exit 1
fi
echo "checked $objects objects: none in repl/, decoders/, plugins/, corpora/ or the decoder runner includes" \
     "LibTorch, and every engine room reads only the rooms below it"
