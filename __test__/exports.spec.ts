/**
 * §1 module shape (M1–M5): `require` returns the WebSocket class with ws's statics, the ESM entry
 * has ws's named exports (no `Server`), the package "exports" map has ws's shape, and the browser
 * entry throws. Checked both by path and through the package name (a temp `node_modules/ferrows`
 * symlink to this checkout), and against the real ws's own shape.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
type Exported = Record<string, unknown> & (new (...args: never[]) => object);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const byPath = require('../dist/index.js') as Exported;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realWs = require('ws') as Exported;

const WS_STATICS = ['createWebSocketStream', 'extension', 'PerMessageDeflate', 'Receiver', 'Sender', 'Server', 'subprotocol', 'WebSocket', 'WebSocketServer'];
const WS_NAMED_ESM = ['createWebSocketStream', 'extension', 'PerMessageDeflate', 'Receiver', 'Sender', 'subprotocol', 'WebSocket', 'WebSocketServer'];

/** A throwaway project with `node_modules/ferrows` linked to this checkout. */
const project = mkdtempSync(join(tmpdir(), 'ferrows-exports-'));
mkdirSync(join(project, 'node_modules'));
symlinkSync(ROOT, join(project, 'node_modules', 'ferrows'), 'dir');
writeFileSync(join(project, 'package.json'), '{"name":"consumer","private":true}');
writeFileSync(join(project, 'esm.mjs'), "export * from 'ferrows';\nexport { default } from 'ferrows';\n");
writeFileSync(join(project, 'default-only.mjs'), "import ws from 'ferrows';\nexport const Server = ws.Server;\nexport const WebSocketServer = ws.WebSocketServer;\n");
const requireFromProject = createRequire(join(project, 'index.js'));
test.after.always(() => rmSync(project, { recursive: true, force: true }));

const run = promisify(execFile);
async function nodeIn(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: project });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

test('M1: require of dist/index.js and of the package name return the WebSocket class itself', (t) => {
  const byName = requireFromProject('ferrows') as Exported;
  t.is(typeof byPath, 'function');
  t.is(byName, byPath, 'the package name resolves to the same module');
  t.is(byPath.name, 'WebSocket');
  t.is(byPath['WebSocket'], byPath);
});

test('M2: the class carries every static ws has, with the same kinds, plus WebSocketStream and WebSocketError', (t) => {
  for (const name of WS_STATICS) {
    t.true(Object.prototype.hasOwnProperty.call(byPath, name), name);
    t.is(typeof byPath[name], typeof realWs[name], name);
  }
  t.is(byPath['Server'], byPath['WebSocketServer']);
  t.is(byPath['WebSocket'], byPath);
  t.is(typeof byPath['WebSocketStream'], 'function');
  t.is(typeof byPath['WebSocketError'], 'function');
  t.deepEqual(Object.keys(byPath).sort(), [...Object.keys(realWs), 'WebSocketError', 'WebSocketStream'].sort(), 'enumerable statics equal ws\'s plus ours');
  for (const [i, state] of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].entries()) {
    t.is(byPath[state], i);
    t.is((byPath.prototype as Record<string, unknown>)[state], i);
  }
  t.deepEqual(Object.keys(byPath.prototype).sort(), Object.keys(realWs.prototype).sort(), 'enumerable prototype members equal ws\'s');
});

test('M2: the statics have ws\'s shapes (classes, helpers, Sender.frame, extensionName)', (t) => {
  const Sender = byPath['Sender'] as { frame: unknown; prototype: Record<string, unknown> };
  t.is(typeof Sender.frame, 'function');
  for (const m of ['send', 'ping', 'pong', 'close']) t.is(typeof Sender.prototype[m], 'function', `Sender#${m}`);
  const Pmd = byPath['PerMessageDeflate'] as { extensionName: string; prototype: Record<string, unknown> };
  t.is(Pmd.extensionName, 'permessage-deflate');
  for (const m of ['offer', 'accept', 'cleanup', 'compress', 'decompress']) t.is(typeof Pmd.prototype[m], 'function', `PerMessageDeflate#${m}`);
  const ext = byPath['extension'] as Record<string, unknown>;
  t.deepEqual(Object.keys(ext).sort(), ['format', 'parse']);
  const sub = byPath['subprotocol'] as Record<string, unknown>;
  t.deepEqual(Object.keys(sub), ['parse']);
  const Receiver = byPath['Receiver'] as new () => { write: unknown; on: unknown };
  const receiver = new Receiver();
  t.is(typeof receiver.write, 'function');
  t.is(typeof (byPath['createWebSocketStream'] as () => unknown), 'function');
  t.is((byPath['createWebSocketStream'] as { length: number }).length, (realWs['createWebSocketStream'] as { length: number }).length);
});

