#!/usr/bin/env bash
# Times a deferfix dry run over the Go standard library next to `ast-grep scan` with an equivalent
# rule, and measures deferfix's peak memory.
#
# The corpus is a copy of $(go env GOROOT)/src without its `testdata` directories (deliberately
# broken Go) and without the directories deferfix never visits (`vendor`, `_*`, `.*`), so both
# tools look at the same files. deferfix still reads the generated files it skips.
#
# Usage: bench/bench.sh              (from anywhere; builds target/release/deferfix first)
# Env:   RUNS=3        timed runs per tool (after one warmup run)
#        GO=go         go command whose GOROOT/src is the corpus
#        BENCH_OUT=... where hyperfine's JSON goes (default target/bench)
#        BASELINE=path another deferfix binary (an earlier build) timed with all rules beside
#                      this one, to compare like with like in one run
#
# Every run but "deferfix, cached" analyses each file (DEFERFIX_NO_CACHE=1); that one uses a
# result cache in the temporary directory, filled by its warmup run: a second run over unchanged
# files.
# Installs what is missing: hyperfine and GNU time with apt-get, ast-grep (PyPI `ast-grep-cli`)
# into a venv under ${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-bench.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-3}
GO=${GO:-go}
OUT=${BENCH_OUT:-$ROOT/target/bench}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-bench
DEFERFIX=$ROOT/target/release/deferfix
# Targets (medians, side by side in one run): every rule costs at most MAX_ALL_RULES times
# defer-in-loop alone and at most MAX_RATIO of ast-grep's time; a cached second run at most
# MAX_CACHED_RATIO of ast-grep's; peak memory under MAX_RSS_MB.
MAX_ALL_RULES=1.3
MAX_RATIO=0.25
MAX_CACHED_RATIO=0.05
# The timed runs analyse every file; only the "cached" command turns the cache back on.
export DEFERFIX_NO_CACHE=1
MAX_RSS_MB=100

apt_install() { # packages...
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo -n)
    echo "bench: installing $* with apt-get" >&2
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
}

command -v hyperfine >/dev/null || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time
command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 2; }

# `sg` is also shadow-utils' "switch group": accept only a binary that says it is ast-grep.
AST_GREP=
for candidate in ast-grep sg; do
    path=$(command -v "$candidate" || true)
    if [ -n "$path" ] && "$path" --version 2>/dev/null | grep -qi '^ast-grep'; then
        AST_GREP=$path
        break
    fi
done
if [ -z "$AST_GREP" ]; then
    if [ ! -x "$CACHE/venv/bin/ast-grep" ]; then
        echo "bench: installing ast-grep-cli into $CACHE/venv" >&2
        python3 -m venv "$CACHE/venv"
        "$CACHE/venv/bin/pip" install -q ast-grep-cli
    fi
    AST_GREP=$CACHE/venv/bin/ast-grep
fi

echo "== cargo build --release" >&2
cargo build --release --quiet

TMP=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
GOROOT_SRC=$("$GO" env GOROOT)/src
CORPUS=$TMP/src
cp -a "$GOROOT_SRC" "$CORPUS"
find "$CORPUS" -mindepth 1 -type d \( -name testdata -o -name vendor -o -name '_*' -o -name '.*' \) \
    -prune -exec rm -rf {} +
FILES=$(find "$CORPUS" -type f -name '*.go' | wc -l)
BYTES=$(find "$CORPUS" -type f -name '*.go' -printf '%s\n' | awk '{ s += $1 } END { print s }')

# The rule: a defer statement whose nearest enclosing loop comes before any function boundary.
RULE=$TMP/defer-in-loop.yml
cat >"$RULE" <<'EOF'
id: defer-in-loop
language: go
severity: warning
message: defer in a loop runs when the function returns, not at the end of each iteration
rule:
  kind: defer_statement
  inside:
    kind: for_statement
    stopBy:
      any:
        - kind: func_literal
        - kind: function_declaration
        - kind: method_declaration
EOF

# deferfix exits 1 on findings and 2 when a file does not parse (newer Go syntax than
# tree-sitter-go knows); anything else is a crash.
set +e
"$DEFERFIX" --check "$CORPUS" >"$TMP/check.out" 2>"$TMP/check.err"
rc=$?
set -e
if [ $rc -gt 2 ]; then
    cat "$TMP/check.err" >&2
    echo "bench: deferfix --check exited $rc" >&2
    exit 1
fi
sed "s|$CORPUS/|src/|" "$TMP/check.err"
# The ast-grep rule is the equivalent of defer-in-loop only; the other rules are timed below.
DEFERFIX_COUNT=$(grep -c ': defer-in-loop: ' "$TMP/check.out" || true)
AST_GREP_COUNT=$("$AST_GREP" scan --rule "$RULE" --json=stream "$CORPUS" | grep -c . || true)
echo "findings: deferfix --check $(grep -c . "$TMP/check.out" || true) (defer-in-loop: $DEFERFIX_COUNT), ast-grep $AST_GREP_COUNT" \
    "(ast-grep also reads the generated files deferfix skips)"
if ! python3 -c 'import sys; a, b = map(int, sys.argv[1:]); sys.exit(abs(a - b) > max(5, 0.1 * max(a, b)))' \
    "$DEFERFIX_COUNT" "$AST_GREP_COUNT"; then
    echo "bench: the ast-grep rule and deferfix disagree too much to compare their times" >&2
    exit 1
