#!/usr/bin/env node
// `npm test`: every check, in order, stopping at the first failure, with a timing summary.
//
//   lint      cargo fmt --check, clippy -D warnings (tokio crate with all features too, the addon for
//             every target of napi.targets), tsc
//   rust      cargo test for the workspace, the tokio crate with its tls and axum features, and the
//             loom models of the lock-free queues
//   js        ava: the ws-compatible API, WebSocketStream, demo and browser tests; the panic tests
//             with an addon built with the test-only fault-injection feature (scripts/build-fault.mjs)
//   cross     the Linux targets cross-built with zig; arm64 core tests and the packaged arm64 addon
//             under qemu-user (scripts/cross/)
//   package   the published tarballs installed with no toolchain and run under Node 18-26 and Bun,
//             and on a baseline x86-64 CPU under qemu (scripts/package/smoke.mjs)
//   autobahn  Autobahn|TestSuite's ci preset (cases 1-10 and a deflate subset of 12.* and 13.*) in both
//             roles, over HTTP/1.1 and over HTTP/2
//             (the full 517: `npm run test:autobahn:all`, `npm run test:autobahn:h2:all`)
//   fuzz      every fuzz target for a bounded time (FERROWS_FUZZ_SECONDS, default 20 s each)
//   miri      cargo miri test on the core's mask, cork and queue modules (nightly + miri)
//
// `node scripts/test.mjs rust js` runs a subset.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const fuzzSeconds = process.env.FERROWS_FUZZ_SECONDS ?? '20';
const loomTarget = process.env.CARGO_TARGET_DIR ? `${process.env.CARGO_TARGET_DIR}-loom` : 'target/loom';

const steps = {
  lint: [
    ['cargo', ['fmt', '--all', '--check']],
    ['cargo', ['clippy', '--workspace', '--all-targets', '--', '-D', 'warnings']],
    // The tokio crate's TLS and axum code is behind features: lint it too.
    ['cargo', ['clippy', '-p', 'ferrows', '--all-features', '--all-targets', '--', '-D', 'warnings']],
    // The addon's test-only fault injection (crates/node/src/fault.rs).
    ['cargo', ['clippy', '-p', 'ferrows-node', '--features', 'fault-injection', '--all-targets', '--', '-D', 'warnings']],
    // check + clippy of the addon for every other target of napi.targets (Windows, macOS, arm64, musl).
    ['node', ['scripts/check-targets.mjs']],
    ['npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
    ['npx', ['tsc', '-p', '__test__/tsconfig.json']],
  ],
  rust: [
    ['cargo', ['test', '--workspace']],
    // wss:// (feature tls) and the axum extractor (feature axum) have tests of their own.
    ['cargo', ['test', '-p', 'ferrows', '--all-features']],
    [
      'cargo',
      ['test', '-p', 'ferrows-core', '--release', '--lib', 'queue'],
      { RUSTFLAGS: '--cfg loom', CARGO_TARGET_DIR: loomTarget, LOOM_MAX_PREEMPTIONS: '2' },
    ],
  ],
  // The panic tests load a debug addon built with the test-only fault-injection feature.
  js: [
    ['node', ['scripts/build-fault.mjs']],
    ['npx', ['ava']],
  ],
  // The Linux targets built for real with zig (glibc 2.28 baseline), the aarch64 core tests under
  // qemu-user (NEON kernels), the x64 musl build loaded by musl's dynamic loader, and the packaged
  // arm64 addon run by an arm64 Node under qemu.
  cross: [
    ['bash', ['scripts/cross/build.sh']],
    ['bash', ['scripts/cross/qemu-arm64.sh']],
    ['bash', ['scripts/cross/musl-load.sh']],
    [
      'node',
      ['scripts/package/smoke.mjs', '--arch', 'arm64', '--runtimes', 'node22', '--emulator', 'qemu-aarch64 -L /usr/aarch64-linux-gnu', '--expect-kernel', 'neon'],
    ],
  ],
  package: [
    ['node', ['scripts/package/smoke.mjs']],
    // The same install on a baseline x86-64 CPU (qemu64: SSE2, no SSSE3/SSE4/AVX): the binary must
    // run there and pick its SSE2 masking kernel at run time (never target-cpu=native).
    ['node', ['scripts/package/smoke.mjs', '--runtimes', 'node22', '--emulator', 'qemu-x86_64 -cpu qemu64', '--expect-kernel', 'sse2']],
  ],
  autobahn: [
    ['bash', ['autobahn/setup.sh']],
    // Cases 1-10 plus the deflate smoke subset of 12.* and 13.* (72 cases: 16 B-8 KiB messages).
    ['node', ['autobahn/run.mjs', '--role', 'server', '--impl', 'autobahn/ferrows-impl.mjs', '--cases', 'ci', '--expect', 'autobahn/expected-server.json']],
    ['node', ['autobahn/run.mjs', '--role', 'client', '--impl', 'autobahn/ferrows-impl.mjs', '--cases', 'ci', '--expect', 'autobahn/expected-client.json']],
    // The same goldens over HTTP/2 (RFC 8441) through autobahn/h2-bridge.mjs, with the deflate smoke cases
    // (`npm run test:autobahn:h2`; about 1.5 min per role).
    ['node', ['autobahn/run.mjs', '--role', 'server', '--impl', 'autobahn/ferrows-impl.mjs', '--transport', 'h2', '--cases', 'ci', '--expect', 'autobahn/expected-server.json']],
    ['node', ['autobahn/run.mjs', '--role', 'client', '--impl', 'autobahn/ferrows-impl.mjs', '--transport', 'h2', '--cases', 'ci', '--expect', 'autobahn/expected-client.json']],
  ],
  fuzz: [['bash', ['fuzz/run.sh', fuzzSeconds]]],
  // The unsafe-heavy modules (SIMD mask kernels, the cork's pieces, the lock-free queues) under
  // miri's UB checks; proptest cases and stress sizes are cut down for the interpreter.
  miri: [
    [
      'cargo',
      ['+nightly', 'miri', 'test', '-p', 'ferrows-core', '--lib', '--', 'mask::', 'cork::', 'queue::'],
      { MIRIFLAGS: '-Zmiri-disable-isolation', PROPTEST_CASES: '8' },
    ],
  ],
};

const selected = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(steps);
for (const name of selected) {
  if (!steps[name]) {
    console.error(`unknown step "${name}"; known: ${Object.keys(steps).join(', ')}`);
    process.exit(2);
  }
}
if (!existsSync('dist/index.js') || !existsSync('binding.d.ts')) {
  console.error('The addon is not built: run `npm install` (or `npm run build`) first.');
  process.exit(1);
}

const timings = [];
for (const name of selected) {
  const started = Date.now();
  for (const [cmd, args, env] of steps[name]) {
    console.log(`\n\x1b[1m[test:${name}] ${cmd} ${args.join(' ')}\x1b[0m`);
    const result = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    if (result.status !== 0) {
      console.error(`\n[test:${name}] FAILED: ${cmd} ${args.join(' ')} (exit ${result.status ?? result.signal})`);
      process.exit(1);
    }
  }
  timings.push([name, ((Date.now() - started) / 1000).toFixed(1)]);
}
console.log('\nAll checks passed:');
for (const [name, seconds] of timings) console.log(`  ${name.padEnd(9)} ${seconds} s`);
