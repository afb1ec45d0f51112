#!/usr/bin/env node
// Proves `npm install ferrows` works with no toolchain: packs the tarballs (pack.mjs), installs them
// into an empty project with an empty npm cache, `--offline`, and a PATH that holds only `node`
// (no cargo, rustc or C compiler), then runs smoke-app.mjs from that install under every runtime
// of runtimes.mjs. Also installs the main tarball alone (as `--omit=optional` would) and checks that
// loading it fails with the loader's own error, not a raw MODULE_NOT_FOUND.
//
//   node scripts/package/smoke.mjs [--runtimes node18,node20,...,bun] [--arch arm64 --emulator "qemu-aarch64 -L /usr/aarch64-linux-gnu"]
//                                  [--expect-kernel sse2|neon|…]
//
// `--runtimes current` runs only the Node that runs this script (the release workflow does that on
// macOS and Windows, where the npm registry's Node packages do not apply).
//
// Prints the matrix and writes it to target/package/matrix-<arch>.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { RUNTIMES, TOO_OLD, runtimePath } from './runtimes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const arch = arg('--arch', process.arch);
const emulator = arg('--emulator', '').split(' ').filter(Boolean);
// The emulator is found on this process's PATH: the app runs with a PATH that holds only `node`.
if (emulator.length) emulator[0] = execFileSync('sh', ['-c', `command -v ${emulator[0]}`], { encoding: 'utf8' }).trim();
const expectKernel = arg('--expect-kernel', '');
const runtimes = arg('--runtimes', Object.keys(RUNTIMES).join(',')).split(',');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const { currentHost, platformOf, platformOfTarget } = createRequire(import.meta.url)(join(root, 'dist', 'lib', 'load-native.js'));
const platform = platformOf({ ...currentHost(), arch });
const work = mkdtempSync(join(tmpdir(), 'ferrows-smoke-'));
const started = Date.now();

