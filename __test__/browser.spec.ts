/**
 * A real browser as the peer: headless Chromium (Debian `chromium`) driven by playwright-core
 * loads a page from a Node http/https server whose upgrades go to a ferrows WebSocketServer in
 * `server` mode, and echoes text and binary through it — over ws:// (native path) and wss:// (TLS,
 * JavaScript path). A missing Chromium fails the tests; it never skips them.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type ServerT, type WebSocketT } from './helpers.ts';
import { isNative, selfSignedCert } from './helpers-transports.ts';
import { browser } from './helpers-chromium.ts';

/** The page: helpers the test calls through `page.evaluate`. Plain browser JavaScript. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>ferrows browser test</title>
<script>
function connect(path) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + path);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error('WebSocket error before open'));
  });
}
function pattern(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 255;
  return out;
}
async function runEcho(text, largeTextUnit, largeTextRepeat, largeBytes) {
  const ws = await connect('/echo');
  const largeText = largeTextUnit.repeat(largeTextRepeat);
  const small = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
  const large = pattern(largeBytes);
  const got = [];
  const all = new Promise((resolve) => {
    ws.onmessage = (e) => { got.push(e.data); if (got.length === 4) resolve(); };
  });
  ws.send(text);
  ws.send(small.buffer);
  ws.send(large.buffer);
  ws.send(largeText);
  await all;
  const bytes = (d) => (d instanceof ArrayBuffer ? Array.from(new Uint8Array(d)) : null);
  const sameBytes = (d, want) => {
    if (!(d instanceof ArrayBuffer) || d.byteLength !== want.length) return false;
    const view = new Uint8Array(d);
    for (let i = 0; i < want.length; i++) if (view[i] !== want[i]) return false;
    return true;
  };
  const result = {
    extensions: ws.extensions,
    text: got[0],
    small: bytes(got[1]),
    largeOk: sameBytes(got[2], large),
    largeTextOk: got[3] === largeText,
    largeTextLength: typeof got[3] === 'string' ? got[3].length : -1,
  };
  const closed = new Promise((resolve) => { ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean }); });
  ws.close(1000, 'browser done');
  result.close = await closed;
  return result;
}
async function runServerClose() {
  const ws = await connect('/close');
  const closed = new Promise((resolve) => { ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean, extensions: ws.extensions }); });
  ws.send('close me');
  return closed;
}
</script>`;

interface Host {
  origin: string;
  wss: ServerT;
  server: http.Server;
  accepted: { ws: WebSocketT; req: http.IncomingMessage; received: [Buffer, boolean][]; closed: Promise<[number, Buffer]> }[];
}

async function host(secure: boolean, perMessageDeflate: boolean): Promise<Host> {
  const page = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  };
  const server = secure ? https.createServer(selfSignedCert(), page) : http.createServer(page);
  const wss = new WebSocketServer({ server, perMessageDeflate });
  const accepted: Host['accepted'] = [];
  wss.on('connection', (ws: WebSocketT, req: http.IncomingMessage) => {
    const received: [Buffer, boolean][] = [];
    const closed = new Promise<[number, Buffer]>((resolve) => ws.on('close', (code: number, reason: Buffer) => resolve([code, reason])));
    accepted.push({ ws, req, received, closed });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      received.push([data, isBinary]);
      if (req.url === '/close') ws.close(4001, 'bye');
      else ws.send(data, { binary: isBinary });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { origin: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`, wss, server, accepted };
}

async function stop(h: Host): Promise<void> {
  for (const client of h.wss.clients!) client.terminate();
  await new Promise<void>((resolve) => h.wss.close(() => resolve()));
  h.server.closeAllConnections();
  await new Promise<void>((resolve) => h.server.close(() => resolve()));
}

const TEXT = 'héllo wörld — ☃ 😀 日本語';
const UNIT = 'ü😀a';
const REPEAT = 150000;
const LARGE = 1 << 20;

function pattern(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 255;
  return out;
}

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

for (const secure of [false, true]) {
  const scheme = secure ? 'wss' : 'ws';

  test(`Chromium echoes text, binary, 1 MiB and non-ASCII through ferrows over ${scheme}:// with permessage-deflate`, async (t) => {
    const b = await browser();
    const h = await host(secure, true);
    const context = await b.newContext(secure ? { ignoreHTTPSErrors: true } : {});
    try {
      const page = await context.newPage();
      await page.goto(`${h.origin}/`);
      const result = (await page.evaluate(
        ([text, unit, repeat, large]) => (globalThis as unknown as { runEcho: (...a: unknown[]) => unknown }).runEcho(text, unit, repeat, large),
        [TEXT, UNIT, REPEAT, LARGE] as const,
      )) as {
        extensions: string;
        text: unknown;
        small: number[] | null;
        largeOk: boolean;
        largeTextOk: boolean;
        largeTextLength: number;
        close: { code: number; reason: string; wasClean: boolean };
      };
      t.is(h.accepted.length, 1);
      const { ws, req, received, closed } = h.accepted[0]!;
      t.is(isNative(ws), !secure, secure ? 'TLS stays on the JavaScript path' : 'plain TCP is adopted natively');
      t.regex(String(req.headers['sec-websocket-extensions']), /permessage-deflate/, 'Chromium offered permessage-deflate');
      t.regex(ws.extensions, /^permessage-deflate/, 'the server accepted the offer');
      t.regex(result.extensions, /permessage-deflate/, 'Chromium sees the extension accepted');
      t.is(result.text, TEXT);
      t.deepEqual(result.small, [0, 1, 2, 127, 128, 254, 255]);
      t.true(result.largeOk, '1 MiB binary echoed byte for byte');
      t.true(result.largeTextOk, `large non-ASCII text echoed intact (length ${result.largeTextLength})`);
      t.deepEqual(result.close, { code: 1000, reason: 'browser done', wasClean: true });
      t.is(received.length, 4);
      t.deepEqual([received[0]![0].toString(), received[0]![1]], [TEXT, false]);
      t.deepEqual([...received[1]![0]], [0, 1, 2, 127, 128, 254, 255]);
      t.true(received[1]![1]);
      t.is(digest(received[2]![0]), digest(pattern(LARGE)));
      t.is(received[3]![0].toString(), UNIT.repeat(REPEAT));
      const [code, reason] = await closed;
      t.is(code, 1000);
      t.is(reason.toString(), 'browser done');
    } finally {
      await context.close();
      await stop(h);
    }
  });

  test(`Chromium sees the server's close 4001 'bye' over ${scheme}:// and no extension without perMessageDeflate`, async (t) => {
    const b = await browser();
    const h = await host(secure, false);
    const context = await b.newContext(secure ? { ignoreHTTPSErrors: true } : {});
    try {
      const page = await context.newPage();
      await page.goto(`${h.origin}/`);
      const result = await page.evaluate(() => (globalThis as unknown as { runServerClose: () => unknown }).runServerClose());
      t.deepEqual(result, { code: 4001, reason: 'bye', wasClean: true, extensions: '' });
      const { ws, received, closed } = h.accepted[0]!;
      t.is(isNative(ws), !secure);
      t.is(ws.extensions, '');
      t.is(received[0]![0].toString(), 'close me');
      const [code, reason] = await closed;
      t.is(code, 4001, 'the browser echoed the close code');
      t.is(reason.toString(), 'bye');
    } finally {
      await context.close();
      await stop(h);
    }
  });
}
