/**
 * Finds the addon for this machine. A checkout builds `ferrows.<platform>.node` beside
 * `package.json`; an install from npm gets it from the platform package that npm picked among the
 * main package's optional dependencies (`ferrows-<platform>`, one per entry of `napi.targets`).
 * When neither loads, the error says which platform this is, what was looked for and what to do.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The oldest Node-API version the addon is built for (crates/node/Cargo.toml: feature `napi9`). */
const NAPI_VERSION = 9;

/** What decides which binary fits: the OS, the CPU and, on Linux, the C library. */
export interface Host {
  platform: string;
  arch: string;
  /** `'glibc'` or `'musl'` on Linux, `null` elsewhere. */
  libc: 'glibc' | 'musl' | null;
  /** e.g. `Node 22.1.0` or `Bun 1.4.4`, for messages. */
  runtime: string;
  /** The Node-API version the runtime implements. */
  napi: number;
}

/** The fields of `package.json` the loader reads. */
interface Manifest {
  name: string;
  version: string;
  napi: { binaryName: string; targets: string[] };
}

type Require = (id: string) => unknown;

/** Whether a file exists; a parameter of `loadNative` so tests can stand in for the file system. */
type Exists = (file: string) => boolean;

/** An addon that could not be loaded: `code` tells why, `message` what to do. */
export class NativeLoadError extends Error {
  readonly code:
    | 'ERR_FERROWS_UNSUPPORTED_RUNTIME'
    | 'ERR_FERROWS_UNSUPPORTED_PLATFORM'
    | 'ERR_FERROWS_BINARY_MISSING'
    | 'ERR_FERROWS_BINARY_LOAD';

  constructor(code: NativeLoadError['code'], message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'NativeLoadError';
    this.code = code;
  }
}

