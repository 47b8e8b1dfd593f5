#!/usr/bin/env bash
# Builds the linux-x86_64 release archive the way the release workflow does
# (.ci/release-archive.sh), then checks it as a user would: the checksum file verifies, the
# archive unpacks into a temporary directory, and the unpacked binary runs (--version with the
# commit, --list-rules, the bundled example). Prints the archive's name and size.
set -euo pipefail
exec </dev/null

cd "$(dirname "$0")/.."

log() { printf 'release-check.sh: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

target=x86_64-unknown-linux-gnu
version=$(.ci/tools/crate-version.sh)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/deferfix-release-check.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

archive=$(.ci/release-archive.sh "$target" "$scratch/dist")
name=$(basename "$archive")
[ "$name" = "deferfix-$version-$target.tar.gz" ] || fail "unexpected archive name $name"
printf 'archive: %s (%s bytes)\n' "$name" "$(wc -c <"$archive" | tr -d ' ')"
(cd "$scratch/dist" && sha256sum -c "$name.sha256") || fail "the checksum does not verify"

mkdir "$scratch/unpacked"
tar -C "$scratch/unpacked" -xzf "$archive"
bin=$scratch/unpacked/deferfix-$version-$target/deferfix
[ -x "$bin" ] || fail "no executable deferfix-$version-$target/deferfix in the archive"
listing=$(tar -tzf "$archive" | sort | tr '\n' ' ')
printf 'contents: %s\n' "$listing"

got=$("$bin" --version)
printf 'unpacked: %s\n' "$got"
commit=$(git log -1 --abbrev=12 --date=short --format='%h %cd' 2>/dev/null || true)
if [ -n "$commit" ]; then
    [ "$got" = "deferfix $version ($commit)" ] || fail "--version printed '$got', not 'deferfix $version ($commit)'"
else
    [ "$got" = "deferfix $version" ] || fail "--version printed '$got'"
fi
[ -n "$("$bin" --list-rules)" ] || fail "--list-rules printed nothing"
status=0
(cd examples/leaky-service && DEFERFIX_NO_CACHE=1 "$bin" . >/dev/null) || status=$?
[ "$status" -eq 1 ] || fail "the unpacked deferfix exited $status on examples/leaky-service, not 1"
log "ok"
