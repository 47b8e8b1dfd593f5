#!/usr/bin/env bash
# Real-world check: rewrite a copy of the whole Go distribution with `deferfix -w` and prove with
# Go's own toolchain that the result still compiles and vets, and that a second run finds nothing
# left to do (the fixes converge).
#
# Steps: `deferfix --check` counts on the untouched copy; `deferfix -w`; `go build std cmd` and
# `go vet std` with the copy's own toolchain and a fresh build cache; `go vet` of every changed
# file that those two did not type-check (cmd tests, other GOOS/GOARCH, `//go:build ignore`
# programs); `go test -short` of every rewritten package (a package that fails is tested on the
# original tree too, and only failures the rewrite caused fail the run); a second dry run that
# must print no diff.
#
# Usage: .ci/realworld.sh            (from anywhere, after `cargo build --release`)
# Env:   GO          go command whose GOROOT is copied (default: go on PATH)
#        DEFERFIX    binary to test (default: target/release/deferfix)
#        KEEP_TMP=1  keep the temporary directory for inspection
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
GO=${GO:-go}
DEFERFIX=${DEFERFIX:-$ROOT/target/release/deferfix}

# Platforms a changed file may need to be type-checked on, beyond the host: `go list` decides
# which of them compile which changed file, and only those are vetted.
TARGETS=(
    "GOEXPERIMENT=jsonv2"
    "GOOS=windows GOARCH=amd64"
    "GOOS=darwin GOARCH=arm64"
    "GOOS=darwin GOARCH=arm64 GOFLAGS=-tags=ios"
    "GOOS=plan9 GOARCH=amd64"
    "GOOS=freebsd GOARCH=amd64"
    "GOOS=openbsd GOARCH=amd64"
    "GOOS=netbsd GOARCH=amd64"
    "GOOS=dragonfly GOARCH=amd64"
    "GOOS=solaris GOARCH=amd64"
    "GOOS=illumos GOARCH=amd64"
    "GOOS=aix GOARCH=ppc64"
    "GOOS=js GOARCH=wasm"
    "GOOS=wasip1 GOARCH=wasm"
    "GOOS=linux GOARCH=386"
    "GOOS=linux GOARCH=arm64"
    "GOOS=linux GOARCH=arm"
    "GOOS=linux GOARCH=riscv64"
    "GOOS=linux GOARCH=ppc64le"
    "GOOS=linux GOARCH=s390x"
    "GOOS=linux GOARCH=mips64le"
    "GOOS=linux GOARCH=loong64"
    "GOOS=linux GOARCH=amd64 GOFLAGS=-tags=android"
)

[ -x "$DEFERFIX" ] || { echo "realworld: $DEFERFIX not found; run cargo build --release" >&2; exit 2; }
GOROOT_ORIG=$("$GO" env GOROOT)
[ -d "$GOROOT_ORIG/src" ] || { echo "realworld: no Go source at $GOROOT_ORIG/src" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-realworld.XXXXXX")
cleanup() {
    if [ "${KEEP_TMP:-}" = 1 ]; then
        echo "realworld: kept $TMP"
    else
        chmod -R u+w "$TMP" 2>/dev/null || true
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT

COPY=$TMP/goroot
echo "== copying $GOROOT_ORIG ($("$GO" env GOVERSION)) to $COPY"
cp -a "$GOROOT_ORIG" "$COPY"
chmod -R u+w "$COPY"

# Exit 1 (findings remain) is expected. Anything else (a file with errors, a crash, a signal)
# fails the run.
check_exit() { # name, exit code, stderr file
    local name=$1 rc=$2 err=$3
    case $rc in
        0 | 1) return 0 ;;
        *) echo "realworld: FAIL: $name exited $rc" >&2; cat "$err" >&2; exit 1 ;;
    esac
}

run_deferfix() { # name, output prefix, deferfix args...
    local name=$1 out=$2 rc
    shift 2
    set +e
    "$DEFERFIX" "$@" >"$out.out" 2>"$out.err"
    rc=$?
    set -e
    check_exit "$name" $rc "$out.err"
    echo "exit code: $rc"
}

