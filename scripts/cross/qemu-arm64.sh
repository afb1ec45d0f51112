#!/usr/bin/env bash
# Runs ferrows-core's unit and doc tests for aarch64-unknown-linux-gnu on this x86-64 host, under
# qemu-user (zig links them, qemu-aarch64 is the cargo runner). They must include the NEON mask
# kernels: the test mask::tests::aarch64_selects_neon has to run and pass. (The packaged arm64
# addon runs under an arm64 Node in scripts/package/smoke.mjs --arch arm64.)
#
#   scripts/cross/qemu-arm64.sh
#
# Needs Debian's qemu-user and libc6-arm64-cross (.ci/run installs them).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

SYSROOT=/usr/aarch64-linux-gnu
QEMU=(qemu-aarch64 -L "$SYSROOT")

started=$(now_s)
command -v qemu-aarch64 >/dev/null 2>&1 && [ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ] ||
  die "needs Debian's qemu-user and libc6-arm64-cross (apt-get install qemu-user libc6-arm64-cross)"
log "$(qemu-aarch64 --version | head -1), sysroot $SYSROOT"

run_tests() {
  ensure_zig_tools
  ensure_rust_target aarch64-unknown-linux-gnu
  local log_file
  log_file=$(mktemp)
  log "cargo zigbuild test -p ferrows-core --target aarch64-unknown-linux-gnu.$GLIBC_BASELINE (runner: ${QEMU[*]})"
  local t0
  t0=$(now_s)
  # Emulation runs the debug test binary about 10x slower than native: scale the one absolute
  # time budget in core's tests (see handshake/timing.rs) rather than skip it.
  set +e
  CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="${QEMU[*]}" FERROWS_TEST_TIME_SCALE=10 \
    cargo-zigbuild test -p ferrows-core --target "aarch64-unknown-linux-gnu.$GLIBC_BASELINE" 2>&1 |
    tee "$log_file" | grep -vE ' \.\.\. ok$'
  local rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" = 0 ] || die "aarch64 tests failed (exit $rc); full log: $log_file"
  grep -q '^test mask::tests::aarch64_selects_neon \.\.\. ok$' "$log_file" ||
    die "mask::tests::aarch64_selects_neon did not run and pass: the NEON kernels were not tested"
  local counts
  counts=$(grep -E '^test result: ok\.' "$log_file" | awk '{n += $4} END {print n}')
  log "aarch64 tests: $counts passed (unit + doc) under qemu in $(since "$t0"); aarch64_selects_neon ok"
  rm -f "$log_file"
}

run_tests
log "qemu-arm64 tests passed in $(since "$started")"
