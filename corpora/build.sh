#!/usr/bin/env bash
# Rebuilds the prepared corpora from the npm package chinese-poetry (pinned, so the output is the
# same byte for byte):
#   corpora/build.sh              writes corpora/tang.tsv and corpora/fixture.tsv
#   corpora/build.sh --song       also writes corpora/song.tsv (about 250k Song poems; not committed)
#   corpora/build.sh --out DIR    writes into DIR instead
# Uses build/corpora/poet-corpus, building it first if needed; POET_CORPUS names another builder.
# The package is kept in corpora/.cache (git ignores it), or in POET_CORPUS_CACHE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=2.0.1
out=$here
song=false
while (($#)); do
  case "$1" in
    --song) song=true ;;
    --out) out=$2; shift ;;
    *) echo "usage: corpora/build.sh [--song] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done

builder=${POET_CORPUS:-$here/../build/corpora/poet-corpus}
if [[ -z "${POET_CORPUS:-}" ]]; then
  echo "build.sh: building poet-corpus" >&2
  cmake --build "$here/../build" --target poet-corpus >&2
fi

cache=${POET_CORPUS_CACHE:-$here/.cache}
package=$cache/chinese-poetry-$version.tgz
mkdir -p "$cache" "$out"
if [[ ! -f "$package" ]]; then
  echo "build.sh: fetching chinese-poetry@$version from the npm registry" >&2
  (cd "$cache" && npm pack --silent "chinese-poetry@$version" >/dev/null)
fi
source_dir=$cache/chinese-poetry-$version/package/dist/quantangshi
if [[ ! -d "$source_dir" ]]; then
  mkdir -p "$cache/chinese-poetry-$version"
  tar -xzf "$package" -C "$cache/chinese-poetry-$version" --wildcards 'package/dist/quantangshi/poet.*.json'
fi

"$builder" "$source_dir" "$out/tang.tsv" --fixture "$out/fixture.tsv"
if $song; then
  "$builder" "$source_dir" "$out/song.tsv" --dynasty song
fi
