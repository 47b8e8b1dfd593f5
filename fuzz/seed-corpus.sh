#!/usr/bin/env bash
# Lays out the seed corpus of the `mutated_go` fuzz target (and the starting corpus of
# `pipeline_bytes`), for the soak, the smoke pass and the differential check:
#
#   fuzz/seeds/          every .go file of transforms/*/fixtures/ (package fixtures included),
#                        plus the GOROOT/src files that contain `defer` and are at most
#                        MAX_BYTES long (no testdata/, no vendor/), under flat names
#
# GOROOT code is copied, never committed (fuzz/seeds/ is in fuzz/.gitignore). The listing is sorted,
# so the same repository and Go installation give the same corpus, file for file.
#
# Usage: fuzz/seed-corpus.sh [OUT_DIR]   (default fuzz/seeds; prints the file count on stdout)
# Env:   GOROOT     the Go tree to sample (default: `go env GOROOT`; none: fixtures only)
#        MAX_BYTES  size limit for GOROOT files (default 8192: small files keep the fuzzer fast)
set -euo pipefail
exec </dev/null

here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
out=${1:-$here/seeds}
max=${MAX_BYTES:-8192}

log() { printf 'seed-corpus.sh: %s\n' "$*" >&2; }

rm -rf "$out"
mkdir -p "$out"

# Fixtures: transforms/<rule>/fixtures/<name>.go or <name>/<file>.go -> fixture--<rule>--<name>[--<file>].go
n_fix=0
while IFS= read -r file; do
    rel=${file#"$repo"/transforms/}
    name=$(printf '%s' "$rel" | sed -e 's#/fixtures/#--#' -e 's#/#--#g')
    cp "$file" "$out/fixture--$name"
    n_fix=$((n_fix + 1))
done < <(find "$repo/transforms" -path '*/fixtures/*' -name '*.go' -type f | LC_ALL=C sort)

goroot=${GOROOT:-}
if [ -z "$goroot" ] && command -v go >/dev/null; then
    goroot=$(go env GOROOT)
fi
n_go=0
if [ -n "$goroot" ] && [ -d "$goroot/src" ]; then
    while IFS= read -r file; do
        rel=${file#"$goroot"/src/}
        cp "$file" "$out/goroot--$(printf '%s' "$rel" | sed 's#/#--#g')"
        n_go=$((n_go + 1))
    done < <(find "$goroot/src" \( -name testdata -o -name vendor \) -prune -o \
        -name '*.go' -type f -size -"$((max + 1))"c -print0 | xargs -0 grep -lw defer | LC_ALL=C sort)
else
    log "no GOROOT found: fixtures only"
fi
log "$n_fix fixture files, $n_go GOROOT files (<= $max bytes, with defer) in $out"
echo $((n_fix + n_go))
