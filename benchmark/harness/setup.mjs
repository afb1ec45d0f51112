// Before measuring: build the Rust tools, make sure ferrows is built, install the pinned peers,
// and describe the machine.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { BENCH_DIR, BUN, LIMIT, LOADGEN, LOADGEN_H2, ROOT } from './config.mjs';

const PEERS = `${BENCH_DIR}peers/`;
const REGISTRY = 'https://registry.npmjs.org/';
/** The exact versions run.mjs expects to find after installing (checked, not trusted). */
const PINS = {
  ws: '8.23.0',
  bufferutil: '4.1.0',
  '@trufflesuite/uws-js-unofficial': '20.30.0-unofficial.0',
  '@oven/bun-linux-x64': '1.4.4',
};

function run(file, args, cwd = ROOT) {
  const res = spawnSync(file, args, { cwd, stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${res.status ?? res.signal})`);
}

/** Release builds of the load generators and the native limit server; ferrows if not built. */
export function build() {
  run('cargo', ['build', '--release', '--quiet', '-p', 'ferrows-loadgen', '-p', 'ferrows-loadgen-h2', '-p', 'ferrows-limit']);
  for (const bin of [LOADGEN, LOADGEN_H2, LIMIT]) if (!existsSync(bin)) throw new Error(`${bin} missing after build`);
  const addon = readdirSync(ROOT).some((f) => /^ferrows\..*\.node$/.test(f));
  if (!addon || !existsSync(`${ROOT}dist/index.js`)) run('npm', ['run', 'build']);
}

/**
 * Installs the peers into benchmark/peers/ from the committed manifest and lock
 * (benchmark/peers.package.json, benchmark/peers.package-lock.json) with `npm ci` against the npm
 * registry; skipped when the installed tree was made from the same lock.
 */
export function installPeers() {
  const lock = readFileSync(`${BENCH_DIR}peers.package-lock.json`);
  const stamp = createHash('sha256').update(lock).digest('hex');
  const stampFile = `${PEERS}.installed-lock-sha256`;
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && pinsOk()) return;
  mkdirSync(PEERS, { recursive: true });
  copyFileSync(`${BENCH_DIR}peers.package.json`, `${PEERS}package.json`);
  copyFileSync(`${BENCH_DIR}peers.package-lock.json`, `${PEERS}package-lock.json`);
  // --ignore-scripts: nothing needs building (bufferutil ships a linux-x64 prebuild, loaded by
  // node-gyp-build at run time; ws.mjs asserts it is native).
  run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', `--registry=${REGISTRY}`], PEERS);
  if (!pinsOk()) throw new Error('installed peers do not match the pinned versions');
  writeFileSync(stampFile, stamp);
}

function pinsOk() {
  return Object.entries(PINS).every(([name, version]) => {
    const file = `${PEERS}node_modules/${name}/package.json`;
    return existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).version === version;
  }) && existsSync(BUN);
}

/** The machine, for the report. */
export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const bun = spawnSync(BUN, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  const rustc = spawnSync('rustc', ['--version'], { encoding: 'utf8' }).stdout?.trim();
  const ferrows = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version;
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const dirty = spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  return {
    cpu: model,
    cores: os.cpus().length,
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    bun,
    rustc,
    ferrows: `${ferrows} (${commit}${dirty ? ', uncommitted changes' : ''})`,
    clk_tck: Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100,
  };
}
