# Shared by build.sh and qemu-arm64.sh (sourced, not run): the pinned cross tools and where
# they are cached. Nothing here needs a network except the first install of each pin:
#   zig            from PyPI (the `ziglang` wheel carries the zig binary), pip --target into the cache
#   cargo-zigbuild from crates.io, cargo install --root into the cache
# The cache lives outside the work tree, so a fresh clone (CI's .ci/run) reuses it on the same
# machine; FERROWS_CROSS_CACHE moves it.

ZIG_VERSION=0.15.2
CARGO_ZIGBUILD_VERSION=0.24.1
# Oldest glibc the gnu builds link against: what Node 18 itself needs (its official Linux builds
# require glibc 2.28), so the addon never raises the bar above Node's.
GLIBC_BASELINE=2.28

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CROSS_CACHE=${FERROWS_CROSS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferrows-cross}

log() { printf '[cross %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() {
  printf '[cross] error: %s\n' "$*" >&2
  exit 1
}
now_s() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f s", b - a }'; }

# Puts the pinned zig and cargo-zigbuild first on PATH, installing them into the cache if absent.
ensure_zig_tools() {
  local zig_dir=$CROSS_CACHE/ziglang-$ZIG_VERSION
  if [ ! -x "$zig_dir/ziglang/zig" ]; then
    local t0
    t0=$(now_s)
    log "installing zig $ZIG_VERSION (PyPI ziglang) into $zig_dir"
    command -v python3 >/dev/null || die "python3 with pip is needed to install zig from PyPI"
    rm -rf "$zig_dir.tmp"
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$zig_dir.tmp" \
      "ziglang==$ZIG_VERSION" || die "pip install ziglang==$ZIG_VERSION failed"
    rm -rf "$zig_dir" && mv "$zig_dir.tmp" "$zig_dir"
    log "zig installed in $(since "$t0")"
  fi
  local zb_dir=$CROSS_CACHE/cargo-zigbuild-$CARGO_ZIGBUILD_VERSION
  if [ ! -x "$zb_dir/bin/cargo-zigbuild" ]; then
    local t0
    t0=$(now_s)
    log "installing cargo-zigbuild $CARGO_ZIGBUILD_VERSION (crates.io) into $zb_dir"
    cargo install --quiet cargo-zigbuild --version "$CARGO_ZIGBUILD_VERSION" --locked \
      --root "$zb_dir" --target-dir "$CROSS_CACHE/cargo-install-target" ||
      die "cargo install cargo-zigbuild --version $CARGO_ZIGBUILD_VERSION failed"
    rm -rf "$CROSS_CACHE/cargo-install-target"
    log "cargo-zigbuild installed in $(since "$t0")"
  fi
  export PATH="$zb_dir/bin:$zig_dir/ziglang:$PATH"
  # napi's -x runs `cargo help zigbuild` and, if that fails, an unpinned `cargo install`: make sure
  # it finds ours.
  cargo help zigbuild >/dev/null 2>&1 || die "cargo does not see cargo-zigbuild on PATH"
  [ "$(zig version)" = "$ZIG_VERSION" ] || die "zig on PATH is $(zig version), expected $ZIG_VERSION"
}

# rust-std for a target (rustup's own distribution server, as for the host toolchain).
ensure_rust_target() {
  local triple=$1
  if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
    log "rustup target add $triple"
    rustup target add "$triple" || die "rustup target add $triple failed"
  fi
}

# rust triple -> napi platform name (the npm/<platform>/ dir and the .node file's middle part), as the
# loader names it (lib/load-native.ts); fails for a target these scripts do not build.
platform_of() {
  case $1 in
    x86_64-unknown-linux-gnu | x86_64-unknown-linux-musl | aarch64-unknown-linux-gnu | aarch64-unknown-linux-musl)
      node -p "require('$REPO_ROOT/dist/lib/load-native.js').platformOfTarget('$1')" ;;
    *) return 1 ;;
  esac
}

# The target spelling for cargo-zigbuild: glibc targets carry the baseline as a suffix.
zig_target_of() {
  case $1 in
    *-linux-gnu) echo "$1.$GLIBC_BASELINE" ;;
    *) echo "$1" ;;
  esac
}
