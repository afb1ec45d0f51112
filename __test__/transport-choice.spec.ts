/**
 * Which transport a socket gets is decided at run time: the native driver when the addon was built
 * with it (`nativeDriverSupported()`: Unix builds) and `FERROWS_NO_NATIVE` is unset, the
 * JavaScript-owned transport otherwise. Each choice runs in a fresh child process, since the
 * decision is made once per process (the driver is created on first use).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { native } = require('../dist/lib/native.js') as { native: { nativeDriverSupported(): boolean; NativeDriver?: unknown } };
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A server and a client in one process echo a message; prints what each side's transport was. */
const ECHO = `
const WebSocket = require('./dist/index.js');
const { native } = require('./dist/lib/native.js');
const wss = new WebSocket.WebSocketServer({ port: 0, host: '127.0.0.1' }, () => {
  let server;
  wss.on('connection', (ws) => {
    server = ws;
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const ws = new WebSocket('ws://127.0.0.1:' + wss.address().port);
  ws.on('open', () => ws.send('echo me'));
  ws.on('message', (data) => {
    console.log(JSON.stringify({
      supported: native.nativeDriverSupported(),
      client: ws._transport.isNative,
      server: server._transport.isNative,
      echo: data.toString(),
    }));
    ws.close();
    wss.close();
  });
});
setTimeout(() => { console.error('timed out'); process.exit(2); }, 10000).unref();
`;

interface Outcome {
  supported: boolean;
  client: boolean;
  server: boolean;
  echo: string;
}

/** Runs {@link ECHO} in a child `node` with `FERROWS_NO_NATIVE` set or unset. */
function echoInChild(noNative: boolean): Promise<Outcome> {
  const env = { ...process.env };
  delete env['FERROWS_NO_NATIVE'];
  if (noNative) env['FERROWS_NO_NATIVE'] = '1';
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', ECHO], { cwd: ROOT, env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`child failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim()) as Outcome);
    });
  });
}

test('the addon reports the native driver on Unix builds and has no NativeDriver elsewhere', (t) => {
  const unix = process.platform !== 'win32';
  t.is(native.nativeDriverSupported(), unix);
  t.is(typeof native.NativeDriver, unix ? 'function' : 'undefined');
});

test('by default both ends of an echo use the native driver where the addon has it', async (t) => {
  const outcome = await echoInChild(false);
  t.is(outcome.echo, 'echo me');
  t.is(outcome.supported, process.platform !== 'win32');
  t.is(outcome.client, outcome.supported);
  t.is(outcome.server, outcome.supported);
  if (process.platform === 'linux') t.true(outcome.client && outcome.server);
});

test('FERROWS_NO_NATIVE=1 keeps both ends of an echo on the JavaScript-owned transport', async (t) => {
  const outcome = await echoInChild(true);
  t.is(outcome.echo, 'echo me');
  t.false(outcome.client);
  t.false(outcome.server);
});
