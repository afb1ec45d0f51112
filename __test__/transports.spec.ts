/**
 * Transports: plain TCP upgrades are adopted by the native driver (server mode and handleUpgrade),
 * anything else (TLS, an in-memory Duplex) stays a JavaScript stream over the same engine.
 */
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { closePayload, delay, frame, messages, next, rawUpgrade, WebSocket, WebSocketServer, type ServerT, type WebSocketT } from './helpers.ts';
import { duplexPair, isNative, selfSignedCert, socketOf } from './helpers-transports.ts';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RealWs = require('ws') as typeof import('ws');

type AnyWs = { on(e: string, f: (...a: never[]) => void): unknown; send(d: unknown, o?: object): void; close(c?: number, r?: string): void };

function echo(ws: WebSocketT): void {
  ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
}

/** An http(s) server with a plain route, a ferrows server in `server` mode, listening on loopback. */
async function hostServer(
  t: ExecutionContext,
  secure: boolean,
  options: Record<string, unknown> = {},
): Promise<{ server: http.Server; wss: ServerT; port: number; conns: { ws: WebSocketT; req: http.IncomingMessage }[] }> {
  const route = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`route ${req.url}`);
  };
  const server = secure ? https.createServer(selfSignedCert(), route) : http.createServer(route);
  const wss = new WebSocketServer({ server, ...options });
  const conns: { ws: WebSocketT; req: http.IncomingMessage }[] = [];
  wss.on('connection', (ws: WebSocketT, req: http.IncomingMessage) => {
    conns.push({ ws, req });
    echo(ws);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => closeAll(server, wss));
  return { server, wss, port: (server.address() as AddressInfo).port, conns };
}

/** Terminates every connection and closes both servers; safe to call twice. */
async function closeAll(server: http.Server, wss: ServerT): Promise<void> {
  for (const client of wss.clients!) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function get(port: number, path: string, secure = false): Promise<{ status: number; body: string }> {
  const request = secure ? https.request : http.request;
  const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false });
  req.end();
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return { status: res.statusCode!, body };
}

test('server mode adopts a plain TCP upgrade natively, destroys the Node socket without FIN, and keeps addresses', async (t) => {
  const { port, conns } = await hostServer(t, false);
  const { peer, head } = await rawUpgrade(port, { path: '/chat' });
  t.regex(head, /^HTTP\/1\.1 101 /);
  t.is(conns.length, 1);
  const { ws, req } = conns[0]!;
  t.true(isNative(ws));
  t.true(req.socket.destroyed, 'the original Node socket is destroyed once adopted');
  await delay(150);
  t.false(peer.ended, 'the client saw no FIN from the destroyed Node socket');
  const s = socketOf(ws);
  t.is(s.remoteAddress, peer.socket.localAddress);
  t.is(s.remotePort, peer.socket.localPort);
  t.is(s.localAddress, peer.socket.remoteAddress);
  t.is(s.localPort, peer.socket.remotePort);
  peer.write(frame(1, 'still here'));
  const echoed = await peer.readFrame();
  t.is(echoed.opcode, 1);
  t.false(echoed.masked);
  t.is(echoed.payload.toString(), 'still here');
  const closed = next<[number, Buffer]>(ws, 'close');
  peer.write(frame(8, closePayload(1000, 'done')));
  t.deepEqual(await peer.readClose(), { code: 1000, reason: 'done' });
  await peer.waitClosed();
  const [code, reason] = await closed;
  t.is(code, 1000);
  t.is(reason.toString(), 'done');
});

test('other HTTP routes on the same server keep working while adopted WebSockets are open', async (t) => {
  const { port } = await hostServer(t, false);
  const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await next(client, 'open');
  t.deepEqual(await get(port, '/a'), { status: 200, body: 'route /a' });
  const got = messages(client, 1);
  client.send('between requests');
  t.is((await got)[0]![0].toString(), 'between requests');
  t.deepEqual(await get(port, '/b?x=1'), { status: 200, body: 'route /b?x=1' });
  client.close();
  await next(client, 'close');
});

