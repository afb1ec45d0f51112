/**
 * Every JavaScript/TypeScript snippet in README.md is exercised, against the package as users get
 * it: the blocks are extracted at test time and each one runs in a child process from a temporary
 * directory whose `node_modules/ferrows` is a symlink to this checkout, so `require('ferrows')` and
 * `import … from 'ferrows'` go through package.json's `exports` to the real entry points.
 *
 * The convention (for whoever edits README.md):
 * - Fenced blocks tagged `js`, `javascript`, `mjs`, `cjs`, `ts`, `typescript`, `mts` or `cts` are
 *   extracted; every other block (`sh`, `rust`, `toml` …) is ignored. Nothing is ever skipped.
 * - JavaScript runs as CommonJS (`.cjs`) unless it has `import`/`export` statements or top-level
 *   `await`; then it runs as an ES module (`.mjs`) where `require` is provided by `createRequire`.
 *   TypeScript is type-checked first (strict, NodeNext, with the package's own `.d.mts` types),
 *   then runs as `.mts` through tsx.
 * - Fixed ports are rewritten: `port: 8080` and `.listen(8080)` listen on port 0, and
 *   `ws://localhost:8080`-style URLs point at the server the test provides.
 * - The mode decides what is checked; it is inferred, or set with a marker comment on the nearest
 *   non-blank line above the fence: `<!-- test: key=value flag key="a quoted value" -->`.
 *   - `server` (inferred when the block declares a top-level `new WebSocketServer(…)`/`new Server(…)`
 *     or `createServer(…)`): the process must start listening; a real `ws` client connects
 *     (path `/`, or `path=/chat`), the server must see the connection, and when the block echoes
 *     (`echo`, or inferred from a message handler calling `.send(data…)`; `echo=false` to turn it
 *     off) a text and a binary message must come back unchanged and with their type. Then the
 *     servers are closed and the process must exit by itself with code 0. `server=name` picks the
 *     variable holding the server when the inference cannot see it.
 *   - `client` (inferred when the block dials a localhost URL): an echo server (the real `ws`)
 *     stands in; the block must connect to it, and must exit with code 0 once the server closes.
 *   - `script` (otherwise): the block must exit with code 0 by itself.
 *   - `check-only`: for fragments that cannot run alone — syntax-checked (JS) or type-checked (TS).
 *   - `stdout="text"`: the process's output must contain `text` (every runnable mode).
 *   A mode may also be given as a bare flag (`<!-- test: check-only -->`); unknown keys fail the test.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RealWs, type RealSocketT } from './helpers-client.ts';
import {
  declaredServers,
  echoes,
  extractSnippets,
  isEsm,
  modeOf,
  REQUIRE_SHIM,
  rewritePorts,
  serverEpilogue,
  type Snippet,
} from './helpers-readme.ts';
import { compile, NODENEXT, project, ROOT } from './helpers-types.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const snippets = extractSnippets(README);
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** A running snippet: its output so far, IPC messages, and its exit. */
interface Child {
  process: ChildProcess;
  output(): string;
  messages: { type: string; port?: number; url?: string }[];
  exited: Promise<number | null>;
}

function launch(dir: string, file: string, lang: 'js' | 'ts'): Child {
  const env = { ...process.env };
  delete env['TSX_TSCONFIG_PATH'];
  delete env['NODE_OPTIONS'];
  const args = lang === 'ts' ? ['--import', TSX, file] : [file];
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const messages: Child['messages'] = [];
  child.on('message', (m) => messages.push(m as Child['messages'][number]));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { process: child, output: () => out, messages, exited };
}

/**
 * How long a snippet may take to reach each step. Generous: these are liveness checks, and on a
 * 2-core machine running the whole suite a child process can wait seconds for a CPU.
 */
const PATIENCE_MS = 30000;

/** Polls `fn` until truthy; fails with `what` and the child's output after `ms`. */
async function until(child: Child, what: string, fn: () => unknown, ms = PATIENCE_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (child.process.exitCode !== null) throw new Error(`${what}: the snippet exited with ${child.process.exitCode}\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves with the exit code, or fails when the process is still alive after `ms`. */
async function exitCode(child: Child, ms = PATIENCE_MS): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the snippet did not exit by itself within ${ms} ms\n${child.output()}`)), ms);
  });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes the snippet as the file it runs as; returns its name. */
