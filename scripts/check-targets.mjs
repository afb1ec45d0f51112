#!/usr/bin/env node
// Type-checks and lints the addon's crates (ferrows-node, ferrows-core) for every Rust target in
// package.json `napi.targets` other than the host (`npm run lint` covers the host), stopping at the
// first failure, with a timing line per target and in total.
//
//   node scripts/check-targets.mjs            every non-host target
//   node scripts/check-targets.mjs <triple>…  only these
//
// `cargo check`/`clippy` compile no C and link nothing, so no cross toolchain is needed: only the
// Rust standard library of each target, which `rustup target add` installs (a no-op when present).
// `--all-targets` type-checks the unit tests too (they are not built or run for other targets).
// The optional `allocator` feature (mimalloc, C built by `cc`) is left out: it needs a C compiler
// for the target.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const started = performance.now();
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const host = /^host: (\S+)$/m.exec(run('rustc', ['-vV'], { capture: true }))?.[1];
const requested = process.argv.slice(2);
const targets = requested.length ? requested : pkg.napi.targets.filter((t) => t !== host);
const unknown = targets.filter((t) => !pkg.napi.targets.includes(t));
if (unknown.length) fail(`not in napi.targets: ${unknown.join(', ')}`);

const crates = ['-p', 'ferrows-node', '-p', 'ferrows-core'];
run('rustup', ['target', 'add', ...targets]);
for (const target of targets) {
  const t0 = performance.now();
  // As `napi build` does: musl links the C runtime statically by default, and rustc drops the
  // cdylib crate type then ("dropping unsupported crate type"), so the addon would go unchecked.
  const env = target.includes('musl') ? { RUSTFLAGS: `${process.env.RUSTFLAGS ?? ''} -C target-feature=-crt-static`.trim() } : {};
  run('cargo', ['check', ...crates, '--all-targets', '--target', target], { env });
  run('cargo', ['clippy', ...crates, '--all-targets', '--target', target, '--', '-D', 'warnings'], { env });
  console.log(`check-targets: ${target} ok in ${seconds(t0)}`);
}
console.log(`check-targets: ${targets.length} targets (host ${host} skipped) ok in ${seconds(started)}`);

/** Runs a command, exiting with its status on failure; returns stdout when `capture` is set. */
function run(cmd, args, { capture = false, env = {} } = {}) {
  const stdio = ['ignore', capture ? 'pipe' : 'inherit', 'inherit'];
  const result = spawnSync(cmd, args, { stdio, encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.error) fail(`${cmd}: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` failed (exit ${result.status}) after ${seconds(started)}`);
  return result.stdout;
}

function seconds(since) {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function fail(message) {
  console.error(`check-targets: ${message}`);
  process.exit(1);
}
