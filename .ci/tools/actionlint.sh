#!/usr/bin/env bash
# Install actionlint v1.7.12 (the GitHub Actions workflow linter) with the Go toolchain into a
# per-user cache, once, and print the absolute path of the binary as the only line on stdout.
#
#   cache: ${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-tools/actionlint-v1.7.12/actionlint
#
# Usage: actionlint=$(.ci/tools/actionlint.sh)
# Env:   GO   go command to use (default: go on PATH)
set -euo pipefail
exec </dev/null

VERSION=v1.7.12
PKG=github.com/rhysd/actionlint/cmd/actionlint

log() { printf 'actionlint.sh: %s\n' "$*" >&2; }

. "$(dirname "$0")/tools-dir.sh"
dir=$(tools_dir "actionlint-$VERSION")
bin=$dir/actionlint

if [ -x "$bin" ] && "$bin" -version 2>/dev/null | head -n 1 | grep -qx "${VERSION#v}"; then
    printf '%s\n' "$bin"
    exit 0
fi
GO=${GO:-go}
command -v "$GO" >/dev/null || { log "$GO is not on PATH (set GO=/path/to/go)"; exit 2; }
log "installing actionlint $VERSION into $dir ($("$GO" version))"
# Into a temporary directory beside the final binary, then renamed: never a half-written one.
stage=$(mktemp -d "$dir/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
GOTOOLCHAIN=local GOBIN=$stage GOFLAGS=-mod=mod "$GO" install \
    -ldflags "-X github.com/rhysd/actionlint.version=${VERSION#v}" "$PKG@$VERSION" >&2 || {
    log "go install $PKG@$VERSION failed"
    exit 1
}
mv -f "$stage/actionlint" "$bin"
log "installed actionlint $("$bin" -version | head -n 1)"
printf '%s\n' "$bin"
