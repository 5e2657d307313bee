#!/usr/bin/env bash
# Rebuilds the prepared corpora from the npm package chinese-poetry (pinned, so the output is the
# same byte for byte):
#   corpora/build.sh              writes corpora/tang.tsv and corpora/fixture.tsv
#   corpora/build.sh --song       also writes corpora/song.tsv (about 250k Song poems; not committed)
#   corpora/build.sh --out DIR    writes into DIR instead
# Then writes corpora/metre.tsv, the metre lexicon, from tang.tsv, the package and Unihan (Debian's
# unicode-data, in /usr/share/unicode; POET_UNIHAN names another folder of Unihan_*.txt.bz2).
# Uses build/corpora/poet-corpus and poet-metre, building them first if needed; POET_CORPUS and
# POET_METRE name other builders.
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
metre_builder=${POET_METRE:-$here/../build/corpora/poet-metre}
if [[ -z "${POET_METRE:-}" ]]; then
  echo "build.sh: building poet-metre" >&2
  cmake --build "$here/../build" --target poet-metre >&2
fi

cache=${POET_CORPUS_CACHE:-$here/.cache}
package=$cache/chinese-poetry-$version.tgz
mkdir -p "$cache" "$out"
if [[ ! -f "$package" ]]; then
  echo "build.sh: fetching chinese-poetry@$version from the npm registry" >&2
  (cd "$cache" && npm pack --silent "chinese-poetry@$version" >/dev/null)
fi
dist=$cache/chinese-poetry-$version/package/dist
source_dir=$dist/quantangshi
if [[ ! -d "$source_dir" ]]; then
  mkdir -p "$cache/chinese-poetry-$version"
  tar -xzf "$package" -C "$cache/chinese-poetry-$version" --wildcards 'package/dist/quantangshi/poet.*.json'
fi
# 声律启蒙's rhymes and the 平仄 annotations of the Tang poems, for the metre lexicon.
if [[ ! -d "$dist/strains" ]]; then
  tar -xzf "$package" -C "$cache/chinese-poetry-$version" --wildcards \
    'package/dist/mengxue/shenglvqimeng.json' 'package/dist/strains/json/poet.tang.*.json'
fi
# Unpacked again whenever unicode-data is newer than the copy.
unihan=${POET_UNIHAN:-/usr/share/unicode}
for part in Readings Variants; do
  if [[ ! -f "$unihan/Unihan_$part.txt.bz2" ]]; then
    echo "build.sh: no $unihan/Unihan_$part.txt.bz2 (install Debian's unicode-data)" >&2
    exit 1
  fi
  if [[ "$unihan/Unihan_$part.txt.bz2" -nt "$cache/Unihan_$part.txt" ]]; then
    bzcat "$unihan/Unihan_$part.txt.bz2" > "$cache/Unihan_$part.txt.tmp"
    mv "$cache/Unihan_$part.txt.tmp" "$cache/Unihan_$part.txt"
  fi
done

"$builder" "$source_dir" "$out/tang.tsv" --fixture "$out/fixture.tsv"
if $song; then
  "$builder" "$source_dir" "$out/song.tsv" --dynasty song
fi
"$metre_builder" "$out/tang.tsv" "$dist" "$cache" "$out/metre.tsv"