/** A PATH with `node` and nothing else, and a check that no toolchain is reachable through it. */
function bareEnv() {
  const bin = join(work, 'bin');
  mkdirSync(bin);
  if (process.platform === 'win32') return { ...process.env, npm_config_cache: join(work, 'npm-cache') };
  symlinkSync(process.execPath, join(bin, 'node'));
  const env = { PATH: bin, HOME: work, npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false' };
  for (const tool of ['cargo', 'rustc', 'cc', 'gcc', 'clang', 'make', 'python3']) {
    const found = spawnSync(tool, ['--version'], { env });
    if (!found.error) throw new Error(`${tool} is reachable on the bare PATH`);
  }
  return env;
}

/** Installs `tarballs` into a new empty project with no network and no registry cache. */
function install(name, tarballs, env) {
  const project = join(work, name);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `smoke-${name}`, private: true, type: 'module' }));
  const npm = npmCli();
  // Installing another CPU's package here (arm64 on x64, run under qemu): npm refuses a direct
  // dependency whose `cpu` does not match (EBADPLATFORM) whatever `--cpu` says, unless forced.
  const platformFlags = arch === process.arch ? [] : [`--cpu=${arch}`, '--force'];
  execFileSync(process.execPath, [npm, 'install', '--offline', '--no-audit', '--no-fund', ...platformFlags, ...tarballs], {
    cwd: project,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return project;
}

/** The installed main package runs nothing at install time and names every platform package at its version. */
function checkInstalledManifest(project) {
  const installed = JSON.parse(readFileSync(join(project, 'node_modules', manifest.name, 'package.json'), 'utf8'));
  if (installed.scripts) throw new Error(`the packed package.json has scripts: ${Object.keys(installed.scripts).join(', ')}`);
  const wanted = Object.fromEntries(manifest.napi.targets.map((t) => [`${manifest.name}-${platformOfTarget(t)}`, manifest.version]));
  if (JSON.stringify(installed.optionalDependencies) !== JSON.stringify(wanted)) {
    throw new Error(`optionalDependencies ${JSON.stringify(installed.optionalDependencies)}, expected ${JSON.stringify(wanted)}`);
  }
}

/** npm's own script, run with `node` so that the bare PATH needs nothing else. */
function npmCli() {
  const prefix = dirname(process.execPath);
  for (const candidate of [join(prefix, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'), join(prefix, 'node_modules', 'npm', 'bin', 'npm-cli.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  return realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
}

/** The TLS key and certificate the app's wss echo uses (CN=localhost). */
function makeCertificate() {
  const [keyFile, certFile] = [join(work, 'key.pem'), join(work, 'cert.pem')];
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile,
    '-out', certFile, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return [keyFile, certFile];
}

/** Runs `script` in `project` under runtime `name`; returns its JSON line or throws with its output. */
function run(name, project, script, args, env) {
  const bin = name === 'current' ? process.execPath : runtimePath(name, arch, join(root, '.cache', 'runtimes'));
  const [cmd, ...pre] = emulator.length ? [...emulator, bin] : [bin];
  const t0 = Date.now();
  const result = spawnSync(cmd, [...pre, script, ...args], { cwd: project, env, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) {
    throw new Error(`${name}: ${result.error ?? `exit ${result.status ?? result.signal}`}\n${result.stdout}${result.stderr}`);
  }
  return { ...JSON.parse(result.stdout.trim().split('\n').at(-1)), seconds: (Date.now() - t0) / 1000 };
}

try {
  const packed = execFileSync(process.execPath, [join(here, 'pack.mjs'), '--out', join(work, 'tarballs')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const main = packed.find((p) => !p.binary);
  const binary = packed.find((p) => p.binary === `${manifest.napi.binaryName}.${platform}.node`);
  if (!binary) throw new Error(`no ${platform} binary was packed`);
  const env = bareEnv();
  const project = install('full', [main.tarball, binary.tarball], env);
  checkInstalledManifest(project);
  copyFileSync(join(here, 'smoke-app.mjs'), join(project, 'app.mjs'));
  const matrix = runtimes.map((name) => {
    const row = run(name, project, 'app.mjs', [...makeCertificate(), `${manifest.name}-${platform}`], env);
    if (expectKernel && row.kernel !== expectKernel) throw new Error(`${name} chose the ${row.kernel} kernel, expected ${expectKernel}`);
    console.log(`smoke: ${name.padEnd(7)} ${JSON.stringify(row)}`);
    return row;
  });

  const bare = install('main-only', [main.tarball], env);
  writeFileSync(
    join(bare, 'load.mjs'),
    "import { createRequire } from 'node:module';\n" +
      "try { createRequire(import.meta.url)('ferrows'); console.log('{\"loaded\":true}'); }\n" +
      'catch (e) { console.log(JSON.stringify({ code: e.code, name: e.name, message: e.message })); }\n',
  );
  const missing = run(runtimes[0], bare, 'load.mjs', [], env);
  const wanted = `${manifest.name}-${platform}@${manifest.version}`;
  if (missing.code !== 'ERR_FERROWS_BINARY_MISSING' || !missing.message.includes(wanted)) {
    throw new Error(`without the platform package, loading gave ${JSON.stringify(missing)}; expected ERR_FERROWS_BINARY_MISSING naming ${wanted}`);
  }
  console.log(`smoke: main package alone -> ${missing.code}: ${missing.message}`);
  // Registry Node packages exist for Linux only: `--runtimes current` (other OSes) skips this check.
  const tooOld = (runtimes.includes('current') ? [] : Object.keys(TOO_OLD)).map((name) => {
    copyFileSync(join(bare, 'load.mjs'), join(project, 'load.mjs'));
    const row = { name, ...run(name, project, 'load.mjs', [], env) };
    if (row.code !== 'ERR_FERROWS_UNSUPPORTED_RUNTIME') throw new Error(`${name} gave ${JSON.stringify(row)}; expected ERR_FERROWS_UNSUPPORTED_RUNTIME`);
    console.log(`smoke: ${name} -> ${row.code}: ${row.message}`);
    return row;
  });
  const report = { arch, tarballs: packed.map(({ tarball, ...r }) => ({ file: tarball.split('/').at(-1), ...r })), matrix, missing, tooOld };
  mkdirSync(join(root, 'target', 'package'), { recursive: true });
  writeFileSync(join(root, 'target', 'package', `matrix-${arch}.json`), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`smoke: ${matrix.length} runtimes on ${platform} passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
