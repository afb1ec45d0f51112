/**
 * The addon loader (lib/load-native.ts): which binary it picks, and the one clear error it throws
 * when none fits — for an unsupported platform, a platform package npm skipped, the other libc's
 * package, a version mismatch and a binary that does not load. The packages under npm/ must be
 * exactly the platforms of `napi.targets`. (scripts/package/smoke.mjs runs the real install.)
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const loader = require('../dist/lib/load-native.js') as typeof import('../lib/load-native.ts');
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  napi: { binaryName: string; targets: string[] };
};

type Host = import('../lib/load-native.ts').Host;
const glibcX64: Host = { platform: 'linux', arch: 'x64', libc: 'glibc', runtime: 'Node 22.0.0', napi: 10 };
const muslX64: Host = { ...glibcX64, libc: 'musl' };

/** A `require` over a fake module table: a value loads, an Error is thrown, absent ids are MODULE_NOT_FOUND. */
function fakeRequire(modules: Record<string, unknown>): (id: string) => unknown {
  return (id) => {
    if (id === path.join('/pkg', 'package.json')) return manifest;
    if (!(id in modules)) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    const value = modules[id];
    if (value instanceof Error) throw value;
    return value;
  };
}

function load(host: Host, modules: Record<string, unknown>, files: string[] = []): unknown {
  return loader.loadNative('/pkg', host, fakeRequire(modules), (file) => files.includes(file));
}

function loadError(t: import('ava').ExecutionContext, host: Host, modules: Record<string, unknown>, files: string[] = []) {
  const error = t.throws(() => load(host, modules, files)) as Error & { code: string };
  t.is(error.name, 'NativeLoadError');
  return error;
}

test('platform names follow napi-rs: every target has its npm/<platform> package and nothing else is there', (t) => {
  const platforms = manifest.napi.targets.map(loader.platformOfTarget);
  t.deepEqual([...platforms].sort(), readdirSync(path.join(root, 'npm')).sort());
  const os: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'win32' };
  for (const platform of platforms) {
    const pkg = JSON.parse(readFileSync(path.join(root, 'npm', platform, 'package.json'), 'utf8'));
    const [system = '', cpu, abi] = platform.split('-');
    t.is(pkg.name, `${manifest.name}-${platform}`);
    t.is(pkg.version, manifest.version, platform);
    t.is(pkg.main, `${manifest.napi.binaryName}.${platform}.node`);
    t.deepEqual(pkg.os, [os[system]]);
    t.deepEqual(pkg.cpu, [cpu]);
    if (system === 'linux') t.deepEqual(pkg.libc, [abi === 'musl' ? 'musl' : 'glibc']);
  }
  t.is(loader.platformOfTarget('aarch64-unknown-linux-musl'), 'linux-arm64-musl');
  t.is(loader.platformOfTarget('x86_64-pc-windows-msvc'), 'win32-x64-msvc');
  t.is(loader.platformOfTarget('aarch64-apple-darwin'), 'darwin-arm64');
});

test('this machine is linux-x64-gnu and the checkout loads its own build', (t) => {
  t.is(loader.platformOf(loader.currentHost()), `linux-${process.arch}-gnu`);
  const binding = loader.loadNative<{ maskKernel(): string }>(root);
  t.regex(binding.maskKernel(), /^(avx512bw|avx2|sse2|scalar)$/);
});

test('a binary beside package.json wins over the platform package', (t) => {
  const file = path.join('/pkg', 'ferrows.linux-x64-gnu.node');
  t.is(load(glibcX64, { [file]: 'local', 'ferrows-linux-x64-gnu': 'package' }, [file]), 'local');
});

test('the platform package is loaded when its version matches', (t) => {
  const modules = { 'ferrows-linux-x64-musl/package.json': { version: manifest.version }, 'ferrows-linux-x64-musl': 'musl binary' };
  t.is(load(muslX64, modules), 'musl binary');
});

test('an unsupported platform names itself, the supported ones and the way out', (t) => {
  const error = loadError(t, { ...glibcX64, arch: 'riscv64', runtime: 'Node 24.0.0' }, {});
  t.is(error.code, 'ERR_FERROWS_UNSUPPORTED_PLATFORM');
  t.regex(error.message, /no prebuilt binary for linux-riscv64-gnu \(Node 24\.0\.0\)/);
  t.regex(error.message, /linux-x64-gnu, .*darwin-arm64/);
  t.regex(error.message, /Build it from source/);
  const freebsd = loadError(t, { ...glibcX64, platform: 'freebsd', libc: null }, {});
  t.regex(freebsd.message, /freebsd-x64/);
});

test('a runtime without Node-API 9 is refused before anything is loaded', (t) => {
  const file = path.join('/pkg', 'ferrows.linux-x64-gnu.node');
  const error = loadError(t, { ...glibcX64, runtime: 'Node 18.16.1', napi: 8 }, { [file]: 'local' }, [file]);
  t.is(error.code, 'ERR_FERROWS_UNSUPPORTED_RUNTIME');
  t.regex(error.message, /needs Node-API 9 \(Node 18\.17, 20\.3 or later\); Node 18\.16\.1 has Node-API 8/);
});

test('a skipped optional dependency is named with its version and the command that installs it', (t) => {
  const error = loadError(t, glibcX64, {});
  t.is(error.code, 'ERR_FERROWS_BINARY_MISSING');
  t.true(error.message.includes(`ferrows-linux-x64-gnu@${manifest.version} is not installed`));
  t.true(error.message.includes(`npm install ferrows-linux-x64-gnu@${manifest.version}`));
  t.regex(error.message, /--omit=optional/);
  t.notRegex(error.message, /Installed instead/);
});

test('the other libc’s package is pointed out on a musl system', (t) => {
  const error = loadError(t, muslX64, { 'ferrows-linux-x64-gnu/package.json': { version: manifest.version } });
  t.is(error.code, 'ERR_FERROWS_BINARY_MISSING');
  t.regex(error.message, /ferrows-linux-x64-musl@/);
  t.regex(error.message, /Installed instead: ferrows-linux-x64-gnu, built for glibc, while this system uses musl/);
});

test('a platform package of another version is refused', (t) => {
  const error = loadError(t, glibcX64, { 'ferrows-linux-x64-gnu/package.json': { version: '0.0.1' }, 'ferrows-linux-x64-gnu': {} });
  t.is(error.code, 'ERR_FERROWS_BINARY_LOAD');
  t.regex(error.message, new RegExp(`needs ferrows-linux-x64-gnu ${manifest.version.replace(/\./g, '\\.')}, but 0\\.0\\.1 is installed`));
});

test('a binary the runtime cannot load keeps the loader’s reason and says what it needs', (t) => {
  const dlopen = new Error("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.99' not found");
  const error = loadError(t, glibcX64, { 'ferrows-linux-x64-gnu/package.json': { version: manifest.version }, 'ferrows-linux-x64-gnu': dlopen });
  t.is(error.code, 'ERR_FERROWS_BINARY_LOAD');
  t.is(error.cause, dlopen);
  t.regex(error.message, /GLIBC_2\.99' not found\. The binary needs glibc 2\.\d+ or later/);
  const file = path.join('/pkg', 'ferrows.linux-x64-gnu.node');
  const local = loadError(t, glibcX64, { [file]: new Error('invalid ELF header') }, [file]);
  t.is(local.code, 'ERR_FERROWS_BINARY_LOAD');
  t.true(local.message.includes(`found ${file} but Node 22.0.0 could not load it: invalid ELF header`));
});