echo "== deferfix --check on the original tree"
run_deferfix "deferfix --check" "$TMP/check" --check "$COPY/src"
cat "$TMP/check.err"
total=$(grep -c . "$TMP/check.out" || true)
safe=$(grep -c ' \[fix\]$' "$TMP/check.out" || true)
unsafe=$(grep -c ' \[unsafe fix: .*\]$' "$TMP/check.out" || true)
echo "findings: $total total, $safe safe fixes, $unsafe unsafe fixes," \
    "$((total - safe - unsafe)) without a fix"
echo "findings per rule:"
sed -E 's/^[^ ]+ ([a-z-]+): .*/\1/' "$TMP/check.out" | sort | uniq -c
echo "== deferfix --statistics on the original tree"
run_deferfix "deferfix --statistics" "$TMP/stats" --statistics "$COPY/src"
cat "$TMP/stats.out"

echo "== deferfix -w"
run_deferfix "deferfix -w" "$TMP/write" -w "$COPY/src"
cat "$TMP/write.out" "$TMP/write.err"

diff -rq "$GOROOT_ORIG/src" "$COPY/src" >"$TMP/diff-rq.txt" || true
if grep -v ' differ$' "$TMP/diff-rq.txt"; then
    echo "realworld: FAIL: files added or removed by deferfix -w (above)" >&2
    exit 1
fi
sed -n "s|^Files .* and $COPY/src/\(.*\) differ\$|\1|p" "$TMP/diff-rq.txt" >"$TMP/changed.txt"
echo "files changed: $(grep -c . "$TMP/changed.txt" || true) (diff -rq against $GOROOT_ORIG/src)"

# Show deferfix's change to every file a failing Go command names.
show_hunks() { # log file
    local rel
    grep -oE '[^[:space:]:]+\.go:[0-9]+' "$1" | sed "s/:[0-9]*\$//; s|^\./||; s|^$COPY/src/||" |
        sort -u | while IFS= read -r rel; do
            grep -qxF "$rel" "$TMP/changed.txt" || continue
            echo "--- deferfix's change to $rel:"
            diff -u --label "a/$rel" --label "b/$rel" "$GOROOT_ORIG/src/$rel" "$COPY/src/$rel" ||
                true
        done
}

export GOROOT=$COPY GOFLAGS='' GOTOOLCHAIN=local GOENV=off
export GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOMODCACHE=$TMP/gopath/pkg/mod
GOBIN_COPY=$COPY/bin/go
failed=0
run_go() { # label, env assignments (may be empty), go args...
    local label=$1 assignments=$2
    shift 2
    echo "== $label"
    # shellcheck disable=SC2086 # the assignments are words on purpose
    if (cd "$COPY/src" && env $assignments "$GOBIN_COPY" "$@") >"$TMP/go.log" 2>&1; then
        cat "$TMP/go.log"
        echo "ok: $label"
    else
        cat "$TMP/go.log"
        echo "realworld: FAIL: $label on the rewritten tree" >&2
        show_hunks "$TMP/go.log"
        failed=1
    fi
}
run_go "go build std cmd" "" build std cmd
run_go "go vet std" "" vet std