test('wss.close() in server mode leaves adopted connections open and emits close after the last one', async (t) => {
  const { wss, port } = await hostServer(t, false);
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await next(client, 'open');
  let wssClosed = false;
  wss.close(() => (wssClosed = true));
  await delay(100);
  t.false(wssClosed);
  t.is(wss.clients!.size, 1);
  const got = messages(client, 1);
  client.send('after wss.close');
  t.is((await got)[0]![0].toString(), 'after wss.close');
  t.deepEqual(await get(port, '/still-listening'), { status: 200, body: 'route /still-listening' });
  client.close(1000);
  await next(client, 'close');
  await delay(50);
  t.true(wssClosed);
  t.is(wss.clients!.size, 0);
});

test('http server.close() waits for adopted WebSocket connections, as it does for ws', async (t) => {
  const { server, port } = await hostServer(t, false);
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await next(client, 'open');
  let httpClosed = false;
  server.close(() => (httpClosed = true));
  await delay(150);
  t.false(httpClosed, 'server.close() callback fired while a WebSocket connection was still open');
  const got = messages(client, 1);
  client.send('ping through closing server');
  t.is((await got)[0]![0].toString(), 'ping through closing server');
  client.close();
  await next(client, 'close');
  const deadline = Date.now() + 2000;
  while (!httpClosed && Date.now() < deadline) await delay(10);
  t.true(httpClosed);
});

test('handleUpgrade in noServer mode adopts a plain TCP socket and parses the head bytes', async (t) => {
  const wss = new WebSocketServer({ noServer: true });
  const server = http.createServer();
  const seen: WebSocketT[] = [];
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws: WebSocketT) => {
      seen.push(ws);
      echo(ws);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => closeAll(server, wss));
  const port = (server.address() as AddressInfo).port;
  const { peer, head } = await rawUpgrade(port, { extra: frame(2, Buffer.from([9, 8, 7])) });
  t.regex(head, /^HTTP\/1\.1 101 /);
  t.true(isNative(seen[0]));
  const first = await peer.readFrame();
  t.is(first.opcode, 2);
  t.deepEqual([...first.payload], [9, 8, 7]);
  peer.write(frame(8, closePayload(1001)));
  t.is((await peer.readClose()).code, 1001);
  await peer.waitClosed();
});

/** A client (ours or ws) connected to a noServer ferrows server over an in-memory Duplex pair. */
async function overDuplex(
  t: ExecutionContext,
  Client: new (url: string, opts: object) => AnyWs,
): Promise<{ client: AnyWs; server: WebSocketT; sides: [Duplex, Duplex] }> {
  const wss = new WebSocketServer({ noServer: true });
  const http1 = http.createServer();
  const sides = duplexPair();
  t.teardown(() => {
    for (const side of sides) side.destroy();
  });
  const accepted = new Promise<WebSocketT>((resolve) => {
    http1.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      wss.handleUpgrade(req, socket, head, (ws: WebSocketT) => resolve(ws));
    });
  });
  http1.emit('connection', sides[1]);
  const client = new Client('ws://in-memory.test/pair', { createConnection: () => sides[0], perMessageDeflate: false });
  const opened = next(client as never, 'open');
  const server = await accepted;
  await opened;
  return { client, server, sides };
}

for (const [name, Client] of [
  ['our client', WebSocket],
  ['a ws client', RealWs],
] as const) {
  test(`a Duplex pair handed to handleUpgrade stays JavaScript and echoes with ${name}`, async (t) => {
    const { client, server, sides } = await overDuplex(t, Client as never);
    t.false(isNative(server));
    t.is(socketOf(server), sides[1] as never);
    if (Client === WebSocket) t.false(isNative(client));
    const atServer: [string, boolean][] = [];
    server.on('message', (d: Buffer, b: boolean) => atServer.push([b ? d.toString('hex') : d.toString(), b]));
    const atClient = messages(client as never, 3);
    const serverGot = new Promise<void>((resolve) => server.on('message', () => atServer.length === 2 && resolve()));
    client.send('frag-', { fin: false });
    client.send('mént', { fin: true });
    client.send(Buffer.from([0, 255, 1]), { binary: true });
    await serverGot;
    t.deepEqual(atServer, [
      ['frag-mént', false],
      ['00ff01', true],
    ]);
    server.send(Buffer.from([1, 2]), { binary: true, fin: false });
    server.send(Buffer.from([3]), { binary: true, fin: true });
    server.send('wörld');
    server.send(Buffer.alloc(70000, 7));
    const got = await atClient;
    t.deepEqual([...got[0]![0]], [1, 2, 3]);
    t.true(got[0]![1]);
    t.is(got[1]![0].toString(), 'wörld');
    t.false(got[1]![1]);
    t.true(Buffer.alloc(70000, 7).equals(got[2]![0]));
    const serverClosed = next<[number, Buffer]>(server, 'close');
    const clientClosed = next<[number, Buffer]>(client as never, 'close');
    client.close(4000, 'done');
    const [sc, sr] = await serverClosed;
    const [cc, cr] = await clientClosed;
    t.deepEqual([sc, sr.toString(), cc, cr.toString()], [4000, 'done', 4000, 'done']);
    await delay(20);
    t.true(sides[0].destroyed && sides[1].destroyed);
  });
}

