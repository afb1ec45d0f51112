#!/usr/bin/env bash
# Builds the addon for Linux targets with zig as the cross linker (napi build -x, which drives
# cargo-zigbuild) and puts each ferrows.<platform>.node into npm/<platform>/, then checks the
# binary: right machine, a shared object without an ELF interpreter, only libc's libraries as
# NEEDED, and for glibc targets no symbol version above GLIBC_BASELINE (lib.sh).
#
#   scripts/cross/build.sh [<rust-target>...]
#
# Targets: x86_64-unknown-linux-gnu, x86_64-unknown-linux-musl, aarch64-unknown-linux-gnu,
# aarch64-unknown-linux-musl (default: all four). Needs node_modules (npm install), python3 with
# pip, cargo and rustup; installs the pinned zig and cargo-zigbuild into the cache on first use.
# Honours CARGO_TARGET_DIR. The .node files are build outputs (ignored by git).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(x86_64-unknown-linux-gnu x86_64-unknown-linux-musl
  aarch64-unknown-linux-gnu aarch64-unknown-linux-musl)
for t in "${targets[@]}"; do
  platform_of "$t" >/dev/null || die "unsupported target $t (supported: x86_64/aarch64-unknown-linux-gnu/musl)"
done
napi=$REPO_ROOT/node_modules/.bin/napi
[ -x "$napi" ] || die "no $napi: run npm install first"
[ -f dist/lib/load-native.js ] || die "no dist/: run npm install (or npm run build:ts) first"

started=$(now_s)
ensure_zig_tools
log "zig $(zig version), $(cargo-zigbuild --help >/dev/null && echo "cargo-zigbuild $CARGO_ZIGBUILD_VERSION"), $(rustc --version), glibc baseline $GLIBC_BASELINE"

# Checks one built .node; prints one summary line, dies on a violation.
check_binary() {
  local file=$1 triple=$2
  local machine
  case $triple in
    x86_64-*) machine='x86-64' ;;
    aarch64-*) machine='ARM aarch64' ;;
  esac
  local desc
  desc=$(file -b "$file")
  case $desc in
    "ELF 64-bit LSB shared object, $machine"*) ;;
    *) die "$file: expected an ELF shared object for $machine, got: $desc" ;;
  esac
  if readelf -lW "$file" | grep -q 'INTERP'; then die "$file has an ELF interpreter"; fi
  local needed
  needed=$(readelf -dW "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
  local lib
  for lib in $needed; do
    case $triple:$lib in
      *-gnu:libc.so.6 | *-gnu:libpthread.so.0 | *-gnu:libdl.so.2 | *-gnu:libm.so.6 | *-gnu:librt.so.1) ;;
      *-gnu:ld-linux-x86-64.so.2 | *-gnu:ld-linux-aarch64.so.1) ;;
      *-musl:libc.so) ;;
      *) die "$file needs $lib, which a $triple system may not have" ;;
    esac
  done
  local glibc=''
  if [[ $triple == *-gnu ]]; then
    glibc=$(objdump -T "$file" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -uV | tail -1)
    [ -n "$glibc" ] || die "$file: no GLIBC symbol versions found"
    if [ "$(printf '%s\n%s\n' "$glibc" "$GLIBC_BASELINE" | sort -V | tail -1)" != "$GLIBC_BASELINE" ]; then
      die "$file needs GLIBC_$glibc, above the $GLIBC_BASELINE baseline"
    fi
    glibc=", needs glibc >= $glibc"
  fi
  echo "NEEDED ${needed% }$glibc"
}

summary=()
for triple in "${targets[@]}"; do
  platform=$(platform_of "$triple")
  zt=$(zig_target_of "$triple")
  ensure_rust_target "$triple"
  out=$(mktemp -d)
  log "building $zt -> npm/$platform/ferrows.$platform.node"
  t0=$(now_s)
  # --no-js and a scratch --output-dir: only the .node is wanted; napi also writes the (target
  # independent) .d.ts there, which is thrown away with the dir.
  "$napi" build --platform --release --manifest-path crates/node/Cargo.toml \
    --target "$zt" --cross-compile --output-dir "$out" --no-js
  took=$(since "$t0")
  built=$out/ferrows.$platform.node
  [ -f "$built" ] || die "napi build produced no $built (got: $(ls "$out"))"
  mkdir -p "npm/$platform"
  mv "$built" "npm/$platform/ferrows.$platform.node"
  rm -rf "$out"
  dest=npm/$platform/ferrows.$platform.node
  size=$(stat -c %s "$dest")
  facts=$(check_binary "$dest" "$triple")
  line="$triple: $took, $size bytes, $facts"
  log "built $line"
  summary+=("$line")
done

log "done in $(since "$started"):"
printf '  %s\n' "${summary[@]}"