fi

mkdir -p "$OUT"
JSON=$OUT/hyperfine.json
# ast-grep with --json=stream: its cheapest output (the default rich report is slower still).
BASELINE_COMMAND=()
if [ -n "${BASELINE:-}" ]; then
    BASELINE_COMMAND=(--command-name "baseline, all rules" "$BASELINE $CORPUS")
fi
hyperfine --warmup 1 --runs "$RUNS" --ignore-failure --shell=none --style basic \
    --export-json "$JSON" \
    --command-name deferfix "$DEFERFIX --select defer-in-loop $CORPUS" \
    --command-name "deferfix, all rules" "$DEFERFIX $CORPUS" \
    --command-name "deferfix, cached" \
    "env DEFERFIX_NO_CACHE=0 DEFERFIX_CACHE_DIR=$TMP/cache $DEFERFIX $CORPUS" \
    "${BASELINE_COMMAND[@]}" \
    --command-name ast-grep "$AST_GREP scan --rule $RULE --json=stream $CORPUS" >&2

/usr/bin/time -v -o "$TMP/rss.txt" "$DEFERFIX" "$CORPUS" >/dev/null 2>&1 || true
RSS_KB=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/rss.txt")
[ -n "$RSS_KB" ] || { cat "$TMP/rss.txt" >&2; echo "bench: no RSS measured" >&2; exit 1; }

# INSTRUCTIONS=1: also count both runs' instructions (callgrind, one thread), which unlike
# wall-clock times do not move with what else the machine runs.
ALL_IR= DIL_IR=
if [ "${INSTRUCTIONS:-0}" = 1 ]; then
    command -v valgrind >/dev/null || apt_install valgrind
    echo "== callgrind, one thread, both runs side by side (a few minutes)" >&2
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.all" \
        "$DEFERFIX" -j1 "$CORPUS" >/dev/null 2>"$TMP/cg.all.err" &
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.dil" \
        "$DEFERFIX" -j1 --select defer-in-loop "$CORPUS" >/dev/null 2>"$TMP/cg.dil.err" || true
    wait || true
    ALL_IR=$(sed -n 's/.*Collected : //p' "$TMP/cg.all.err")
    DIL_IR=$(sed -n 's/.*Collected : //p' "$TMP/cg.dil.err")
    [ -n "$ALL_IR" ] && [ -n "$DIL_IR" ] || { echo "bench: callgrind counted nothing" >&2; exit 1; }
fi

python3 - "$JSON" "$FILES" "$BYTES" "$RSS_KB" "$MAX_RATIO" "$MAX_RSS_MB" "$MAX_CACHED_RATIO" "$MAX_ALL_RULES" "$ALL_IR" "$DIL_IR" <<'EOF'
import json, sys

path, files, size, rss_kb, max_ratio, max_rss, max_cached, max_all, all_ir, dil_ir = sys.argv[1:]
files, size, rss_mb = int(files), int(size) / 1e6, int(rss_kb) / 1024
max_ratio, max_rss, max_cached, max_all = map(float, (max_ratio, max_rss, max_cached, max_all))
results = {r["command"]: r for r in json.load(open(path))["results"]}
theirs = results["ast-grep"]
met = lambda ok: "met" if ok else "MISSED"
def line(label, name):
    r = results[name]
    spread = f"{min(r['times']):.3f}..{max(r['times']):.3f}"
    print(f"{label:<18}{r['median']:.3f} s median ({spread}, {len(r['times'])} runs), {r['median'] / theirs['median']:.3f} of ast-grep")
print(f"files:            {files} .go files, {size:.1f} MB")
for label, name in [("defer-in-loop:", "deferfix"), ("all rules:", "deferfix, all rules"),
                    ("baseline, all:", "baseline, all rules"), ("cached:", "deferfix, cached"),
                    ("ast-grep:", "ast-grep")]:
    if name in results:
        line(label, name)
median = lambda name: results[name]["median"]
all_rules = median("deferfix, all rules") / median("deferfix")
ratio = median("deferfix, all rules") / median("ast-grep")
cached = median("deferfix, cached") / median("ast-grep")
checks = [
    (f"all rules / defer-in-loop: {all_rules:.3f} (target <= {max_all})", all_rules <= max_all),
    (f"all rules / ast-grep:      {ratio:.3f} (target <= {max_ratio})", ratio <= max_ratio),
    (f"cached / ast-grep:         {cached:.3f} (target <= {max_cached})", cached <= max_cached),
    (f"peak RSS, all rules:       {rss_mb:.1f} MB (target < {max_rss:.0f} MB)", rss_mb < max_rss),
]
if all_ir and dil_ir:
    by_instructions = int(all_ir) / int(dil_ir)
    print(f"instructions:     all rules {int(all_ir) / 1e9:.2f} G, defer-in-loop {int(dil_ir) / 1e9:.2f} G (callgrind, one thread)")
    checks.insert(1, (f"  in instructions:         {by_instructions:.3f} (target <= {max_all})", by_instructions <= max_all))
for text, ok in checks:
    print(f"{text}: {met(ok)}")
print(f"throughput:       {files / median('deferfix, all rules'):.0f} files/s with all rules")
sys.exit(0 if all(ok for _, ok in checks) else 1)
EOF
