#!/usr/bin/env bash
# Install maturin 1.16.0 from PyPI into a venv in a per-user cache, once, and print the absolute
# path of the maturin command as the only line on stdout (progress goes to stderr).
#
#   cache: ${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-tools/maturin-1.16.0/venv/bin/maturin
#
# maturin builds deferfix's Python wheel (pyproject.toml, `bindings = "bin"`). Pinned so the
# wheel CI checks is built the way a release builds it.
#
# Usage: maturin=$(.ci/tools/maturin.sh)
# Env:   PYTHON  python3 to make the venv with (default: python3 on PATH)
set -euo pipefail
exec </dev/null

VERSION=1.16.0

log() { printf 'maturin.sh: %s\n' "$*" >&2; }

. "$(dirname "$0")/tools-dir.sh"
dir=$(tools_dir "maturin-$VERSION")
bin=$dir/venv/bin/maturin

if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null || true)" = "maturin $VERSION" ]; then
    printf '%s\n' "$bin"
    exit 0
fi

PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || { log "$PYTHON is not on PATH (set PYTHON=/path/to/python3)"; exit 2; }
log "installing maturin $VERSION into $dir/venv ($("$PYTHON" --version))"
# An interrupted install leaves a venv whose maturin does not answer the version check above:
# it is made again from nothing.
rm -rf "$dir/venv"
"$PYTHON" -m venv "$dir/venv" >&2
"$dir/venv/bin/pip" install --quiet --disable-pip-version-check "maturin==$VERSION" >&2 || {
    log "pip install maturin==$VERSION failed"
    exit 1
}
got=$("$bin" --version 2>&1 || true)
[ "$got" = "maturin $VERSION" ] || { log "installed maturin reports '$got'"; exit 1; }
log "installed $got"
printf '%s\n' "$bin"
