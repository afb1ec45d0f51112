/**
 * Many WebSockets on one HTTP/2 connection (RFC 8441 §1.4 of `../shared/spec/h2-h3.md`): they
 * multiplex, flow control carries large messages through small windows, and a stalled WebSocket
 * — paused by the server or unread by the peer — never blocks the other streams.
 */
import test from 'ava';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import { closePayload, frame, next, type WebSocketT } from './helpers.ts';
import { echoOn, h2Connect, h2Server, h2Session, type H2Peer } from './helpers-http2.ts';

/** One echo on `peer`, checked. */
async function roundTrip(peer: H2Peer['peer'], text: string): Promise<string> {
  peer.write(frame(1, text));
  return (await peer.readFrame(10_000)).payload.toString();
}

test('1,000 WebSockets multiplexed on one connection all echo, then all close', async (t) => {
  const setup = await h2Server(t);
  echoOn(setup.wss);
  const session = await h2Session(t, setup);
  const peers = await Promise.all(Array.from({ length: 1000 }, () => h2Connect(session)));
  t.true(peers.every((p) => p.status === 200));
  t.is(setup.wss.clients.size, 1000);
  const replies = await Promise.all(peers.map((p, i) => roundTrip(p.peer, `n${i}`)));
  t.deepEqual(replies, peers.map((_, i) => `n${i}`));
  for (const p of peers) p.peer.write(frame(8, closePayload(1000)));
  for (const p of peers) {
    await p.peer.readClose(10_000);
    p.stream.end();
  }
  t.deepEqual(new Set(await Promise.all(peers.map((p) => p.closed))), new Set([0]));
  const deadline = Date.now() + 10_000;
  while (setup.wss.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.is(setup.wss.clients.size, 0);
  t.false(session.closed);
});

test('a paused WebSocket under a flood of tiny DATA frames keeps the connection alive and gets every message', async (t) => {
  const setup = await h2Server(t);
  const sockets: WebSocketT[] = [];
  setup.wss.on('connection', (ws: WebSocketT) => {
    sockets.push(ws);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (ws === sockets[1]) ws.send(data, { binary: isBinary });
    });
  });
  const session = await h2Session(t, setup);
  const flooded = await h2Connect(session);
  const other = await h2Connect(session);
  const paused = sockets[0]!;
  paused.pause();
  const got: string[] = [];
  paused.on('message', (data: Buffer) => got.push(data.toString()));
  for (let i = 0; i < 5000; i++) flooded.stream.write(frame(1, String(i)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(got.length, 0, 'nothing is delivered while paused');
  t.is(await roundTrip(other.peer, 'still served'), 'still served');
  t.false(session.closed);
  paused.resume();
  const deadline = Date.now() + 10_000;
  while (got.length < 5000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.is(got.length, 5000);
  t.true(got.every((text, i) => text === String(i)), 'in order');
});

test('a 16 MiB message crosses 16 KiB flow-control windows both ways', async (t) => {
  const settings = { initialWindowSize: 16 * 1024 };
  const setup = await h2Server(t, { serverOptions: { settings } });
  echoOn(setup.wss);
  const session = await h2Session(t, setup, { settings });
  const { peer } = await h2Connect(session);
  const payload = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < payload.length; i += 4096) payload.writeUInt32LE(i, i);
  peer.write(frame(2, payload));
  const echoed = await peer.readFrame(30_000);
  t.is(echoed.opcode, 2);
  t.true(echoed.payload.equals(payload));
});

test('a peer that stops reading one WebSocket does not block the others on its connection', async (t) => {
  const setup = await h2Server(t);
  const sockets: WebSocketT[] = [];
  setup.wss.on('connection', (ws: WebSocketT) => {
    sockets.push(ws);
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  const session = await h2Session(t, setup);
  const stalled = await h2Connect(session);
  const other = await h2Connect(session);
  stalled.stream.pause();
  const big = Buffer.alloc(1024 * 1024, 3);
  for (let i = 0; i < 8; i++) sockets[0]!.send(big);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.true(sockets[0]!.bufferedAmount > 4 * 1024 * 1024, 'the stalled stream holds its data');
  for (let i = 0; i < 20; i++) t.is(await roundTrip(other.peer, `ping ${i}`), `ping ${i}`);
  stalled.stream.resume();
  let bytes = 0;
  for (let i = 0; i < 8; i++) bytes += (await stalled.peer.readFrame(30_000)).payload.length;
  t.is(bytes, 8 * big.length);
});

test('a WebSocket the server paused does not block the others while its peer keeps writing', async (t) => {
  const setup = await h2Server(t);
  const sockets: WebSocketT[] = [];
  setup.wss.on('connection', (ws: WebSocketT) => {
    sockets.push(ws);
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  const session = await h2Session(t, setup);
  const flooding = await h2Connect(session);
  const other = await h2Connect(session);
  sockets[0]!.pause();
  const chunk = frame(2, Buffer.alloc(256 * 1024, 9));
  for (let i = 0; i < 16; i++) flooding.stream.write(chunk);
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (let i = 0; i < 20; i++) t.is(await roundTrip(other.peer, `ping ${i}`), `ping ${i}`);
  sockets[0]!.resume();
  for (let i = 0; i < 16; i++) t.is((await flooding.peer.readFrame(30_000)).payload.length, 256 * 1024);
});

test('GOAWAY: open WebSockets keep working, new ones are refused', async (t) => {
  const setup = await h2Server(t);
  echoOn(setup.wss);
  const connected = next<[WebSocketT, http2.Http2ServerRequest]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const open = await h2Connect(session);
  const [, req] = await connected;
  const goaway = once(session, 'goaway');
  req.stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, req.stream.id!);
  await goaway;
  t.is(await roundTrip(open.peer, 'after goaway'), 'after goaway');
  const error = t.throws(() => session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/', ':scheme': 'http', ':authority': 'x' }));
  t.regex(String((error as Error & { code?: string }).code), /ERR_HTTP2_GOAWAY_SESSION|ERR_HTTP2_INVALID_SESSION/);
  open.peer.write(frame(8, closePayload(1000)));
  t.is((await open.peer.readClose()).code, 1000);
});

// Serial: ava runs a file's other tests concurrently in this process, and their 16 MiB messages
// would show in this test's RSS.
test.serial('1,000 WebSockets reset mid-message leave no stream, WebSocket or memory behind', async (t) => {
  const setup = await h2Server(t);
  let opened = 0;
  let closed1006 = 0;
  const serverStreams = new Set<http2.ServerHttp2Stream>();
  setup.server.on('stream', (stream: http2.ServerHttp2Stream) => {
    serverStreams.add(stream);
    stream.on('close', () => serverStreams.delete(stream));
  });
  setup.wss.on('connection', (ws: WebSocketT) => {
    opened++;
    ws.on('close', (code: number) => {
      if (code === 1006) closed1006++;
    });
  });
  const session = await h2Session(t, setup);
  let before = 0;
  for (let round = 0; round < 10; round++) {
    // After a warm-up round, a leaked 150 KB partial message per WebSocket would add 135 MB; RSS
    // itself moves by up to ~45 MB between runs (V8 heap growth, allocator caches).
    if (round === 1) before = process.memoryUsage().rss;
    const peers = await Promise.all(Array.from({ length: 100 }, () => h2Connect(session)));
    const partial = frame(2, Buffer.alloc(300_000, 5)).subarray(0, 150_000);
    for (const p of peers) p.stream.write(partial);
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const p of peers) p.stream.close(http2.constants.NGHTTP2_CANCEL);
    await Promise.all(peers.map((p) => p.closed));
  }
  const deadline = Date.now() + 10_000;
  while ((closed1006 < 1000 || serverStreams.size > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.is(opened, 1000);
  t.is(closed1006, 1000);
  t.is(serverStreams.size, 0);
  t.is(setup.wss.clients.size, 0);
  t.false(session.closed);
  const grown = process.memoryUsage().rss - before;
  t.log(`RSS grew ${(grown / 1024 / 1024).toFixed(1)} MiB over 900 reset WebSockets`);
  t.true(grown < 80 * 1024 * 1024, 'no per-WebSocket retention');
});
