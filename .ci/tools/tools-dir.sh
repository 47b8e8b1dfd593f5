# Sourced by the installers in .ci/tools/: where a pinned tool lives, once per user.
#
#   tools_dir NAME   prints ${XDG_CACHE_HOME:-$HOME/.cache}/deferfix-tools/NAME, absolute,
#                    after creating it; fails with a message when neither variable is set.
tools_dir() {
    local root
    if [ -n "${XDG_CACHE_HOME:-}" ]; then
        root=$XDG_CACHE_HOME
    elif [ -n "${HOME:-}" ]; then
        root=$HOME/.cache
    else
        echo "neither XDG_CACHE_HOME nor HOME is set" >&2
        return 2
    fi
    mkdir -p "$root/deferfix-tools/$1" && (cd "$root/deferfix-tools/$1" && pwd -P)
}
