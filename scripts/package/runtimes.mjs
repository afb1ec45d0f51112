// The runtimes the package smoke test runs under, as the npm registry ships them: the
// `node-linux-<arch>` packages carry the real Node binary for each version, `@oven/bun-linux-x64` Bun's.
// Each is fetched once with `npm pack` (registry only, no install scripts) into .cache/runtimes/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** One pinned version per supported Node major (and the oldest that `engines` admits), and the Bun the README names. */
export const RUNTIMES = {
  'node18.17': { pkg: 'node-linux-{arch}', version: '18.17.0', bin: 'bin/node' },
  node18: { pkg: 'node-linux-{arch}', version: '18.20.8', bin: 'bin/node' },
  node20: { pkg: 'node-linux-{arch}', version: '20.20.2', bin: 'bin/node' },
  node22: { pkg: 'node-linux-{arch}', version: '22.23.5', bin: 'bin/node' },
  node24: { pkg: 'node-linux-{arch}', version: '24.22.3', bin: 'bin/node' },
  node26: { pkg: 'node-linux-{arch}', version: '26.12.1', bin: 'bin/node' },
  bun: { pkg: '@oven/bun-linux-{arch}', version: '1.4.4', bin: 'bin/bun' },
};

/** A Node just below `engines` (Node-API 8), which must be refused with the loader's own error. */
export const TOO_OLD = { 'node18.16': { pkg: 'node-linux-{arch}', version: '18.16.1', bin: 'bin/node' } };

/**
 * The path of runtime `name`'s executable for `arch` (`x64` or `arm64`), fetched into `cacheDir` if absent.
 * @param {string} name @param {string} arch @param {string} cacheDir
 */
export function runtimePath(name, arch, cacheDir) {
  const spec = RUNTIMES[name] ?? TOO_OLD[name];
  if (!spec) throw new Error(`unknown runtime ${name}; known: ${Object.keys(RUNTIMES).join(', ')}`);
  const pkg = spec.pkg.replace('{arch}', name === 'bun' && arch === 'arm64' ? 'aarch64' : arch);
  const dir = join(cacheDir, `${pkg.replace('/', '+')}-${spec.version}`);
  const bin = join(dir, 'package', spec.bin);
  if (existsSync(bin)) return bin;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', `${pkg}@${spec.version}`, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [tarball] = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  // Only the executable: the packages also carry headers, docs and (Node) npm, ~150 MB unpacked each.
  execFileSync('tar', ['xzf', tarball, `package/${spec.bin}`], { cwd: dir });
  rmSync(join(dir, tarball));
  if (!existsSync(bin)) throw new Error(`${pkg}@${spec.version} has no ${spec.bin}`);
  return bin;
}
