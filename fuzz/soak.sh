#!/usr/bin/env bash
# Runs each fuzz target for a fixed number of executions (libFuzzer -runs=N, -timeout=10 s per
# input) and prints, per target, the executions, seconds and executions per second, then the
# total. A crash or property violation stops the soak with libFuzzer's report and exit code.
#
# Usage: fuzz/soak.sh [RUNS_PIPELINE_BYTES [RUNS_MUTATED_GO]]
#        (defaults 700000 and 300000: 1,000,000 in total)
# Env:   SANITIZER  cargo fuzz's -s (default none: about 3x the executions of AddressSanitizer;
#                   the Rust code is memory-safe and the smoke pass runs with address)
# One libFuzzer process at a time, on one core.
# Corpora grow in fuzz/corpus/<target>/ (pipeline_bytes also reads fuzz/seeds/); crashes go to
# fuzz/artifacts/<target>/.
set -euo pipefail
exec </dev/null
. "$(dirname "$0")/env.sh"

runs=("${1:-700000}" "${2:-300000}")
sanitizer=${SANITIZER:-none}

fuzz build -s "$sanitizer" >&2

total_execs=0
total_start=$(date +%s%N)
results=()
for i in "${!TARGETS[@]}"; do
    target=${TARGETS[$i]}
    corpus=$fuzz_dir/corpus/$target
    mkdir -p "$corpus"
    target_options "$target"
    log=$(mktemp "${TMPDIR:-/tmp}/deferfix-soak-$target.XXXXXX")
    start=$(date +%s%N)
    if ! fuzz run -s "$sanitizer" "$target" "$corpus" "${extra[@]}" -- \
        -runs="${runs[$i]}" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "${flags[@]}" \
        >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        echo "soak.sh: $target failed (log: $log)" >&2
        exit 1
    fi
    secs=$(seconds_since "$start")
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n1)
    rm -f "$log"
    total_execs=$((total_execs + execs))
    results+=("$(awk -v t="$target" -v e="$execs" -v s="$secs" \
        'BEGIN { printf "%-16s %10d execs %8.1f s %9.0f execs/s", t, e, s, e / s }')")
    printf '%s\n' "${results[-1]}"
done
secs=$(seconds_since "$total_start")
awk -v e="$total_execs" -v s="$secs" \
    'BEGIN { printf "%-16s %10d execs %8.1f s %9.0f execs/s\n", "total", e, s, e / s }'
