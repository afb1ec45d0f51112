#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 20 s each) with memory limits, so that
# memory blow-ups count as crashes. Crashes are kept in fuzz/artifacts/<target>/.
# Uses cargo-fuzz (installed from crates.io if missing) on the nightly toolchain when present, which
# builds the targets with AddressSanitizer (cargo-fuzz's default), otherwise on stable with
# RUSTC_BOOTSTRAP=1 and no sanitizer. Seeds: fuzz/seeds/<target>/ (see fuzz/README.md).
set -euo pipefail
seconds="${1:-20}"
cd "$(dirname "$0")"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "[fuzz] installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked --version 0.13.2 >/dev/null
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  runner=(cargo +nightly fuzz run)
else
  export RUSTC_BOOTSTRAP=1
  runner=(cargo fuzz run --sanitizer none)
fi
for target in receive utf8 inflate handshake driver_io; do
  mkdir -p "corpus/$target" "seeds/$target"
  echo "[fuzz] $target for ${seconds}s"
  # corpus/ (ignored by git) collects what this machine finds; seeds/ (committed, read-only here)
  # starts every run from inputs that already reach deep into the target.
  "${runner[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 2>&1 \
    | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY|panicked|Done )' || true
  if [ -n "$(ls -A "artifacts/$target" 2>/dev/null)" ]; then
    echo "[fuzz] $target found a crash: fuzz/artifacts/$target"
    exit 1
  fi
done
echo "[fuzz] all targets ran ${seconds}s each without a crash"
