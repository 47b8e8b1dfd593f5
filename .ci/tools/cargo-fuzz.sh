#!/usr/bin/env bash
# Install cargo-fuzz 0.13.2 from crates.io into a per-user cache, once, make sure a nightly Rust
# toolchain exists (cargo-fuzz builds with -Zsanitizer), and print the absolute path of the
# cargo-fuzz binary as the only line on stdout (progress goes to stderr).
#
#   cache: ${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-tools/cargo-fuzz-0.13.2/bin/cargo-fuzz
#
# A second call finds the binary there and prints its path at once. Non-interactive, and fine as
# root or not. 0.13.2 is pinned and installed with `cargo install --locked`, so its own
# dependencies are the ones its Cargo.lock names.
#
# Usage: cargo_fuzz=$(.ci/tools/cargo-fuzz.sh)
#        "$cargo_fuzz" fuzz build ...   # (cargo-fuzz is a cargo subcommand: its first argument is `fuzz`)
# Env:   CARGO   cargo command to use (default: cargo on PATH, else ~/.cargo/bin/cargo)
set -euo pipefail
exec </dev/null

VERSION=0.13.2

log() { printf 'cargo-fuzz.sh: %s\n' "$*" >&2; }

. "$(dirname "$0")/tools-dir.sh"
dir=$(tools_dir "cargo-fuzz-$VERSION")
bin=$dir/bin/cargo-fuzz

# A nightly toolchain: the fuzz targets build with `cargo +nightly fuzz …`.
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || { log "rustup is not on PATH (needed for a nightly toolchain)"; exit 2; }
    log "installing a nightly Rust toolchain (rustup toolchain install nightly --profile minimal)"
    rustup toolchain install nightly --profile minimal >&2 || {
        log "installing the nightly toolchain failed"
        exit 1
    }
fi
log "$(rustup run nightly rustc --version)"

# "cargo-fuzz 0.13.2" -> 0.13.2
installed_version() {
    "$1" --version 2>/dev/null | sed -nE 's/^cargo-fuzz ([0-9][^ ]*).*/\1/p' | head -n1
}

# Already installed (and prints the pinned version): nothing to do.
if [ -x "$bin" ] && [ "$(installed_version "$bin" || true)" = "$VERSION" ]; then
    printf '%s\n' "$bin"
    exit 0
fi

CARGO=${CARGO:-}
if [ -z "$CARGO" ]; then
    if command -v cargo >/dev/null; then
        CARGO=cargo
    elif [ -x "${HOME:-}/.cargo/bin/cargo" ]; then
        CARGO=$HOME/.cargo/bin/cargo
    else
        log "cargo is not on PATH (set CARGO=/path/to/cargo)"
        exit 2
    fi
fi
CARGO=$(command -v "$CARGO") || { log "CARGO=$CARGO is not a command"; exit 2; }

log "installing cargo-fuzz $VERSION into $dir/bin ($("$CARGO" --version))"
mkdir -p "$dir"
# Install into a temporary root next to the final one, then rename, so a concurrent or
# interrupted run never leaves a half-written binary at $bin. Its own target dir, so the build
# neither uses nor disturbs the project's.
stage=$(mktemp -d "$dir/.root.XXXXXX")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-cargo-fuzz.XXXXXX")
trap 'rm -rf "$scratch" "$stage"' EXIT

CARGO_TARGET_DIR=$scratch/target "$CARGO" install --locked "cargo-fuzz@$VERSION" \
    --root "$stage" --no-track >&2 || {
    log "installing cargo-fuzz $VERSION failed"
    exit 1
}

[ -x "$stage/bin/cargo-fuzz" ] || { log "cargo install left no binary in $stage/bin"; exit 1; }
got=$(installed_version "$stage/bin/cargo-fuzz" || true)
[ "$got" = "$VERSION" ] || { log "installed binary reports version '$got', not $VERSION"; exit 1; }
mkdir -p "$dir/bin"
mv -f "$stage/bin/cargo-fuzz" "$bin"
log "installed cargo-fuzz $got"
printf '%s\n' "$bin"