# The changed files `go build std cmd` and `go vet std` did not type-check on this host: tests of
# cmd packages, files for other platforms, `//go:build ignore` programs.
files_of() { # env assignments, packages... -> absolute paths of the files vet would check
    local assignments=$1
    shift
    # shellcheck disable=SC2086,SC2016 # a Go template, not a shell expansion
    (cd "$COPY/src" && env $assignments "$GOBIN_COPY" list -e -f \
        '{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .CgoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .TestGoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}' \
        "$@" 2>/dev/null) || true
}
sed "s|^|$COPY/src/|" "$TMP/changed.txt" | sort -u >"$TMP/unchecked.txt"
mapfile -t packages < <(sed 's|/[^/]*$||' "$TMP/changed.txt" | sort -u)
checked_elsewhere=0
for target in "" "${TARGETS[@]}"; do
    if [ ! -s "$TMP/unchecked.txt" ] || [ ${#packages[@]} -eq 0 ]; then
        break
    fi
    files_of "$target" "${packages[@]}" | sort -u >"$TMP/target-files.txt"
    comm -12 "$TMP/unchecked.txt" "$TMP/target-files.txt" >"$TMP/now.txt"
    [ -s "$TMP/now.txt" ] || continue
    mapfile -t now_packages < <(sed "s|^$COPY/src/||; s|/[^/]*\$||" "$TMP/now.txt" | sort -u)
    run_go "go vet ${now_packages[*]} (${target:-host}: $(grep -c . "$TMP/now.txt") changed files)" \
        "$target" vet "${now_packages[@]}"
    checked_elsewhere=$((checked_elsewhere + $(grep -c . "$TMP/now.txt")))
    comm -23 "$TMP/unchecked.txt" "$TMP/now.txt" >"$TMP/rest.txt"
    mv "$TMP/rest.txt" "$TMP/unchecked.txt"
done
while IFS= read -r file; do
    rel=${file#"$COPY/src/"}
    if grep -q '^//go:build ignore$' "$file"; then
        run_go "go vet $rel (a //go:build ignore program)" "" vet "$rel"
        checked_elsewhere=$((checked_elsewhere + 1))
    else
        echo "note: not type-checked on any target: $rel"
    fi
done <"$TMP/unchecked.txt"
echo "changed files vetted by package or platform: $checked_elsewhere"

# The tests of every package the rewrite changed (the host's files; other platforms' changes were
# vetted above). A failure counts only when the same test passes on the original tree.
TEST_TIMEOUT=${TEST_TIMEOUT:-10m}
mapfile -t tested < <(files_of "" "${packages[@]}" | sort -u | comm -12 - <(sed "s|^|$COPY/src/|" "$TMP/changed.txt" | sort -u) |
    sed "s|^$COPY/src/||; s|/[^/]*\$||" | sort -u)
echo "== go test -short of the ${#tested[@]} rewritten packages"
tests_passed=0 tests_pre=0
for pkg in "${tested[@]}"; do
    if (cd "$COPY/src" && "$GOBIN_COPY" test -short -count=1 -timeout "$TEST_TIMEOUT" "./$pkg") >"$TMP/test.log" 2>&1; then
        echo "ok: go test -short $pkg"
        tests_passed=$((tests_passed + 1))
    elif (cd "$GOROOT_ORIG/src" && env -u GOROOT GOCACHE="$TMP/gocache-orig" "$GO" test -short -count=1 -timeout "$TEST_TIMEOUT" "./$pkg") >"$TMP/test-orig.log" 2>&1; then
        cat "$TMP/test.log"
        echo "realworld: FAIL: go test -short $pkg fails on the rewritten tree and passes on the original" >&2
        show_hunks "$TMP/test.log"
        for changed in $(grep "^$pkg/[^/]*\.go$" "$TMP/changed.txt"); do
            echo "--- deferfix's change to $changed:"
            diff -u --label "a/$changed" --label "b/$changed" "$GOROOT_ORIG/src/$changed" "$COPY/src/$changed" || true
        done
        failed=1
    else
        tail -20 "$TMP/test.log"
        echo "note: go test -short $pkg fails on the original tree too; not counted"
        tests_pre=$((tests_pre + 1))
    fi
done
echo "rewritten packages tested: ${#tested[@]} (passed $tests_passed, failing on the original too $tests_pre)"
unset GOROOT GOFLAGS GOTOOLCHAIN GOENV GOCACHE GOPATH GOMODCACHE

echo "== second dry run (must print no diff)"
run_deferfix "second deferfix dry run" "$TMP/again" "$COPY/src"
cat "$TMP/again.err"
if [ -s "$TMP/again.out" ]; then
    echo "realworld: FAIL: deferfix did not converge; a second run still changes:" >&2
    cat "$TMP/again.out"
    failed=1
else
    echo "ok: no diff"
fi

if [ $failed = 1 ]; then
    echo "realworld: FAILED"
    exit 1
fi
echo "realworld: passed"