function prepare(t: ExecutionContext, dir: string, s: Snippet, code: string): string {
  const usesRequire = /\brequire\s*\(/.test(code) && !/\b(?:const|let|var)\s+require\b/.test(code);
  if (s.lang === 'ts') {
    writeFileSync(join(dir, 'snippet.mts'), (usesRequire ? REQUIRE_SHIM : '') + code);
    const diagnostics = compile(dir, ['snippet.mts'], { ...NODENEXT, noUnusedLocals: false, noUnusedParameters: false });
    t.deepEqual(diagnostics, [], 'the TypeScript snippet type-checks against the package types');
    return 'snippet.mts';
  }
  if (!isEsm(code)) {
    writeFileSync(join(dir, 'snippet.cjs'), code);
    const check = spawnSync(process.execPath, ['--check', 'snippet.cjs'], { cwd: dir, encoding: 'utf8' });
    if (check.status === 0) return 'snippet.cjs';
    if (!/await is only valid/.test(check.stderr)) throw new Error(`README snippet at line ${s.line} has a syntax error:\n${check.stderr}`);
  }
  writeFileSync(join(dir, 'snippet.mjs'), (usesRequire ? REQUIRE_SHIM : '') + code);
  const check = spawnSync(process.execPath, ['--check', 'snippet.mjs'], { cwd: dir, encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`README snippet at line ${s.line} has a syntax error:\n${check.stderr}`);
  return 'snippet.mjs';
}

function expectStdout(t: ExecutionContext, s: Snippet, child: Child): void {
  const want = s.marker['stdout'];
  if (typeof want === 'string') t.true(child.output().includes(want), `output should contain ${JSON.stringify(want)}:\n${child.output()}`);
}

async function runServer(t: ExecutionContext, dir: string, s: Snippet): Promise<void> {
  const code = rewritePorts(s.code, 0);
  const file = prepare(t, dir, s, code);
  writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8') + serverEpilogue(s.code, s.marker));
  const child = launch(dir, file, s.lang);
  t.teardown(() => void (child.process.exitCode === null && child.process.kill('SIGKILL')));
  await until(child, 'the snippet should start listening', () => child.messages.some((m) => m.type === 'listening'));
  const port = child.messages.find((m) => m.type === 'listening')!.port!;
  const path = typeof s.marker['path'] === 'string' ? s.marker['path'] : '/';
  const client: RealSocketT = new RealWs(`ws://127.0.0.1:${port}${path}`);
  client.on('error', () => undefined);
  const received: [string, boolean][] = [];
  client.on('message', (data: Buffer, isBinary: boolean) => received.push([isBinary ? [...data].join(',') : data.toString(), isBinary]));
  await Promise.race([once(client, 'open'), once(client, 'close').then(() => Promise.reject(new Error(`the server refused the connection\n${child.output()}`)))]);
  await until(child, 'the server should see the connection', () => child.messages.some((m) => m.type === 'connection' && m.url === path));
  if (echoes(s)) {
    client.send('hello from the README test ✓');
    client.send(Buffer.from([0, 1, 2, 254, 255]));
    await until(child, 'the echo should come back', () => received.length >= 2);
    t.deepEqual(received, [
      ['hello from the README test ✓', false],
      ['0,1,2,254,255', true],
    ]);
  }
  client.close(1000);
  const [closeCode] = (await once(client, 'close')) as [number];
  t.is(closeCode, 1000, 'the closing handshake completes');
  child.process.send('close');
  t.is(await exitCode(child), 0, `the snippet exits cleanly once its servers close\n${child.output()}`);
  expectStdout(t, s, child);
}

async function runClient(t: ExecutionContext, dir: string, s: Snippet): Promise<void> {
  const peer = new RealWs.WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(peer, 'listening');
  t.teardown(() => {
    for (const c of peer.clients) c.terminate();
    peer.close();
  });
  const received: string[] = [];
  peer.on('connection', (ws: RealSocketT) => ws.on('message', (data: Buffer, isBinary: boolean) => {
    received.push(data.toString());
    ws.send(data, { binary: isBinary });
  }));
  const file = prepare(t, dir, s, rewritePorts(s.code, (peer.address() as AddressInfo).port));
  const child = launch(dir, file, s.lang);
  t.teardown(() => void (child.process.exitCode === null && child.process.kill('SIGKILL')));
  await until(child, 'the snippet should connect to the server', () => peer.clients.size > 0 || child.process.exitCode === 0);
  const want = s.marker['stdout'];
  if (typeof want === 'string') await until(child, `the output should contain ${JSON.stringify(want)}`, () => child.output().includes(want) || child.process.exitCode === 0);
  // Give the snippet a moment to do its exchange, then close from the server side.
  await new Promise((r) => setTimeout(r, 300));
  for (const c of peer.clients) c.close(1001, 'test over');
  t.is(await exitCode(child), 0, `the snippet exits cleanly once the server closes\n${child.output()}`);
  expectStdout(t, s, child);
}

async function runScript(t: ExecutionContext, dir: string, s: Snippet): Promise<void> {
  const file = prepare(t, dir, s, rewritePorts(s.code, 0));
  const child = launch(dir, file, s.lang);
  t.teardown(() => void (child.process.exitCode === null && child.process.kill('SIGKILL')));
  t.is(await exitCode(child, 15000), 0, `the snippet exits with 0\n${child.output()}`);
  expectStdout(t, s, child);
}

function checkOnly(t: ExecutionContext, dir: string, s: Snippet): void {
  const file = prepare(t, dir, s, s.code);
  t.truthy(file);
}

test('README.md has JavaScript snippets to exercise', (t) => {
  t.true(snippets.length >= 1, 'no ```js/```ts block found in README.md');
  t.true(snippets.some((s) => /\bferrows\b/.test(s.code)), 'no snippet uses the package');
});

for (const s of snippets) {
  const mode = modeOf(s);
  const first = s.code.split('\n').find((l) => l.trim() && !l.trim().startsWith('//'))?.trim() ?? '';
  // Serially: each one type-checks and spawns Node, which on two cores starves its neighbours.
  test.serial(`README snippet #${s.index} (line ${s.line}, ${s.info}, ${mode}) runs as documented: ${first.slice(0, 60)}`, async (t) => {
    const { dir, cleanup } = project({}, { linkPackage: true });
    t.teardown(cleanup);
    if (mode === 'server') await runServer(t, dir, s);
    else if (mode === 'client') await runClient(t, dir, s);
    else if (mode === 'script') await runScript(t, dir, s);
    else checkOnly(t, dir, s);
  });
}

// The extractor and the conventions, on a synthetic README.
const SAMPLE = [
  '# x',
  '```sh',
  'npm install ferrows',
  '```',
  '<!-- test: mode=client stdout="got: hi" echo=false -->',
  '',
  '```js',
  "const ws = new WebSocket('ws://localhost:8080/path');",
  '```',
  '````ts',
  "import { WebSocketServer } from 'ferrows';",
  '```js',
  'nested fence is content',
  '```',
  'const wss = new WebSocketServer({ port: 8080 });',
  "wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));",
  '````',
  '```rust',
  'fn main() {}',
  '```',
  '  ```javascript',
  "  console.log('indented');",
  '  ```',
].join('\n');

test('the extractor takes js/ts fences only, with markers, nested fences and indentation', (t) => {
  const found = extractSnippets(SAMPLE);
  t.deepEqual(
    found.map((s) => [s.index, s.line, s.lang, s.info]),
    [
      [1, 7, 'js', 'js'],
      [2, 10, 'ts', 'ts'],
      [3, 21, 'js', 'javascript'],
    ],
  );
  t.deepEqual(found[0]!.marker, { mode: 'client', stdout: 'got: hi', echo: 'false' });
  t.deepEqual(found[1]!.marker, {});
  t.true(found[1]!.code.includes('nested fence is content'));
  t.is(found[2]!.code, "console.log('indented');");
  t.deepEqual(found.map(modeOf), ['client', 'server', 'script']);
  t.is(modeOf({ ...found[2]!, marker: { 'check-only': true } }), 'check-only');
  t.throws(() => modeOf({ ...found[2]!, marker: { stdot: 'typo' } }), { message: /unknown marker key\(s\) stdot/ });
  t.false(echoes(found[0]!), 'echo=false wins');
  t.true(echoes(found[1]!), 'echo inferred from ws.send(data)');
  t.deepEqual(declaredServers(found[1]!.code), { ws: ['wss'], http: [] });
  t.is(rewritePorts(found[0]!.code, 4321), "const ws = new WebSocket('ws://127.0.0.1:4321/path');");
  t.regex(rewritePorts(found[1]!.code, 4321), /new WebSocketServer\(\{ port: 0 \}\)/);
  t.is(rewritePorts('server.listen(8080, () => {});', 1), 'server.listen(0, () => {});');
});
