#!/usr/bin/env node
// Packs what a release publishes, without publishing: the main package, which lists every platform
// package of `napi.targets` as an optional dependency at its own version, and each platform package
// whose binary has been built (npm/<platform>/ferrows.<platform>.node, from scripts/cross/build.sh;
// this machine's may come from `npm run build:native`). Nothing in the packed manifests runs
// at install time: the main tarball carries no scripts at all.
//
//   node scripts/package/pack.mjs [--out <dir>]     (default: target/package)
//
// Prints one JSON line per tarball ({ tarball, size, unpackedSize, files, binary, binarySize }).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { platformOfTarget, platformOf, currentHost } = require(join(root, 'dist', 'lib', 'load-native.js'));

const outIndex = process.argv.indexOf('--out');
const out = resolve(outIndex > 0 ? process.argv[outIndex + 1] : join(root, 'target', 'package'));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const platforms = manifest.napi.targets.map(platformOfTarget);

/** `npm pack <dir>` into `out`; returns npm's own report of the tarball. */
function npmPack(dir) {
  const json = execFileSync('npm', ['pack', dir, '--pack-destination', out, '--ignore-scripts', '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [report] = JSON.parse(json);
  return report;
}

/** Checks a platform package's manifest against the main one and returns its binary's file name. */
function checkPlatformPackage(platform) {
  const pkg = JSON.parse(readFileSync(join(root, 'npm', platform, 'package.json'), 'utf8'));
  const binary = `${manifest.napi.binaryName}.${platform}.node`;
  const problems = [];
  if (pkg.name !== `${manifest.name}-${platform}`) problems.push(`name ${pkg.name}`);
  if (pkg.version !== manifest.version) problems.push(`version ${pkg.version} (main: ${manifest.version})`);
  if (pkg.main !== binary || !pkg.files?.includes(binary)) problems.push(`main/files do not name ${binary}`);
  if (problems.length) throw new Error(`npm/${platform}/package.json: ${problems.join('; ')}`);
  return binary;
}

/** The main package's manifest as published: no scripts, no devDependencies, the platform packages optional. */
function publishedManifest() {
  const { scripts: _scripts, devDependencies: _dev, ava: _ava, ...published } = manifest;
  published.optionalDependencies = Object.fromEntries(platforms.map((p) => [`${manifest.name}-${p}`, manifest.version]));
  return published;
}

/** Copies the files `npm pack` would take from the checkout into a staging directory with the published manifest. */
function stageMain() {
  const [dry] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const stage = mkdtempSync(join(tmpdir(), 'ferrows-pack-'));
  for (const { path } of dry.files) {
    if (path === 'package.json') continue;
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    cpSync(join(root, path), join(stage, path));
  }
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(publishedManifest(), null, 2)}\n`);
  return stage;
}

if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is not built: run `npm run build` first');
mkdirSync(out, { recursive: true });
const host = platformOf(currentHost());
// This machine's binary: the newer of the checkout's build (`npm run build:native`) and the one in
// npm/<platform>/ (scripts/cross/build.sh, linked against the glibc baseline: what a release ships).
const hostBinary = join(root, `${manifest.napi.binaryName}.${host}.node`);
const packaged = join(root, 'npm', host, `${manifest.napi.binaryName}.${host}.node`);
if (existsSync(hostBinary) && (!existsSync(packaged) || statSync(hostBinary).mtimeMs > statSync(packaged).mtimeMs)) {
  copyFileSync(hostBinary, packaged);
}

const reports = [];
for (const platform of platforms) {
  const binary = checkPlatformPackage(platform);
  const file = join(root, 'npm', platform, binary);
  if (!existsSync(file)) continue;
  copyFileSync(join(root, 'LICENSE'), join(root, 'npm', platform, 'LICENSE'));
  const report = npmPack(join(root, 'npm', platform));
  reports.push({ ...report, binary, binarySize: statSync(file).size });
}
if (!reports.some((r) => r.binary.includes(host))) throw new Error(`no binary for this machine (${host}): run \`npm run build:native\``);
const stage = stageMain();
try {
  reports.unshift(npmPack(stage));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
for (const r of reports) {
  const line = { tarball: join(out, r.filename), size: r.size, unpackedSize: r.unpackedSize, files: r.entryCount };
  if (r.binary) Object.assign(line, { binary: r.binary, binarySize: r.binarySize });
  console.log(JSON.stringify(line));
}
