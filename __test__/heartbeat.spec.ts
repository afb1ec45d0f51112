/**
 * The server's `heartbeat` option (production hardening, item 4): every open connection is pinged
 * each `interval`; one that leaves a ping unanswered for `timeout` is terminated. Both transports:
 * the native driver (`port` mode, timed in Rust) and JavaScript-owned TLS sockets (an
 * `https.Server`, one shared timer).
 */
import test, { type ExecutionContext } from 'ava';
import { createHook } from 'node:async_hooks';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { delay, next, rawUpgrade, RawPeer, WebSocket, WebSocketServer, type ServerT, type WebSocketT } from './helpers.ts';
import { closeAll, isNative, nextConnection, selfSignedCert, serve, upgradeRequest } from './helpers-server.ts';
import { h2Connect, h2Server, h2Session } from './helpers-http2.ts';

interface Setup {
  wss: ServerT;
  /** A raw peer that completed the upgrade (and never answers anything by itself). */
  raw(): Promise<RawPeer>;
  /** A ferrows client, which answers pings automatically. */
  client(): Promise<WebSocketT>;
}

const { key, cert } = selfSignedCert();

async function nativeSetup(t: ExecutionContext, options: Record<string, unknown>): Promise<Setup> {
  const { wss, port, url } = await serve(t, options);
  return {
    wss,
    raw: async () => (await rawUpgrade(port)).peer,
    client: () => open(t, new WebSocket(url)),
  };
}

