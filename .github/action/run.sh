#!/usr/bin/env bash
# The GitHub Action's run step (action.yml): runs deferfix with the action's inputs and sets its
# outputs. Testable without GitHub: give the inputs as environment variables (tests/action.rs).
#
# Env:
#   INPUT_ARGS              paths and flags, split on whitespace and newlines (default ./...)
#   INPUT_FORMAT            --format (default github: annotations on the pull request)
#   INPUT_SINCE             --since REV when not empty (action.yml: the pull request's base)
#   INPUT_FAIL_ON_FINDINGS  true (default): exit 1 when deferfix finds something; false: exit 0
#   INPUT_OUTPUT_FILE       when not empty, deferfix's stdout (the findings) goes to this file
#                           instead of the log: for reviewdog (rdjson) or code scanning (sarif)
#   GITHUB_OUTPUT           where `exit-code=` and `findings=` go (printed to stdout when unset)
#   GITHUB_STEP_SUMMARY     when set, deferfix's Markdown summary is appended to it
#   DEFERFIX                the deferfix command (default: deferfix on PATH)
#
# Exit status: 2 when deferfix could not run or a file could not be processed, whatever
# fail-on-findings says; 1 for findings with fail-on-findings true; else 0.
set -euo pipefail

log() { printf 'deferfix action: %s\n' "$*" >&2; }

deferfix=${DEFERFIX:-deferfix}
format=${INPUT_FORMAT:-github}
fail_on_findings=${INPUT_FAIL_ON_FINDINGS:-true}
case $fail_on_findings in
true | false) ;;
*) log "fail-on-findings must be true or false, not '$fail_on_findings'"; exit 2 ;;
esac

# Split on any whitespace, newlines included (`args: |` blocks in YAML), as an unquoted shell
# word list would be.
read -r -d '' -a args <<<"${INPUT_ARGS:-./...}" || true
[ "${#args[@]}" -gt 0 ] || args=(./...)
command=("$deferfix" --format "$format")
[ -z "${INPUT_SINCE:-}" ] || command+=(--since "$INPUT_SINCE")
summary=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/deferfix-summary.XXXXXX")
trap 'rm -f "$summary"' EXIT
command+=(--summary-md "$summary" "${args[@]}")

log "${command[*]}"
status=0
if [ -n "${INPUT_OUTPUT_FILE:-}" ]; then
    mkdir -p "$(dirname "$INPUT_OUTPUT_FILE")"
    "${command[@]}" >"$INPUT_OUTPUT_FILE" || status=$?
else
    "${command[@]}" || status=$?
fi

# The summary's total row: | **total** | findings | fixed | held back | without a fix | suppressed |
findings=$(sed -n 's/^| \*\*total\*\* | \([0-9]*\) |.*/\1/p' "$summary")
# deferfix's own codes are 0, 1 and 2. Anything else, or a 1 without a summary (the shell could
# not start it or open the output file), is an error of the step, never "findings".
if [ "$status" -gt 2 ] || { [ "$status" -eq 1 ] && [ -z "$findings" ]; }; then
    log "deferfix did not run to the end (status $status)"
    status=2
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -s "$summary" ]; then
    cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
outputs="exit-code=$status
findings=$findings"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s\n' "$outputs" >>"$GITHUB_OUTPUT"
else
    printf '%s\n' "$outputs"
fi

case $status in
0) exit 0 ;;
1) [ "$fail_on_findings" = false ] && exit 0 || exit 1 ;;
*) exit "$status" ;;
esac
