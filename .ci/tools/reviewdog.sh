#!/usr/bin/env bash
# Install reviewdog v0.21.0 with the Go toolchain into a per-user cache, once, and print the
# absolute path of the binary as the only line on stdout (progress goes to stderr).
#
#   cache: ${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-tools/reviewdog-v0.21.0/bin/reviewdog
#
# A second call finds the binary there and prints its path at once. Non-interactive, and fine as
# root or not. v0.21.0 is pinned: it installs from the Go module proxy through a scratch module
# (`go get -tool …@v0.21.0`, then `go install`); later versions need modules the proxy does not
# serve. Needs Go 1.25 or later (reviewdog v0.21.0's go.mod says `go 1.25.0`; GOTOOLCHAIN=local
# keeps go from downloading a toolchain).
#
# Usage: path=$(.ci/tools/reviewdog.sh)
# Env:   GO   go command to use (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail
exec </dev/null

VERSION=v0.21.0
PKG=github.com/reviewdog/reviewdog/cmd/reviewdog

log() { printf 'reviewdog.sh: %s\n' "$*" >&2; }

. "$(dirname "$0")/tools-dir.sh"
dir=$(tools_dir "reviewdog-$VERSION")
bin=$dir/bin/reviewdog

# Already installed (and prints the pinned version): nothing to do.
if [ -x "$bin" ] && [ "$("$bin" -version 2>/dev/null || true)" = "${VERSION#v}" ]; then
    printf '%s\n' "$bin"
    exit 0
fi

GO=${GO:-}
if [ -z "$GO" ]; then
    if command -v go >/dev/null; then
        GO=go
    elif [ -x /usr/local/go/bin/go ]; then
        GO=/usr/local/go/bin/go
    else
        log "go is not on PATH (set GO=/path/to/go)"
        exit 2
    fi
fi
GO=$(command -v "$GO") || { log "GO=$GO is not a command"; exit 2; }

log "installing reviewdog $VERSION into $dir/bin ($("$GO" version))"
mkdir -p "$dir"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-reviewdog.XXXXXX")
# Install into a temporary bin next to the final one, then rename, so a concurrent or interrupted
# run never leaves a half-written binary at $bin.
stage=$(mktemp -d "$dir/.bin.XXXXXX")
trap 'rm -rf "$scratch" "$stage"' EXIT

(
    cd "$scratch"
    export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN=$stage GOWORK=off GO111MODULE=on
    "$GO" mod init deferfix.invalid/reviewdog-tool >&2
    "$GO" get -tool "$PKG@$VERSION" >&2
    # Stamp the version the way upstream's release builds do (.goreleaser.yml), so that
    # `reviewdog -version` prints 0.21.0 rather than "master".
    "$GO" install -ldflags "-X github.com/reviewdog/reviewdog/commands.Version=${VERSION#v}" "$PKG" >&2
) || {
    log "installing reviewdog $VERSION failed"
    exit 1
}

[ -x "$stage/reviewdog" ] || { log "go install left no binary in $stage"; exit 1; }
got=$("$stage/reviewdog" -version 2>&1 || true)
[ "$got" = "${VERSION#v}" ] || { log "installed binary reports version '$got', not ${VERSION#v}"; exit 1; }
mkdir -p "$dir/bin"
mv -f "$stage/reviewdog" "$bin"
log "installed reviewdog $got"
printf '%s\n' "$bin"
