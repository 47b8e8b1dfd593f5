#!/usr/bin/env bash
# Prints the deferfix crate's version, the `version = "…"` line of the [package] table in the
# Cargo.toml beside .ci/ (or in the directory given), the one source the wheel, the archives and
# the action take their version from. Tolerates CRLF line endings (a Windows checkout).
#
# Usage: version=$(.ci/tools/crate-version.sh [DIR])
set -euo pipefail
dir=${1:-$(dirname "$0")/../..}
version=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' "$dir/Cargo.toml" | head -n 1)
[ -n "$version" ] || { echo "crate-version.sh: no version line in $dir/Cargo.toml" >&2; exit 2; }
printf '%s\n' "$version"
