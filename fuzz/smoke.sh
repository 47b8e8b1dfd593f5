#!/usr/bin/env bash
# CI's short fuzz pass: builds the fuzz targets (nightly, AddressSanitizer) and runs each for
# SMOKE_SECONDS/number-of-targets seconds (-max_total_time; default 60 s in total), on a fresh
# corpus (pipeline_bytes also reads fuzz/seeds/). Any crash, hang (-timeout=10) or property
# violation fails it; the input is left in fuzz/artifacts/<target>/ and printed.
#
# Usage: fuzz/smoke.sh
set -euo pipefail
exec </dev/null
. "$(dirname "$0")/env.sh"

seconds=${SMOKE_SECONDS:-60}
per_target=$((seconds / ${#TARGETS[@]}))

start=$(date +%s%N)
fuzz build >&2
echo "smoke.sh: built the fuzz targets in $(seconds_since "$start") s"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-smoke.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
for target in "${TARGETS[@]}"; do
    mkdir -p "$scratch/$target"
    target_options "$target"
    t0=$(date +%s%N)
    if ! fuzz run "$target" "$scratch/$target" "${extra[@]}" -- \
        -max_total_time="$per_target" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "${flags[@]}" \
        >"$scratch/$target.log" 2>&1; then
        tail -n 80 "$scratch/$target.log" >&2
        echo "smoke.sh: $target found a crash or property violation (see fuzz/artifacts/$target/)" >&2
        exit 1
    fi
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$scratch/$target.log" | tail -n1)
    echo "smoke.sh: $target: $execs execs in $(seconds_since "$t0") s, no crash"
done
echo "smoke.sh: passed in $(seconds_since "$start") s"
