/**
 * The client over HTTP/2 (RFC 8441; h2-h3.md §1, §5.5; h2-h3-route.md §3): `http2: true | 'auto'`
 * and `http2Session`, against Node's own `http2` server answering extended CONNECT, over TLS and
 * h2c. The server side is scripted here: it writes unmasked frames and reads the client's.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import { closePayload, frame, next, WebSocket, type WebSocketT } from './helpers.ts';
import { closed, RealWs } from './helpers-client.ts';
import { echo, h2Server, type H2Peer } from './helpers-http2-peer.ts';
import { deflateMessage } from './helpers-protocol.ts';
import { settle, WebSocketStream } from './helpers-websocket-stream.ts';

type Err = Error & { code?: string };

/** Records `error` messages and `close` codes in order. */
function outcome(ws: WebSocketT): string[] {
  const events: string[] = [];
  ws.on('error', (err: Error) => events.push(`error:${err.message}`));
  ws.on('close', (code: number) => events.push(`close:${code}`));
  return events;
}

async function openEcho(ws: WebSocketT, peer: Promise<H2Peer>): Promise<H2Peer> {
  const [p] = await Promise.all([peer, next(ws, 'open')]);
  void echo(p).catch(() => {});
  return p;
}

for (const secure of [true, false]) {
  const name = secure ? 'TLS (h2)' : 'h2c';
  test(`${name}: opens with an extended CONNECT and echoes text and binary`, async (t) => {
    const s = await h2Server(t, { secure });
    const ws = new WebSocket(`${s.url}/chat?room=1`, { http2: true, ca: s.ca, origin: 'https://example', headers: { 'X-Token': 'abc', Connection: 'keep-alive', Host: 'example.test' } });
    let res: IncomingMessage | undefined;
    ws.on('upgrade', (r: IncomingMessage) => (res = r));
    const p = await openEcho(ws, s.nextPeer());
    t.is(res?.statusCode, 200);
    t.is(res?.httpVersion, '2.0');
    const h = p.headers;
    t.is(h[':method'], 'CONNECT');
    t.is(h[':protocol'], 'websocket');
    t.is(h[':scheme'], secure ? 'https' : 'http');
    t.is(h[':path'], '/chat?room=1');
    t.is(h[':authority'], 'example.test', 'a user Host header becomes :authority');
    t.is(h['sec-websocket-version'], '13');
    t.is(h['origin'], 'https://example');
    t.is(h['x-token'], 'abc');
    for (const gone of ['sec-websocket-key', 'connection', 'upgrade', 'host']) t.is(h[gone], undefined, gone);
    ws.send('héllo');
    ws.send(Buffer.from([1, 2, 3]));
    const got: [string, boolean][] = [];
    ws.on('message', (d: Buffer, isBinary: boolean) => got.push([d.toString('hex'), isBinary]));
    await new Promise<void>((resolve) => ws.on('message', () => got.length === 2 && resolve()));
    t.deepEqual(got, [[Buffer.from('héllo').toString('hex'), false], ['010203', true]]);
    ws.close();
    t.is((await closed(ws))[0], 1005);
  });
}

test('the server chooses a subprotocol; ws.protocol is it', async (t) => {
  const s = await h2Server(t, {
    answer: (stream) => stream.respond({ ':status': 200, 'sec-websocket-protocol': 'two' }),
  });
  const ws = new WebSocket(s.url, ['one', 'two'], { http2: true, ca: s.ca });
  const p = await openEcho(ws, s.nextPeer());
  t.is(p.headers['sec-websocket-protocol'], 'one,two');
  t.is(ws.protocol, 'two');
  ws.terminate();
});

test('a subprotocol that was not offered fails with the core message and RST_STREAM CANCEL', async (t) => {
  const s = await h2Server(t, {
    answer: (stream) => stream.respond({ ':status': 200, 'sec-websocket-protocol': 'other' }),
  });
  const ws = new WebSocket(s.url, ['one'], { http2: true, ca: s.ca });
  const events = outcome(ws);
  const p = await s.nextPeer();
  await closed(ws);
  t.deepEqual(events, ['error:Server sent an invalid subprotocol', 'close:1006']);
  t.is(await p.closed, http2.constants.NGHTTP2_CANCEL);
});