for (const [name, Client] of [
  ['our client', WebSocket],
  ['a ws client', RealWs],
] as const) {
  test(`TLS server mode stays JavaScript and carries 1 MiB and many small messages with deflate for ${name}`, async (t) => {
    const { port, conns } = await hostServer(t, true, { perMessageDeflate: true });
    const client = new (Client as unknown as new (u: string, o: object) => WebSocketT)(`wss://127.0.0.1:${port}/tls`, {
      rejectUnauthorized: false,
    });
    await next(client, 'open');
    t.false(isNative(conns[0]!.ws));
    t.true(socketOf(conns[0]!.ws) instanceof tls.TLSSocket, 'ws._socket is the TLS socket itself');
    if (Client === WebSocket) t.false(isNative(client));
    t.regex(client.extensions, /^permessage-deflate/);
    t.regex(conns[0]!.ws.extensions, /^permessage-deflate/);
    const big = randomBytes(1 << 20);
    const bigText = 'ünïcode 😀 '.repeat(80000);
    const small = Array.from({ length: 500 }, (_, i) => `m${i}`);
    const got = messages(client, 502, 20000);
    client.send(big);
    client.send(bigText);
    for (const m of small) client.send(m);
    const all = await got;
    t.true(all[0]![1]);
    t.true(big.equals(all[0]![0]));
    t.is(all[1]![0].toString(), bigText);
    t.deepEqual(
      all.slice(2).map(([d]) => d.toString()),
      small,
    );
    const serverClosed = next<[number, Buffer]>(conns[0]!.ws, 'close');
    const clientClosed = next<[number, Buffer]>(client, 'close');
    client.close(1000, 'tls done');
    t.deepEqual((await serverClosed).map(String), ['1000', 'tls done']);
    t.deepEqual((await clientClosed).map(String), ['1000', 'tls done']);
    t.deepEqual(await get(port, '/over-tls', true), { status: 200, body: 'route /over-tls' });
  });
}

test('TLS server-initiated close reaches the client with its code', async (t) => {
  const { port, conns } = await hostServer(t, true);
  const client = new WebSocket(`wss://127.0.0.1:${port}`, { rejectUnauthorized: false });
  await next(client, 'open');
  const closed = next<[number, Buffer]>(client, 'close');
  conns[0]!.ws.close(4002, 'server says bye');
  const [code, reason] = await closed;
  t.is(code, 4002);
  t.is(reason.toString(), 'server says bye');
});

test('our client uses the native path over ws:// and the JavaScript path over wss://', async (t) => {
  const plain = await hostServer(t, false);
  const secure = await hostServer(t, true);
  const a = new WebSocket(`ws://127.0.0.1:${plain.port}`);
  const b = new WebSocket(`wss://127.0.0.1:${secure.port}`, { rejectUnauthorized: false });
  await Promise.all([next(a, 'open'), next(b, 'open')]);
  t.true(isNative(a));
  t.true(isNative(plain.conns[0]!.ws));
  t.false(isNative(b));
  t.false(isNative(secure.conns[0]!.ws));
  t.is((socketOf(a) as { remotePort?: number }).remotePort, plain.port);
  const ga = messages(a, 1);
  const gb = messages(b, 1);
  a.send('plain');
  b.send('secure');
  t.is((await ga)[0]![0].toString(), 'plain');
  t.is((await gb)[0]![0].toString(), 'secure');
  a.close();
  b.close();
  await Promise.all([next(a, 'close'), next(b, 'close')]);
});
