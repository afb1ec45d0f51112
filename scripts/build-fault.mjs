#!/usr/bin/env node
// Builds the addon with the test-only `fault-injection` feature (crates/node/src/fault.rs) and lays
// out a package copy that loads it: target/fault-pkg/{package.json, dist/, <binary>.node}. Only
// __test__/panics.spec.ts uses it; the release build (`npm run build:native`) never has the feature.
// A debug build: it shares the dependencies `cargo test` already compiled.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
execFileSync('cargo', ['build', '-p', 'ferrows-node', '--features', 'fault-injection'], { cwd: root, stdio: 'inherit' });

const binary = readdirSync(root).find((f) => /^ferrows\..+\.node$/.test(f));
if (!binary) throw new Error('no ferrows.<platform>.node in the checkout: run `npm run build` first');
const library = { linux: 'libferrows_node.so', darwin: 'libferrows_node.dylib', win32: 'ferrows_node.dll' }[process.platform];
const out = path.join(root, 'target', 'fault-pkg');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(path.join(root, 'dist'), path.join(out, 'dist'), { recursive: true });
copyFileSync(path.join(root, 'package.json'), path.join(out, 'package.json'));
copyFileSync(path.join(targetDir, 'debug', library), path.join(out, binary));
console.log(`fault-injection build: ${path.join(out, binary)}`);