test('permessage-deflate is negotiated and both directions compress', async (t) => {
  const s = await h2Server(t, {
    answer: (stream) => stream.respond({ ':status': 200, 'sec-websocket-extensions': 'permessage-deflate' }),
  });
  const ws = new WebSocket(s.url, { http2: true, ca: s.ca });
  const [p] = await Promise.all([s.nextPeer(), next(ws, 'open')]);
  t.regex(String(p.headers['sec-websocket-extensions']), /^permessage-deflate/);
  t.is(ws.extensions, 'permessage-deflate');
  const text = 'compress me '.repeat(20);
  p.stream.write(frame(1, deflateMessage(Buffer.from(text)), { mask: false, rsv: 4 }));
  const [data] = await next<[Buffer]>(ws, 'message');
  t.is(data.toString(), text);
  ws.send(text);
  const f = await p.peer.readFrame();
  t.is(f.rsv, 4, 'RSV1 set');
  t.is(inflateRawSync(Buffer.concat([f.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString(), text);
  ws.terminate();
});

test('http2: true against a server without enableConnectProtocol: a clear error, close 1006, no stream', async (t) => {
  const s = await h2Server(t, { connect: false });
  const ws = new WebSocket(s.url, { http2: true, ca: s.ca });
  const events = outcome(ws);
  await closed(ws);
  t.deepEqual(events, [
    'error:The server does not support WebSockets over HTTP/2 (it did not enable SETTINGS_ENABLE_CONNECT_PROTOCOL)',
    'close:1006',
  ]);
  await t.throwsAsync(s.nextPeer(200));
});

test("http2: 'auto' falls back to the HTTP/1.1 upgrade when the setting is missing (allowHTTP1 server)", async (t) => {
  const s = await h2Server(t, { connect: false, allowHTTP1: true });
  const wss = new RealWs.WebSocketServer({ noServer: true });
  const versions: string[] = [];
  s.server.on('upgrade', (req: IncomingMessage, socket, head) => {
    versions.push(req.httpVersion);
    wss.handleUpgrade(req, socket, head, (c) => c.on('message', (d: Buffer) => c.send(d.toString())));
  });
  t.teardown(() => wss.close());
  const ws = new WebSocket(s.url, { http2: 'auto', ca: s.ca });
  await next(ws, 'open');
  ws.send('over 1.1');
  const [data] = await next<[Buffer]>(ws, 'message');
  t.is(data.toString(), 'over 1.1');
  t.deepEqual(versions, ['1.1']);
  ws.terminate();
});

test("ALPN http/1.1: http2: true fails clearly, 'auto' does the HTTP/1.1 upgrade", async (t) => {
  const { selfSignedCert } = await import('./helpers-server.ts');
  const { key, cert } = selfSignedCert();
  const server = https.createServer({ key, cert });
  const wss = new RealWs.WebSocketServer({ server });
  wss.on('connection', (c) => c.send('h1'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => {
    for (const c of wss.clients) c.terminate();
    server.close(() => resolve());
  }));
  const url = `wss://127.0.0.1:${(server.address() as { port: number }).port}`;
  const strict = new WebSocket(url, { http2: true, ca: cert });
  const events = outcome(strict);
  await closed(strict);
  t.deepEqual(events, ['error:The server does not support WebSockets over HTTP/2 (ALPN selected http/1.1)', 'close:1006']);
  const auto = new WebSocket(url, { http2: 'auto', ca: cert });
  const [data] = await next<[Buffer]>(auto, 'message');
  t.is(data.toString(), 'h1');
  auto.terminate();
});

test("a non-2xx answer goes to 'unexpected-response' with req/res-like objects", async (t) => {
  const s = await h2Server(t, {
    answer: (stream) => {
      stream.respond({ ':status': 403, 'x-why': 'nope' });
      stream.end('forbidden');
    },
  });
  const ws = new WebSocket(s.url, { http2: true, ca: s.ca });
  const [req, res] = await next<[{ method: string; path: string; destroy(): void }, IncomingMessage]>(ws, 'unexpected-response');
  t.is(req.method, 'CONNECT');
  t.is(req.path, '/');
  t.is(res.statusCode, 403);
  t.is(res.httpVersion, '2.0');
  t.is(res.headers['x-why'], 'nope');
  let body = '';
  for await (const chunk of res) body += String(chunk);
  t.is(body, 'forbidden');
  t.is(ws.readyState, WebSocket.CONNECTING, 'as in ws, the listener decides');
  const events = outcome(ws);
  ws.terminate();
  await closed(ws);
  t.deepEqual(events, ['error:WebSocket was closed before the connection was established', 'close:1006']);
});

test("a non-2xx answer without an 'unexpected-response' listener is an error", async (t) => {
  const s = await h2Server(t, { answer: (stream) => stream.respond({ ':status': 501 }, { endStream: true }) });
  const ws = new WebSocket(s.url, { http2: true, ca: s.ca });
  const events = outcome(ws);
  await closed(ws);
  t.deepEqual(events, ['error:Unexpected server response: 501', 'close:1006']);
});

test('two WebSockets to one origin share one session (one TCP connection), closed after the last', async (t) => {
  const s = await h2Server(t);
  const a = new WebSocket(s.url + '/a', { http2: true, ca: s.ca });
  const pa = await openEcho(a, s.nextPeer());
  const b = new WebSocket(s.url + '/b', { http2: true, ca: s.ca });
  const pb = await openEcho(b, s.nextPeer());
  t.deepEqual([pa.headers[':path'], pb.headers[':path']], ['/a', '/b']);
  t.is(s.connections.opened, 1);
  t.is(s.sessions.length, 1);
  a.close(1000);
  await closed(a);
  t.is(s.connections.closed, 0, 'the session stays while b is open');
  b.send('still');
  t.is((await next<[Buffer]>(b, 'message'))[0].toString(), 'still');
  b.close(1000);
  await closed(b);
  const deadline = Date.now() + 5000;
  while (s.connections.closed < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(s.connections.closed, 1, 'the last close closes the session');
});

test('different TLS options do not share a session', async (t) => {
  const s = await h2Server(t);
  const a = new WebSocket(s.url, { http2: true, ca: s.ca });
  await openEcho(a, s.nextPeer());
  const b = new WebSocket(s.url, { http2: true, ca: s.ca, servername: 'localhost' });
  await openEcho(b, s.nextPeer());
  t.is(s.connections.opened, 2);
  a.terminate();
  b.terminate();
});

test('terminate() resets the stream with CANCEL (rstCode 8); the session survives', async (t) => {
  const s = await h2Server(t);
  const a = new WebSocket(s.url, { http2: true, ca: s.ca });
  const pa = await openEcho(a, s.nextPeer());
  const b = new WebSocket(s.url, { http2: true, ca: s.ca });
  await openEcho(b, s.nextPeer());
  const aClosed = closed(a);
  a.terminate();
  t.is(await pa.closed, http2.constants.NGHTTP2_CANCEL);
  t.is((await aClosed)[0], 1006);
  b.send('alive');
  t.is((await next<[Buffer]>(b, 'message'))[0].toString(), 'alive');
  t.is(s.connections.opened, 1);
  b.terminate();
});

test('a server reset mid-message closes the client with 1006', async (t) => {
  const s = await h2Server(t);
  const ws = new WebSocket(s.url, { http2: true, ca: s.ca });
  const [p] = await Promise.all([s.nextPeer(), next(ws, 'open')]);
  let messages = 0;
  ws.on('message', () => messages++);
  p.stream.write(frame(2, Buffer.alloc(1000), { mask: false }).subarray(0, 500));
  await new Promise((r) => setTimeout(r, 50));
  p.stream.close(http2.constants.NGHTTP2_CANCEL);
  const [code] = await closed(ws);
  t.is(code, 1006);
  t.is(messages, 0);
});

test('close handshake then server END_STREAM: a clean 1000 on both sides, no reset', async (t) => {
  const s = await h2Server(t);
  const ws = new WebSocket(s.url, { http2: true, ca: s.ca });
  const [p] = await Promise.all([s.nextPeer(), next(ws, 'open')]);
  ws.close(1000, 'bye');
  const c = await p.peer.readClose();
  t.deepEqual(c, { code: 1000, reason: 'bye' });
  p.stream.end(frame(8, closePayload(1000, 'ok'), { mask: false }));
  const [code, reason] = await closed(ws);
  t.is(code, 1000);
  t.is(reason.toString(), 'ok');
  t.is(await p.closed, http2.constants.NGHTTP2_NO_ERROR, 'the client ended its side with END_STREAM');
});

// Serial (ava runs these first, alone) so the session is up well before the timeout fires.
test.serial('handshakeTimeout: no answer → error, close 1006, the stream is cancelled', async (t) => {
  const s = await h2Server(t, { secure: false, answer: () => {} });
  const ws = new WebSocket(s.url, { http2: true, handshakeTimeout: 2000 });
  const events = outcome(ws);
  const p = await s.nextPeer();
  await closed(ws);
  t.deepEqual(events, ['error:Opening handshake has timed out', 'close:1006']);
  t.is(await p.closed, http2.constants.NGHTTP2_CANCEL);
});

test('close() while waiting for the answer cancels the stream', async (t) => {
  const s = await h2Server(t, { answer: () => {} });
  const ws = new WebSocket(s.url, { http2: true, ca: s.ca });
  const events = outcome(ws);
  const p = await s.nextPeer();
  ws.close();
  await closed(ws);
  t.deepEqual(events, ['error:WebSocket was closed before the connection was established', 'close:1006']);
  t.is(await p.closed, http2.constants.NGHTTP2_CANCEL);
});

test('a session error (GOAWAY with an error code) closes its WebSockets with 1006; the next one reconnects', async (t) => {
  const s = await h2Server(t);
  const ws = new WebSocket(s.url, { http2: true, ca: s.ca });
  await openEcho(ws, s.nextPeer());
  s.sessions[0]!.goaway(http2.constants.NGHTTP2_INTERNAL_ERROR);
  t.is((await closed(ws))[0], 1006);
  const again = new WebSocket(s.url, { http2: true, ca: s.ca });
  await openEcho(again, s.nextPeer());
  t.is(s.connections.opened, 2, 'the failed session left the pool');
  again.terminate();
});

test('a user-supplied http2Session is used and never closed by the client', async (t) => {
  const s = await h2Server(t, { secure: false });
  const session = http2.connect(`http://127.0.0.1:${s.port}`);
  t.teardown(() => session.destroy());
  const ws = new WebSocket(s.url, { http2Session: session });
  const p = await openEcho(ws, s.nextPeer());
  t.is(p.headers[':scheme'], 'http');
  ws.close();
  await closed(ws);
  await new Promise((r) => setTimeout(r, 50));
  t.false(session.closed);
  t.false(session.destroyed);
  const again = new WebSocket(s.url, { http2Session: session });
  await openEcho(again, s.nextPeer());
  t.is(s.connections.opened, 1);
  again.terminate();
});

test('a user session whose SETTINGS arrived long ago is still checked (no hang)', async (t) => {
  const s = await h2Server(t, { secure: false, connect: false });
  const session = http2.connect(`http://127.0.0.1:${s.port}`);
  t.teardown(() => session.destroy());
  await once(session, 'remoteSettings');
  await new Promise((r) => setTimeout(r, 50));
  const ws = new WebSocket(s.url, { http2Session: session });
  const events = outcome(ws);
  await closed(ws, 2000);
  t.regex(events[0]!, /does not support WebSockets over HTTP\/2/);
});

test('the pooled session does not keep the process alive after the last WebSocket closes', async (t) => {
  const s = await h2Server(t, { secure: false });
  const script = `
    const WebSocket = require(${JSON.stringify(new URL('../dist/index.js', import.meta.url).pathname)});
    const ws = new WebSocket(${JSON.stringify(s.url)}, { http2: true });
    ws.on('open', () => ws.send('x'));
    ws.on('message', () => ws.close(1000));
    ws.on('close', (code) => console.log('closed', code));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  void echo(await s.nextPeer()).catch(() => {});
  const timer = setTimeout(() => child.kill(), 8000);
  const [exitCode, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  t.is(signal, null, 'exited on its own');
  t.is(exitCode, 0);
  t.is(out.trim(), 'closed 1000');
});

test('WebSocketStream accepts { http2: true }', async (t) => {
  const s = await h2Server(t);
  const wss = new WebSocketStream(s.url, { http2: true, ca: s.ca, protocols: ['p'] });
  const p = await s.nextPeer();
  void echo(p).catch(() => {});
  const opened = await settle(wss.opened);
  if (!opened.ok) return t.fail(opened.error.message);
  t.is(opened.value.protocol, 'p');
  t.is(p.headers[':protocol'], 'websocket');
  const writer = opened.value.writable.getWriter();
  const reader = opened.value.readable.getReader();
  await writer.write('through h2');
  t.is((await reader.read()).value, 'through h2');
  wss.close({ closeCode: 1000 });
  t.is((await wss.closed).closeCode, 1000);
});

test('an invalid http2 value throws synchronously', (t) => {
  const err = t.throws(() => new WebSocket('ws://127.0.0.1:1', { http2: 'yes' as never })) as Err;
  t.true(err instanceof TypeError);
});

test("h2c to an HTTP/1.1-only server: http2: true fails clearly, 'auto' does the HTTP/1.1 upgrade", async (t) => {
  const wss = new RealWs.WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  wss.on('connection', (c) => c.send('h1'));
  t.teardown(() => new Promise<void>((resolve) => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => resolve());
  }));
  const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  const strict = new WebSocket(url, { http2: true });
  const events = outcome(strict);
  await closed(strict);
  t.deepEqual(events, ['error:The server does not support WebSockets over HTTP/2 (it did not answer the HTTP/2 connection preface)', 'close:1006']);
  const auto = new WebSocket(url, { http2: 'auto' });
  const [data] = await next<[Buffer]>(auto, 'message');
  t.is(data.toString(), 'h1');
  auto.terminate();
});

test('a GOAWAY without error: open WebSockets keep working, new ones use a new session', async (t) => {
  const s = await h2Server(t);
  const a = new WebSocket(s.url, { http2: true, ca: s.ca });
  await openEcho(a, s.nextPeer());
  s.sessions[0]!.goaway(http2.constants.NGHTTP2_NO_ERROR);
  await new Promise((r) => setTimeout(r, 100));
  a.send('after goaway');
  t.is((await next<[Buffer]>(a, 'message'))[0].toString(), 'after goaway');
  const b = new WebSocket(s.url, { http2: true, ca: s.ca });
  await openEcho(b, s.nextPeer());
  t.is(s.connections.opened, 2);
  a.close(1000);
  t.is((await closed(a))[0], 1000);
  b.terminate();
});
