# Sourced by fuzz/soak.sh and fuzz/smoke.sh: puts the pinned cargo-fuzz on PATH (installing it and
# a nightly toolchain once, .ci/tools/cargo-fuzz.sh), lays out fuzz/seeds if it is missing, and
# defines `fuzz` (cargo +nightly fuzz … with this fuzz dir) and `seconds_since START_NS`.
fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$fuzz_dir/.." && pwd -P)
cargo_fuzz=$("$repo/.ci/tools/cargo-fuzz.sh")
PATH=$(dirname "$cargo_fuzz"):$PATH
export PATH
if [ -z "$(ls -A "$fuzz_dir/seeds" 2>/dev/null)" ]; then
    "$fuzz_dir/seed-corpus.sh" >/dev/null
fi
export DEFERFIX_FUZZ_SEEDS=$fuzz_dir/seeds
# The nightly + AddressSanitizer build of the fuzz crate takes minutes from cold: it goes to a
# per-user cache shared by every checkout (CI's fresh clones included), so only deferfix itself is
# rebuilt when the dependencies are unchanged. cargo locks the directory between concurrent runs.
export CARGO_TARGET_DIR=${DEFERFIX_FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-tools/fuzz-target}
TARGETS=(pipeline_bytes mutated_go)

# Sets `extra` (corpus directories besides the target's own) and `flags` (libFuzzer options) for
# a target.
target_options() {
    extra=()
    flags=()
    if [ "$1" = pipeline_bytes ]; then
        extra=("$fuzz_dir/seeds")
    else
        # mutated_go's input only drives mutations: let it be long enough for several at once.
        flags=(-max_len=256 -len_control=0)
    fi
}

fuzz() { (cd "$repo" && cargo +nightly fuzz "$1" --fuzz-dir fuzz "${@:2}"); }

seconds_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
