#!/usr/bin/env bash
# Builds deferfix's Python wheel for this platform with maturin (pyproject.toml), installs it into
# a fresh virtual environment the way the GitHub Action does (.github/action/install.sh, from a
# local directory instead of PyPI), and runs the installed deferfix from there: --version,
# --list-rules and the bundled example module. Prints the wheel's file name and size.
#
# Usage: .ci/wheel.sh [OUT_DIR]   (the wheel is left in OUT_DIR when given)
set -euo pipefail
exec </dev/null

cd "$(dirname "$0")/.."
ROOT=$PWD

log() { printf 'wheel.sh: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

version=$(.ci/tools/crate-version.sh)
maturin=$(.ci/tools/maturin.sh)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-wheel.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
out=${1:-$scratch/dist}
mkdir -p "$out"

log "building the wheel ($("$maturin" --version))"
"$maturin" build --release --out "$out" >&2
wheels=("$out"/deferfix-"$version"-*.whl)
[ "${#wheels[@]}" -eq 1 ] && [ -f "${wheels[0]}" ] ||
    fail "expected one deferfix-$version wheel in $out, found: $(ls "$out")"
wheel=${wheels[0]}
printf 'wheel: %s (%s bytes)\n' "$(basename "$wheel")" "$(wc -c <"$wheel" | tr -d ' ')"

# Installed as the action installs it, from this directory rather than PyPI.
PIP_NO_INDEX=1 PIP_FIND_LINKS=$out RUNNER_TEMP=$scratch INPUT_VERSION=$version \
    GITHUB_PATH=$scratch/github-path .github/action/install.sh >&2
bin_dir=$(cat "$scratch/github-path")
installed=$bin_dir/deferfix
[ -x "$installed" ] || fail "the wheel installed no deferfix in $bin_dir"

got=$("$installed" --version)
printf 'installed: %s\n' "$got"
case $got in
"deferfix $version" | "deferfix $version "*) ;;
*) fail "the installed deferfix --version printed '$got', not deferfix $version" ;;
esac
rules=$("$installed" --list-rules)
[ -n "$rules" ] || fail "the installed deferfix --list-rules printed nothing"
printf 'rules: %s\n' "$(printf '%s\n' "$rules" | wc -l | tr -d ' ')"

# The bundled example has findings: a dry run prints a diff and exits 1.
status=0
diff=$(cd examples/leaky-service && DEFERFIX_NO_CACHE=1 "$installed" .) || status=$?
[ "$status" -eq 1 ] || fail "the installed deferfix exited $status on examples/leaky-service, not 1"
printf '%s\n' "$diff" | grep -q '^+++ ' || fail "the installed deferfix printed no diff for the example"
printf 'example: exit 1, %s diff lines\n' "$(printf '%s\n' "$diff" | wc -l | tr -d ' ')"
log "ok ($ROOT)"