/** The napi-rs platform name of a Rust target, e.g. `aarch64-unknown-linux-gnu` → `linux-arm64-gnu`. */
export function platformOfTarget(target: string): string {
  const [cpu = '', , os = '', abi] = target.split('-');
  const arch = ({ x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' } as Record<string, string>)[cpu] ?? cpu;
  if (os === 'darwin') return `darwin-${arch}`;
  if (os === 'windows') return `win32-${arch}-${abi}`;
  return `${os}-${arch}-${abi}`;
}

/** The napi-rs platform name of `host`: the suffix of its binary and of its package. */
export function platformOf(host: Host): string {
  if (host.platform === 'linux') return `linux-${host.arch}-${host.libc === 'musl' ? 'musl' : 'gnu'}`;
  if (host.platform === 'win32') return `win32-${host.arch}-msvc`;
  return `${host.platform}-${host.arch}`;
}

/** This process's `Host`. */
export function currentHost(): Host {
  const bun = (process.versions as Record<string, string | undefined>)['bun'];
  return {
    platform: process.platform,
    arch: process.arch,
    libc: process.platform === 'linux' ? linuxLibc() : null,
    runtime: bun ? `Bun ${bun}` : `Node ${process.versions.node}`,
    napi: Number(process.versions.napi ?? NAPI_VERSION),
  };
}

/** musl or glibc: `ldd` is a script that names its C library; the process report says it otherwise. */
function linuxLibc(): 'glibc' | 'musl' {
  try {
    return readFileSync('/usr/bin/ldd', 'latin1').includes('musl') ? 'musl' : 'glibc';
  } catch {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
  }
}

/** Loads the addon for `host` from `root` (the package directory) or from its platform package. */
export function loadNative<T>(root: string, host: Host = currentHost(), load: Require = require, exists: Exists = existsSync): T {
  const manifest = load(path.join(root, 'package.json')) as Manifest;
  const platform = platformOf(host);
  const pkg = `${manifest.name}-${platform}`;
  const supported = manifest.napi.targets.map(platformOfTarget);
  if (host.napi < NAPI_VERSION) {
    throw new NativeLoadError(
      'ERR_FERROWS_UNSUPPORTED_RUNTIME',
      `${manifest.name} needs Node-API ${NAPI_VERSION} (Node 18.17, 20.3 or later); ${host.runtime} has Node-API ${host.napi}. ` +
        'Upgrade the runtime.',
    );
  }
  const file = path.join(root, `${manifest.napi.binaryName}.${platform}.node`);
  if (exists(file)) {
    const local = tryLoad<T>(load, file);
    if (local.loaded) return local.value;
    throw loadFailure(manifest.name, file, host, local.error);
  }
  if (!supported.includes(platform)) {
    throw new NativeLoadError(
      'ERR_FERROWS_UNSUPPORTED_PLATFORM',
      `${manifest.name} has no prebuilt binary for ${platform} (${host.runtime}). ` +
        `Binaries exist for: ${supported.join(', ')}. ` +
        'Build it from source on this machine with Rust 1.89 or later (see the README, "Building from source").',
    );
  }
  return loadPackage<T>(load, manifest, pkg, host, supported);
}

/** Loads the platform package `pkg`, or explains why it cannot be used. */
function loadPackage<T>(load: Require, manifest: Manifest, pkg: string, host: Host, supported: string[]): T {
  const found = tryLoad<{ version: string }>(load, `${pkg}/package.json`);
  if (!found.loaded) {
    const others = supported.filter((p) => p !== platformOf(host) && tryLoad(load, `${manifest.name}-${p}/package.json`).loaded);
    const installed = others.length ? ` Installed instead: ${others.map((p) => `${manifest.name}-${p}`).join(', ')}${libcHint(host, others)}.` : '';
    throw new NativeLoadError(
      'ERR_FERROWS_BINARY_MISSING',
      `${manifest.name} could not find its binary for ${platformOf(host)} (${host.runtime}): the package ${pkg}@${manifest.version} ` +
        `is not installed.${installed} npm installs it as an optional dependency of ${manifest.name}, and skips it under ` +
        '--omit=optional (or --no-optional) and when package-lock.json was written on another platform. ' +
        `Run \`npm install ${pkg}@${manifest.version}\`, or delete node_modules and package-lock.json and run \`npm install\` again.`,
    );
  }
  if (found.value.version !== manifest.version) {
    throw new NativeLoadError(
      'ERR_FERROWS_BINARY_LOAD',
      `${manifest.name} ${manifest.version} needs ${pkg} ${manifest.version}, but ${found.value.version} is installed. ` +
        `Run \`npm install ${pkg}@${manifest.version}\`.`,
    );
  }
  const binding = tryLoad<T>(load, pkg);
  if (binding.loaded) return binding.value;
  throw loadFailure(manifest.name, pkg, host, binding.error);
}

/** The error for a binary that is there but does not load (wrong C library, too old a glibc, …). */
function loadFailure(name: string, what: string, host: Host, error: unknown): NativeLoadError {
  const reason = error instanceof Error ? error.message : String(error);
  const glibc = /GLIBC_[\d.]+/.test(reason) ? ' The binary needs glibc 2.28 or later.' : '';
  return new NativeLoadError(
    'ERR_FERROWS_BINARY_LOAD',
    `${name} found ${what} but ${host.runtime} could not load it: ${reason}.${glibc}`,
    error,
  );
}

/** Why another libc's package does not fit this machine. */
function libcHint(host: Host, others: string[]): string {
  if (host.libc === null || !others.some((p) => p.startsWith(`linux-${host.arch}-`))) return '';
  return `, built for ${host.libc === 'musl' ? 'glibc' : 'musl'}, while this system uses ${host.libc}`;
}

type Attempt<T> = { loaded: true; value: T } | { loaded: false; error: unknown };

/** `load(id)`, with a failure as a result rather than a throw. */
function tryLoad<T>(load: Require, id: string): Attempt<T> {
  try {
    return { loaded: true, value: load(id) as T };
  } catch (error) {
    return { loaded: false, error };
  }
}
