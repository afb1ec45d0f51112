#!/usr/bin/env bash
# Runs the x64 musl build under musl: musl-load.c, compiled by Debian's musl-gcc, dlopens
# npm/linux-x64-musl/ferrows.linux-x64-musl.node with RTLD_NOW through /lib/ld-musl-x86_64.so.1
# and finds its Node-API entry point. As a control, the glibc build must fail to load the same way,
# so the check can tell the two apart. (No musl Node is on npm; the release workflow runs the
# full smoke test in node:22-alpine.)
#
#   scripts/cross/musl-load.sh          needs: apt-get install musl-tools (.ci/run installs it)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

command -v musl-gcc >/dev/null 2>&1 || die "needs Debian's musl-tools (apt-get install musl-tools)"
musl=npm/linux-x64-musl/ferrows.linux-x64-musl.node
gnu=npm/linux-x64-gnu/ferrows.linux-x64-gnu.node
[ -f "$musl" ] && [ -f "$gnu" ] || die "build both first: scripts/cross/build.sh x86_64-unknown-linux-musl x86_64-unknown-linux-gnu"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
musl-gcc -O1 -o "$work/musl-load" scripts/cross/musl-load.c
readelf -lW "$work/musl-load" | grep -q 'ld-musl-x86_64' || die "musl-gcc did not produce a musl executable"
"$work/musl-load" "$musl" || die "$musl does not load under musl"
if "$work/musl-load" "$gnu" 2>"$work/gnu.err"; then die "control failed: the glibc build loaded under musl too"; fi
log "control: the glibc build is refused under musl ($(head -c 120 "$work/gnu.err"))"