async function tlsSetup(t: ExecutionContext, options: Record<string, unknown>): Promise<Setup> {
  const server = https.createServer({ key, cert });
  const wss = new WebSocketServer({ server, ...options });
  t.teardown(async () => {
    await closeAll(wss);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    wss,
    raw: async () => {
      const socket = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
      await once(socket, 'secureConnect');
      const peer = new RawPeer(socket);
      socket.write(upgradeRequest(port));
      await peer.readHead();
      return peer;
    },
    client: () => open(t, new WebSocket(`wss://127.0.0.1:${port}`, { ca: cert, servername: 'localhost' })),
  };
}

async function open(t: ExecutionContext, ws: WebSocketT): Promise<WebSocketT> {
  t.teardown(() => ws.terminate());
  await next(ws, 'open');
  return ws;
}

const transports = [
  ['native', nativeSetup, true],
  ['TLS', tlsSetup, false],
] as const;

/**
 * `Timeout` objects alive in this process, unreferenced ones included (which
 * `process.getActiveResourcesInfo()` leaves out), tracked from their async_hooks init to destroy.
 */
const liveTimers = new Set<number>();
createHook({
  init: (id, type) => void (type === 'Timeout' && liveTimers.add(id)),
  destroy: (id) => void liveTimers.delete(id),
}).enable();
const timers = (): number => liveTimers.size;

for (const [name, setup, native] of transports) {
  test(`a peer that never answers gets one empty ping, then is terminated after the timeout (${name})`, async (t) => {
    const { wss, raw } = await setup(t, { heartbeat: { interval: 200, timeout: 300 } });
    const accepted = nextConnection(wss);
    const peer = await raw();
    const [ws] = await accepted;
    t.is(isNative(ws), native);
    const opened = performance.now();
    const closed = next(ws, 'close', 5000);
    const ping = await peer.readFrame(3000);
    const pinged = performance.now() - opened;
    t.deepEqual([ping.fin, ping.opcode, ping.masked, ping.payload.length], [true, 0x9, false, 0]);
    t.true(pinged >= 150, `pinged after ${pinged.toFixed(0)} ms, interval 200`);
    const [code] = await closed;
    const after = performance.now() - opened - pinged;
    t.is(code, 1006);
    t.true(after >= 250, `terminated ${after.toFixed(0)} ms after the ping, timeout 300`);
    t.is((await peer.readToEnd()).length, 0, 'no second ping, no close frame: the socket is destroyed');
    t.is(wss.clients.size, 0);
  });

  test(`a peer that answers stays connected across many pings and keeps talking (${name})`, async (t) => {
    const { wss, client } = await setup(t, { heartbeat: { interval: 50, timeout: 150 } });
    const accepted = nextConnection(wss);
    const ws = await client();
    const [server] = await accepted;
    let pings = 0;
    ws.on('ping', () => pings++);
    let closed = false;
    server.on('close', () => (closed = true));
    const started = performance.now();
    while (pings < 8 && performance.now() - started < 10_000) await delay(20);
    t.true(pings >= 8, `${pings} pings`);
    server.on('message', (data: Buffer) => server.send(data));
    ws.send('still here');
    const [echoed] = await next(ws, 'message');
    t.is(String(echoed), 'still here');
    t.false(closed);
    t.is(server.readyState, WebSocket.OPEN);
  });

  // Serial: other tests' timers would blur the counts. A TLS connection has timers of its own
  // (Node's), so the count with the heartbeat is compared with the same 40 connections without.
  test.serial(`the heartbeat adds no JavaScript timer per connection; 40 silent peers are all dropped (${name})`, async (t) => {
    const plain = await setup(t, {});
    // Long enough for 40 TLS handshakes on a loaded machine: all are open when the timers are counted.
    const beating = await setup(t, { heartbeat: { interval: 2000, timeout: 1000 } });
    const grow = async (wss: ServerT, raw: () => Promise<RawPeer>): Promise<[number, RawPeer[]]> => {
      await delay(50);
      const before = timers();
      const peers: RawPeer[] = [];
      for (let i = 0; i < 40; i++) peers.push(await raw());
      for (let i = 0; wss.clients.size < 40 && i < 2000; i++) await delay(5);
      t.is(wss.clients.size, 40, 'all 40 are open at once');
      return [timers() - before, peers];
    };
    const [without, idle] = await grow(plain.wss, plain.raw);
    for (const peer of idle) peer.socket.destroy();
    for (let i = 0; plain.wss.clients.size > 0 && i < 2000; i++) await delay(5);
    await delay(50);
    const before = timers();
    const [withBeat, peers] = await grow(beating.wss, beating.raw);
    t.true(withBeat <= without + (native ? 0 : 1), `40 connections add ${withBeat} timers with the heartbeat, ${without} without`);
    const closes = [...beating.wss.clients].map((ws) => next(ws, 'close', 5000));
    const codes = (await Promise.all(closes)).map(([code]) => code);
    t.deepEqual(new Set(codes), new Set([1006]));
    await Promise.all(peers.map((peer) => peer.waitClosed()));
    await delay(50);
    t.is(timers(), before, 'the shared timer stops with the last connection');
  });
}

test('over HTTP/2 a silent peer is pinged on its stream, then the stream is cancelled (RST_STREAM CANCEL)', async (t) => {
  const setup = await h2Server(t, { tls: true, wssOptions: { heartbeat: { interval: 200, timeout: 300 } } });
  const session = await h2Session(t, setup);
  const accepted = nextConnection(setup.wss);
  const peer = await h2Connect(session);
  t.is(peer.status, 200);
  const [ws] = await accepted;
  const closed = next(ws, 'close', 5000);
  const ping = await peer.peer.readFrame(3000);
  t.deepEqual([ping.opcode, ping.payload.length], [0x9, 0]);
  t.is((await closed)[0], 1006);
  t.is(await peer.closed, http2.constants.NGHTTP2_CANCEL);
  t.false(session.destroyed, 'only the stream ends, not the session');
});

test('off by default: no ping reaches a silent peer', async (t) => {
  const { raw } = await nativeSetup(t, {});
  const peer = await raw();
  await t.throwsAsync(peer.readFrame(700));
});

test('the heartbeat option is validated', (t) => {
  const make = (heartbeat: unknown) => new WebSocketServer({ noServer: true, heartbeat } as never);
  for (const bad of [{ interval: 0 }, { interval: 1.5 }, { interval: -1 }, { interval: 100, timeout: 0 }, { timeout: 100 }, 30_000, 'x', { interval: 2 ** 31 }]) {
    t.throws(() => make(bad), { instanceOf: TypeError, message: /"heartbeat" option/ }, JSON.stringify(bad));
  }
  for (const good of [undefined, null, { interval: 1 }, { interval: 30_000, timeout: 5_000 }]) {
    t.notThrows(() => make(good), JSON.stringify(good));
  }
});