test('M3: the ESM entry has ws\'s named exports plus WebSocketStream and WebSocketError, no Server, default = WebSocket', async (t) => {
  const ns = (await import(pathToFileURL(join(ROOT, 'wrapper.mjs')).href)) as Record<string, unknown>;
  const wsNs = (await import('ws')) as Record<string, unknown>;
  t.deepEqual(Object.keys(ns).sort(), [...WS_NAMED_ESM, 'WebSocketError', 'WebSocketStream', 'default'].sort());
  t.deepEqual(Object.keys(wsNs).sort(), [...WS_NAMED_ESM, 'default'].sort(), 'ws itself has this shape');
  t.false('Server' in ns, 'Server is not a named ESM export');
  t.is(ns['default'], byPath);
  t.is(ns['WebSocket'], byPath);
  for (const name of [...WS_NAMED_ESM, 'WebSocketError', 'WebSocketStream']) if (name !== 'WebSocket') t.is(ns[name], byPath[name], name);
  t.is((ns['default'] as Record<string, unknown>)['Server'], ns['WebSocketServer'], 'ws.default.Server works under ESM');
});

test('M3: import of the package name resolves through "exports" to the same ESM entry', async (t) => {
  const ns = (await import(pathToFileURL(join(project, 'esm.mjs')).href)) as Record<string, unknown>;
  t.is(ns['default'], byPath, 'CommonJS and ESM share one module instance');
  t.deepEqual(Object.keys(ns).sort(), [...WS_NAMED_ESM, 'WebSocketError', 'WebSocketStream', 'default'].sort());
  const viaDefault = (await import(pathToFileURL(join(project, 'default-only.mjs')).href)) as Record<string, unknown>;
  t.is(viaDefault['Server'], viaDefault['WebSocketServer']);
  t.is(typeof viaDefault['Server'], 'function');
});

test('M3: a named import of Server fails to link, as with ws', async (t) => {
  writeFileSync(join(project, 'named-server.mjs'), "import { Server } from 'ferrows';\nconsole.log(typeof Server);\n");
  const ours = await nodeIn(['named-server.mjs']);
  t.not(ours.code, 0);
  t.regex(ours.stderr, /does not provide an export named 'Server'/);
});

test('M4: package.json "exports" has ws\'s shape: browser, import, require, and ./package.json', (t) => {
  const exportsMap = pkg['exports'] as Record<string, unknown>;
  const wsPkg = JSON.parse(readFileSync(join(ROOT, 'node_modules/ws/package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  t.deepEqual(Object.keys(exportsMap), Object.keys(wsPkg['exports']!));
  const dot = exportsMap['.'] as Record<string, unknown>;
  t.deepEqual(Object.keys(dot), ['browser', 'import', 'require'], 'browser first, in ws\'s order');
  t.is(dot['browser'], './browser.js');
  const importEntry = dot['import'] as Record<string, string>;
  const requireEntry = dot['require'] as Record<string, string>;
  t.deepEqual(Object.keys(importEntry), ['types', 'default'], 'types comes first (TypeScript requires it)');
  t.deepEqual(Object.keys(requireEntry), ['types', 'default']);
  t.is(importEntry['default'], './wrapper.mjs');
  t.is(importEntry['types'], './index.d.mts');
  t.is(requireEntry['default'], './dist/index.js');
  t.is(requireEntry['types'], './index.d.ts');
  t.is(exportsMap['./package.json'], './package.json');
  t.is(pkg['browser'], 'browser.js');
  t.is(pkg['main'], 'dist/index.js');
  for (const file of ['browser.js', 'wrapper.mjs', 'dist/index.js', 'index.d.ts', 'index.d.mts']) t.true(existsSync(join(ROOT, file)), file);
});

test('M4: ./package.json is exported and deep paths are not', (t) => {
  t.is((requireFromProject('ferrows/package.json') as { name: string }).name, 'ferrows');
  t.throws(() => requireFromProject('ferrows/dist/lib/sender.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  t.throws(() => requireFromProject('ferrows/browser.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});

test('M5: the browser entry is a function that throws ws\'s message (with our name)', (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const browser = require('../browser.js') as () => never;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wsBrowser = require('../node_modules/ws/browser.js') as () => never;
  t.is(typeof browser, 'function');
  const ours = t.throws(() => browser(), { instanceOf: Error });
  const theirs = t.throws(() => wsBrowser());
  t.is(ours?.message, theirs?.message.replace(/^ws /, 'ferrows '));
  t.is(ours?.message, 'ferrows does not work in the browser. Browser clients must use the native WebSocket object');
});

test('M5: with the "browser" condition both require and import resolve to the throwing entry', async (t) => {
  const cjs = await nodeIn(['--conditions=browser', '-e', "const f = require('ferrows'); console.log(typeof f, f.Server === undefined); f();"]);
  t.not(cjs.code, 0);
  t.regex(cjs.stdout, /^function true/);
  t.regex(cjs.stderr, /ferrows does not work in the browser/);
  const esm = await nodeIn(['--conditions=browser', '--input-type=module', '-e', "import f from 'ferrows'; f();"]);
  t.not(esm.code, 0);
  t.regex(esm.stderr, /ferrows does not work in the browser/);
});

test('WebSocketStream is exported in both shapes', async (t) => {
  const ns = (await import(pathToFileURL(join(project, 'esm.mjs')).href)) as Record<string, unknown>;
  const WebSocketStream = byPath['WebSocketStream'] as { from: unknown; prototype: object };
  t.is(ns['WebSocketStream'], WebSocketStream);
  t.is(typeof WebSocketStream.from, 'function');
  t.is((requireFromProject('ferrows') as Record<string, unknown>)['WebSocketStream'], WebSocketStream);
});
