/**
 * Headless Chromium (Debian `chromium`, driven by playwright-core) as the RFC 8441 client: a
 * ferrows WebSocketServer on `http2.createSecureServer({ allowHTTP1: true }, app)`. A page loaded
 * over h2 opens a WebSocket to its own origin, which Chromium sends as an extended CONNECT on
 * the open HTTP/2 connection; a page of another origin has no such connection, so its WebSocket
 * to the same port is an HTTP/1.1 Upgrade. A missing Chromium fails the tests; it never skips.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { WebSocketT } from './helpers.ts';
import { browser } from './helpers-chromium.ts';
import { h2Server } from './helpers-http2.ts';

/** The page: `run` opens a WebSocket, echoes `messages`, closes with `code`. Plain browser JavaScript. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>ferrows http/2 test</title>
<script>
async function run(url, messages, code, reason) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('WebSocket error before open'));
  });
  const got = [];
  const all = new Promise((resolve) => {
    ws.onmessage = (e) => { got.push(e.data); if (got.length === messages.length) resolve(); };
  });
  for (const m of messages) ws.send(typeof m === 'string' ? m : new Uint8Array(m).buffer);
  await all;
  const closed = new Promise((resolve) => { ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean }); });
  ws.close(code, reason);
  return {
    nextHopProtocol: performance.getEntriesByType('navigation')[0].nextHopProtocol,
    extensions: ws.extensions,
    messages: got.map((d) => (typeof d === 'string' ? d : Array.from(new Uint8Array(d)))),
    close: await closed,
  };
}
</script>`;

interface PageResult {
  nextHopProtocol: string;
  extensions: string;
  messages: (string | number[])[];
  close: { code: number; reason: string; wasClean: boolean };
}

interface Accepted {
  httpVersion: string;
  url: string;
  offer: string | undefined;
  extensions: string;
  closed: Promise<[number, string]>;
}

const servePage = (_req: unknown, res: http2.Http2ServerResponse | http.ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(PAGE);
};

/** The HTTP/2 server with its page app and an echoing ferrows server, on 127.0.0.1. */
async function h2Host(t: ExecutionContext, perMessageDeflate: boolean): Promise<{ port: number; accepted: Accepted[] }> {
  const setup = await h2Server(t, { tls: true, wssOptions: { perMessageDeflate }, app: servePage });
  const accepted: Accepted[] = [];
  setup.wss.on('connection', (ws: WebSocketT, req: http2.Http2ServerRequest | http.IncomingMessage) => {
    const closed = new Promise<[number, string]>((resolve) => ws.on('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
    accepted.push({
      httpVersion: req.httpVersion,
      url: req.url ?? '',
      offer: req.headers['sec-websocket-extensions'] as string | undefined,
      extensions: ws.extensions,
      closed,
    });
    ws.on('error', () => {});
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  return { port: setup.port, accepted };
}

const TEXT = 'héllo over h2 — ☃ 😀';
const BYTES = [0, 1, 2, 127, 128, 254, 255];
const LONG = 'compressible '.repeat(5000);

for (const perMessageDeflate of [true, false]) {
  test(`Chromium loads a page over h2 and its WebSocket rides that connection (RFC 8441)${perMessageDeflate ? ' with permessage-deflate' : ', no extension'}`, async (t) => {
    const b = await browser();
    const { port, accepted } = await h2Host(t, perMessageDeflate);
    const context = await b.newContext({ ignoreHTTPSErrors: true });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(`https://localhost:${port}/`);
    const result = (await page.evaluate(
      ([url, messages]) => (globalThis as unknown as { run: (...a: unknown[]) => unknown }).run(url, messages, 4002, 'bye h2'),
      [`wss://localhost:${port}/ws?room=1`, [TEXT, BYTES, LONG]] as const,
    )) as PageResult;
    t.is(result.nextHopProtocol, 'h2', 'the page came over HTTP/2');
    t.deepEqual(result.messages, [TEXT, BYTES, LONG]);
    t.deepEqual(result.close, { code: 4002, reason: 'bye h2', wasClean: true });
    t.is(accepted.length, 1);
    const [ws] = accepted;
    t.is(ws!.httpVersion, '2.0', 'the WebSocket arrived as an extended CONNECT');
    t.is(ws!.url, '/ws?room=1');
    t.log(`Chromium offered: ${ws!.offer}`);
    t.regex(ws!.offer ?? '', /^permessage-deflate/);
    if (perMessageDeflate) {
      t.is(ws!.extensions, 'permessage-deflate');
      t.regex(result.extensions, /^permessage-deflate/, 'Chromium sees the extension accepted');
    } else {
      t.is(ws!.extensions, '');
      t.is(result.extensions, '');
    }
    t.deepEqual(await ws!.closed, [4002, 'bye h2']);
  });
}

test('a page of another origin opens its WebSocket to the same port over HTTP/1.1', async (t) => {
  const b = await browser();
  const { port, accepted } = await h2Host(t, true);
  const other = http.createServer(servePage);
  other.listen(0, '127.0.0.1');
  await once(other, 'listening');
  t.teardown(() => new Promise<void>((resolve) => other.close(() => resolve())));
  other.on('connection', (socket) => t.teardown(() => socket.destroy()));
  const context = await b.newContext({ ignoreHTTPSErrors: true });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
  const result = (await page.evaluate(
    ([url, messages]) => (globalThis as unknown as { run: (...a: unknown[]) => unknown }).run(url, messages, 4003, 'bye h1'),
    [`wss://localhost:${port}/ws`, [TEXT, BYTES]] as const,
  )) as PageResult;
  t.is(result.nextHopProtocol, 'http/1.1', 'the page itself came from a plain HTTP/1.1 server');
  t.deepEqual(result.messages, [TEXT, BYTES]);
  t.deepEqual(result.close, { code: 4003, reason: 'bye h1', wasClean: true });
  t.regex(result.extensions, /^permessage-deflate/);
  t.is(accepted.length, 1);
  t.is(accepted[0]!.httpVersion, '1.1', 'no HTTP/2 connection to reuse: an HTTP/1.1 Upgrade on the same port');
  t.is(accepted[0]!.extensions, 'permessage-deflate');
  t.deepEqual(await accepted[0]!.closed, [4003, 'bye h1']);
});
