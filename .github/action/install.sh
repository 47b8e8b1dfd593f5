#!/usr/bin/env bash
# The GitHub Action's install step (action.yml): pip-installs the deferfix wheel of the pinned
# version into a virtual environment of its own under $RUNNER_TEMP and puts its bin directory on
# the job's PATH ($GITHUB_PATH). No Rust toolchain is needed.
#
# Env (set by action.yml from the inputs):
#   INPUT_VERSION  deferfix version to install; empty means this action's own version (the
#                  version in the Cargo.toml beside action.yml), so `uses: …@v0.1.0` installs 0.1.0
#   PIP_*          honoured by pip as usual (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX, …)
set -euo pipefail

log() { printf 'deferfix action: %s\n' "$*" >&2; }

action_dir=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}
version=${INPUT_VERSION:-}
if [ -z "$version" ]; then
    version=$("$action_dir/.ci/tools/crate-version.sh" "$action_dir")
fi
case $version in
v[0-9]*) version=${version#v} ;; # a tag name works too
esac

python=
for candidate in python3 python; do
    # Windows has a `python3` that only opens the Store: ask it to run something.
    if "$candidate" -c 'import sys' >/dev/null 2>&1; then
        python=$candidate
        break
    fi
done
[ -n "$python" ] || { log "python3 is needed to install the deferfix wheel"; exit 2; }

venv=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/deferfix-venv
rm -rf "$venv"
"$python" -m venv "$venv"
bin=$venv/bin
[ -d "$venv/Scripts" ] && bin=$venv/Scripts # Windows
log "installing deferfix==$version"
# Only a wheel: a platform without one would otherwise build the sdist, which needs Rust.
"$bin/python" -m pip install --quiet --disable-pip-version-check --only-binary deferfix \
    "deferfix==$version"
"$bin/deferfix" --version >&2
if [ -n "${GITHUB_PATH:-}" ]; then
    printf '%s\n' "$bin" >>"$GITHUB_PATH"
else
    printf '%s\n' "$bin"
fi
