#!/usr/bin/env bash
# The rules' lexical prefilters (`Rule::may_match`) must never skip a file a rule finds
# something in. Runs the test build of deferfix (target/debug/deferfix, built by `cargo test`
# with the test-hooks feature) over $(go env GOROOT)/src with and without them
# (DEFERFIX_TEST_NO_LEXICAL_PREFILTER=1) and requires the same findings and the same fixes.
set -euo pipefail
exec </dev/null

cd "$(dirname "$0")/.."
bin=target/debug/deferfix
[ -x "$bin" ] || { echo "prefilter-check.sh: $bin is missing (run cargo test first)" >&2; exit 2; }
tree=$(go env GOROOT)/src
scratch=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-prefilter.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export DEFERFIX_NO_CACHE=1

start=$SECONDS
for mode in "--check --unsafe" "--unsafe"; do
    # shellcheck disable=SC2086 # the mode is two words on purpose
    status_on=0; "$bin" $mode "$tree" >"$scratch/on" 2>&1 || status_on=$?
    # shellcheck disable=SC2086
    status_off=0; DEFERFIX_TEST_NO_LEXICAL_PREFILTER=1 "$bin" $mode "$tree" >"$scratch/off" 2>&1 || status_off=$?
    # Output and exit code alike: every file of the tree parses, so parsing more of them
    # changes no summary either.
    if [ "$status_on" != "$status_off" ] || ! cmp -s "$scratch/on" "$scratch/off"; then
        echo "prefilter-check.sh: deferfix $mode differs with and without the lexical prefilter (exit $status_on / $status_off):" >&2
        diff "$scratch/off" "$scratch/on" | head -n 20 >&2
        exit 1
    fi
    printf 'prefilter: deferfix %s over %s: %s lines, exit %s, identical without the prefilter\n' \
        "$mode" "$tree" "$(wc -l <"$scratch/on" | tr -d ' ')" "$status_on"
done
printf 'prefilter: %s s\n' "$((SECONDS - start))"
