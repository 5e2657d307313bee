#!/usr/bin/env bash
# Rebuilds the corpora and the metre lexicon from the pinned chinese-poetry package and Unihan, and
# checks that the committed ones are exactly what the builders write, and that corpora/README.md
# quotes their reports verbatim.
# Exits 77 (skipped) only when the package cannot be fetched from the npm registry, or Unihan
# (Debian's unicode-data) is not installed.
set -uo pipefail
builder=$1 metre_builder=$2 repo=$3 work=$4
unihan=${POET_UNIHAN:-/usr/share/unicode}
if [[ ! -f "$unihan/Unihan_Readings.txt.bz2" ]]; then
  echo "skipped: no Unihan in $unihan (Debian's unicode-data)"
  exit 77
fi
rm -rf "$work/out"
mkdir -p "$work/out"
if ! POET_CORPUS=$builder POET_METRE=$metre_builder POET_CORPUS_CACHE=$work/cache \
     "$repo/corpora/build.sh" --out "$work/out" > "$work/report.txt"; then
  if ! ls "$work"/cache/chinese-poetry-*.tgz >/dev/null 2>&1; then
    echo "skipped: chinese-poetry could not be fetched from the npm registry"
    exit 77
  fi
  echo "corpora/build.sh failed" >&2
  exit 1
fi
status=0
for file in tang.tsv fixture.tsv metre.tsv; do
  if cmp "$repo/corpora/$file" "$work/out/$file"; then
    echo "corpora/$file: identical to a fresh build"
  else
    status=1
  fi
done
while IFS= read -r line; do
  [[ "$line" == fixture:* ]] && continue  # names the output path, which differs here
  grep -qxF "$line" "$repo/corpora/README.md" || { echo "corpora/README.md lacks: $line" >&2; status=1; }
done < "$work/report.txt"
exit $status
