#!/usr/bin/env bash
# Differential check with the Go toolchain: COUNT (default 2000) mutants of the seed corpus that
# gofmt accepts, fixed by `deferfix -w --unsafe`, must all still be accepted by `gofmt -e` and be
# gofmt-clean (`gofmt -l` prints nothing).
#
#   1. emit_mutants (this crate, stable Rust) writes mutants deterministically from their index,
#      one package directory each, under go.mod files of their Go version;
#   2. `gofmt -l -w` formats them in one batch; the ones it rejects are counted and dropped,
#      and more are made until COUNT are accepted;
#   3. deferfix fixes the tree in place (--unsafe, no cache); an internal error fails the check,
#      a file tree-sitter-go cannot parse (gofmt could) is counted: deferfix leaves it unchanged;
#   4. `gofmt -l -e` over the fixed tree must print nothing and report no error.
#
# Usage: fuzz/differential.sh
# Env:   COUNT     mutants gofmt accepts (default 2000)
#        DEFERFIX  the deferfix binary (default target/release/deferfix, built when missing)
#        KEEP=1    keep the work directory (printed) for a look at the mutants
set -euo pipefail
exec </dev/null

fuzz_dir=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$fuzz_dir/.." && pwd -P)
count=${COUNT:-2000}
start=$(date +%s%N)

log() { printf 'differential.sh: %s\n' "$*" >&2; }

if ! command -v gofmt >/dev/null && [ -x /usr/local/go/bin/gofmt ]; then
    PATH=/usr/local/go/bin:$PATH
fi
command -v gofmt >/dev/null || { log "gofmt is not on PATH"; exit 2; }

deferfix=${DEFERFIX:-$repo/target/release/deferfix}
if [ ! -x "$deferfix" ]; then
    (cd "$repo" && cargo build --release --bin deferfix >&2)
fi
# Built in the same per-user cache as the fuzz targets (fuzz/env.sh says why).
export CARGO_TARGET_DIR=${DEFERFIX_FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-tools/fuzz-target}
(cd "$fuzz_dir" && cargo build --release --features emit --bin emit_mutants >&2)
emit=$CARGO_TARGET_DIR/release/emit_mutants

seeds=$fuzz_dir/seeds
[ -n "$(ls -A "$seeds" 2>/dev/null)" ] || "$fuzz_dir/seed-corpus.sh" >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-differential.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then
    log "work directory: $work"
else
    trap 'rm -rf "$work"' EXIT
fi
tree=$work/mutants

# The mutant directories (…/<version>/m<index>) of the files gofmt names in its errors.
rejected_dirs() { sed -nE 's#^(.*/m[0-9]+)/m\.go:[0-9]+:[0-9]+: .*#\1#p' "$1" | sort -u; }

generated=0
rejected=0
accepted=0
while [ "$accepted" -lt "$count" ]; do
    need=$((count - accepted))
    batch=$((need + need / 10 + 16))
    "$emit" "$seeds" "$tree" "$generated" "$batch" >/dev/null
    generated=$((generated + batch))
    # One gofmt over the whole tree: already formatted files are left as they are.
    gofmt -l -w "$tree" >/dev/null 2>"$work/gofmt-in.err" || true
    while IFS= read -r dir; do
        rm -rf "$dir"
        rejected=$((rejected + 1))
    done < <(rejected_dirs "$work/gofmt-in.err")
    if grep -vqE '^.*/m[0-9]+/m\.go:[0-9]+:[0-9]+: ' "$work/gofmt-in.err"; then
        log "gofmt failed in an unexpected way:"
        grep -vE '^.*/m[0-9]+/m\.go:[0-9]+:[0-9]+: ' "$work/gofmt-in.err" | head -n 20 >&2
        exit 1
    fi
    accepted=$(find "$tree" -name m.go | wc -l)
done
# Exactly COUNT: drop the highest indices.
find "$tree" -name m.go | sed -E 's#^(.*/m([0-9]+))/m\.go$#\2 \1#' | sort -n |
    tail -n +"$((count + 1))" | while read -r _ dir; do rm -rf "$dir"; done
accepted=$(find "$tree" -name m.go | wc -l)
cp -a "$tree" "$work/before"

# Fix everything in place, as a user would.
set +e
DEFERFIX_NO_CACHE=1 "$deferfix" -w --unsafe -q --include-generated "$tree" >"$work/deferfix.out" 2>"$work/deferfix.err"
rc=$?
set -e
if [ "$rc" -gt 2 ] || grep -q 'internal error' "$work/deferfix.err"; then
    log "deferfix failed (exit code $rc):"
    head -n 40 "$work/deferfix.err" >&2
    exit 1
fi
# Exit code 2 is fine only for files tree-sitter-go does not parse (left unchanged).
unparsed=$(grep -c 'syntax error: file does not parse' "$work/deferfix.err" || true)
other=$(grep -vc 'syntax error: file does not parse' "$work/deferfix.err" || true)
if [ "$other" -gt 0 ]; then
    log "deferfix reported errors other than files it cannot parse:"
    grep -v 'syntax error: file does not parse' "$work/deferfix.err" | head -n 40 >&2
    exit 1
fi
changed=$(diff -rq "$work/before" "$tree" | wc -l || true)

# Every fixed file parses for gofmt and is gofmt-clean.
set +e
gofmt -l -e "$tree" >"$work/gofmt-out.txt" 2>"$work/gofmt-out.err"
set -e
if [ -s "$work/gofmt-out.err" ] || [ -s "$work/gofmt-out.txt" ]; then
    log "fixed files that gofmt rejects or would reformat:"
    head -n 40 "$work/gofmt-out.err" >&2
    while IFS= read -r file; do
        rel=${file#"$tree"/}
        diff -u "$work/before/$rel" "$file" | head -n 60 >&2 || true
        gofmt -d "$file" | head -n 40 >&2 || true
    done < <(head -n 5 "$work/gofmt-out.txt")
    echo "differential: FAILED: $(wc -l <"$work/gofmt-out.txt") not gofmt-clean, $(grep -c . "$work/gofmt-out.err" || true) gofmt errors, of $accepted fixed"
    exit 1
fi
secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
echo "differential: $generated mutants generated, $rejected rejected by gofmt, $accepted accepted; deferfix changed $changed, left $unparsed it cannot parse unchanged; all $accepted fixed files pass gofmt -e and are gofmt-clean ($secs s)"
