#!/usr/bin/env bash
# Builds deferfix for one target and packs a release archive with its SHA-256 checksum file, as
# the release workflow (.github/workflows/release.yml) does for each platform:
#
#   OUT_DIR/deferfix-VERSION-TARGET.tar.gz          (.zip for Windows) holding
#       deferfix-VERSION-TARGET/{deferfix[.exe],README.md,CHANGELOG.md}
#   OUT_DIR/deferfix-VERSION-TARGET.tar.gz.sha256   `sha256sum` format: "<hex>  <archive name>"
#
# The host's own target builds into target/release (the binary `cargo build --release` makes);
# another target into target/TARGET/release, with CARGO (e.g. CARGO=cross) doing the build.
# Prints the archive's path as the only line on stdout.
#
# Usage: .ci/release-archive.sh TARGET OUT_DIR
set -euo pipefail
exec </dev/null

[ $# -eq 2 ] || { echo "usage: $0 TARGET OUT_DIR" >&2; exit 2; }
target=$1
out=$2
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}

version=$(.ci/tools/crate-version.sh)
host=$(rustc -vV | sed -n 's/^host: //p')
if [ "$target" = "$host" ]; then
    "$CARGO" build --release --locked >&2
    build_dir=target/release
else
    "$CARGO" build --release --locked --target "$target" >&2
    build_dir=target/$target/release
fi
exe=deferfix
case $target in *windows*) exe=deferfix.exe ;; esac

name=deferfix-$version-$target
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-release.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$build_dir/$exe" README.md CHANGELOG.md "$stage/$name/"

case $target in
*windows*)
    archive=$name.zip
    rm -f "$out/$archive"
    (cd "$stage" && 7z a -tzip -bso0 "$out/$archive" "$name" >&2)
    ;;
*)
    archive=$name.tar.gz
    tar -C "$stage" -czf "$out/$archive" "$name"
    ;;
esac

if command -v sha256sum >/dev/null; then
    (cd "$out" && sha256sum "$archive" >"$archive.sha256")
else # macOS
    (cd "$out" && shasum -a 256 "$archive" >"$archive.sha256")
fi
printf '%s\n' "$out/$archive"
