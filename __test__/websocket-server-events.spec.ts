/**
 * WebSocketServer events and methods (ws-api.md §2.2–2.3: SE1–SE6, SM1–SM5): connection and
 * headers arguments, wsClientError, close() semantics, handleUpgrade over TCP and over any Duplex.
 */
import test from 'ava';
import { once } from 'node:events';
import * as http from 'node:http';
import { connect, Socket as NetSocket, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptFor, delay, next, rawUpgrade, shutdown, WebSocketServer, type ServerT, type WebSocketT } from './helpers.ts';
import {
  duplexPair,
  echo,
  exchange,
  isNative,
  nextConnection,
  openRealClient,
  RealWebSocket,
  rejectFor,
  serve,
  stillServes,
  upgradeRequest,
} from './helpers-server.ts';

const closeServer = (wss: ServerT): Promise<Error | undefined> => new Promise((resolve) => wss.close((err) => resolve(err)));

/** An external HTTP server on an ephemeral port, closed at teardown. */
async function httpServer(t: { teardown(fn: () => void): void }): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer();
  t.teardown(() => void server.close());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

test("'connection' gets the WebSocket and the IncomingMessage of the upgrade", async (t) => {
  const { wss, port } = await serve(t);
  const connected = nextConnection(wss);
  const { peer } = await rawUpgrade(port, { path: '/room/1?x=y', headers: { 'X-Custom': 'hello' } });
  const [ws, req] = await connected;
  t.true(req instanceof http.IncomingMessage);
  t.is(req.url, '/room/1?x=y');
  t.is(req.method, 'GET');
  t.is(req.headers['x-custom'], 'hello');
  t.is(req.headers.upgrade, 'websocket');
  t.is(ws.readyState, 1);
  t.true(isNative(ws), 'plain TCP is adopted by the native driver');
  peer.socket.destroy();
  await shutdown(wss);
});

test("'headers' lists the 101 lines before they are written, and edits reach the wire", async (t) => {
  const { wss, port } = await serve(t);
  let seen: string[] = [];
  wss.on('headers', (headers: string[], req: http.IncomingMessage) => {
    t.true(req instanceof http.IncomingMessage);
    seen = [...headers];
    headers.push('Set-Cookie: a=1');
    headers[1] = 'Upgrade: WebSocket';
  });
  const { peer, head, key } = await rawUpgrade(port, { headers: { 'Sec-WebSocket-Protocol': 'chat' } });
  t.deepEqual(seen, [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptFor(key)}`,
    'Sec-WebSocket-Protocol: chat',
  ]);
  t.is(
    head,
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: WebSocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${acceptFor(key)}`,
      'Sec-WebSocket-Protocol: chat',
      'Set-Cookie: a=1',
    ].join('\r\n'),
  );
  peer.socket.destroy();
  await shutdown(wss);
});

const clientErrorCases: [string, Parameters<typeof upgradeRequest>[1], string][] = [
  ['method', { method: 'POST' }, 'Invalid HTTP method'],
  ['Upgrade', { headers: { Upgrade: 'h2c' } }, 'Invalid Upgrade header'],
  ['key', { headers: { 'Sec-WebSocket-Key': 'short' } }, 'Missing or invalid Sec-WebSocket-Key header'],
  ['version', { headers: { 'Sec-WebSocket-Version': '12' } }, 'Missing or invalid Sec-WebSocket-Version header'],
  ['protocol', { headers: { 'Sec-WebSocket-Protocol': 'a,,b' } }, 'Invalid Sec-WebSocket-Protocol header'],
  ['extensions', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=7' } }, 'Invalid or unacceptable Sec-WebSocket-Extensions header'],
];

for (const [what, request, message] of clientErrorCases) {
  test(`wsClientError for a bad ${what}: error message, raw socket and request, and ws writes nothing`, async (t) => {
    const { wss, port } = await serve(t, { perMessageDeflate: true });
    wss.on('connection', () => t.fail('unexpected connection'));
    const emitted = next<[Error, Duplex, http.IncomingMessage]>(wss, 'wsClientError');
    wss.on('wsClientError', (_err: Error, socket: Duplex) => socket.end('HTTP/1.1 418 I\'m a Teapot\r\nConnection: close\r\n\r\n'));
    const res = await rejectFor(port, request);
    const [err, socket, req] = await emitted;
    t.true(err instanceof Error);
    t.is(err.message, message);
    t.true(req instanceof http.IncomingMessage);
    t.true(socket instanceof NetSocket, 'the raw TCP socket');
    t.is(res.raw, "HTTP/1.1 418 I'm a Teapot\r\nConnection: close\r\n\r\n", 'only what the listener wrote');
    await shutdown(wss);
  });
}

test('wsClientError is not emitted for verifyClient rejections or 503', async (t) => {
  const { server, port } = await httpServer(t);
  const wss = new WebSocketServer({ noServer: true, verifyClient: (info: { req: http.IncomingMessage }) => info.req.url !== '/deny' });
  const other = new WebSocketServer({ noServer: true });
  await closeServer(other);
  wss.on('wsClientError', () => t.fail('wsClientError'));
  other.on('wsClientError', () => t.fail('wsClientError'));
  server.on('upgrade', (req, socket, head) => (req.url === '/closed' ? other : wss).handleUpgrade(req, socket, head, () => t.fail('upgraded')));
  t.is((await rejectFor(port, { path: '/deny' })).status, 401);
  t.is((await rejectFor(port, { path: '/closed' })).status, 503);
  await closeServer(wss);
});

test('close(): existing connections stay open and keep working; close fires after the last client goes (port mode)', async (t) => {
  const { wss, url, port } = await serve(t);
  echo(wss);
  const connected = nextConnection(wss);
  const ws = await openRealClient(url);
  await connected;
  let closed = false;
  const done = closeServer(wss).then((err) => {
    closed = true;
    return err;
  });
  await delay(100);
  t.false(closed, "'close' must wait for the open connection");
  t.is(ws.readyState, RealWebSocket.OPEN);
  const reply = next<[Buffer]>(ws, 'message');
  ws.send('still here');
  t.is((await reply)[0].toString(), 'still here');
  await t.throwsAsync(rawUpgrade(port), undefined, 'no new connections after close()');
  ws.close(1000);
  t.is(await done, undefined);
  t.is(wss.clients!.size, 0);
});

for (const [label, options, js] of [
  ['clientTracking off', { clientTracking: false }, false],
  ['JS transport', {}, true],
] as const) {
  test.serial(`close() in port mode waits for upgraded connections (${label})`, async (t) => {
    if (js) process.env['FERROWS_NO_NATIVE'] = '1';
    try {
      const { wss, url } = await serve(t, options);
      const connected = nextConnection(wss);
      const ws = await openRealClient(url);
      const [serverWs] = await connected;
      t.is(isNative(serverWs), !js);
      let closed = false;
      const done = closeServer(wss).then(() => (closed = true));
      await delay(100);
      t.false(closed);
      ws.close();
      await done;
      t.true(closed);
    } finally {
      delete process.env['FERROWS_NO_NATIVE'];
    }
  });
}

test('close() with an external server emits close only when the last tracked client is gone', async (t) => {
  const { server, port } = await httpServer(t);
  const wss = new WebSocketServer({ server });
  echo(wss);
  const connected = nextConnection(wss);
  const ws = await openRealClient(`ws://127.0.0.1:${port}`);
  const [serverWs] = await connected;
  let closed = false;
  const done = closeServer(wss).then(() => (closed = true));
  await delay(50);
  t.false(closed);
  t.is(serverWs.readyState, 1);
  ws.close();
  await done;
  t.true(closed);
  t.true(server.listening);
});

test('close() in noServer mode without tracking emits close on the next tick', async (t) => {
  const wss = new WebSocketServer({ noServer: true, clientTracking: false });
  let fired = false;
  wss.on('close', () => (fired = true));
  wss.close();
  t.false(fired, 'not synchronously');
  await new Promise((resolve) => process.nextTick(resolve));
  t.true(fired);
});

test("close() on a closed server passes Error('The server is not running') and emits close again", async (t) => {
  const { wss } = await serve(t);
  t.is(await closeServer(wss), undefined);
  t.is(wss.address(), null);
  let events = 0;
  wss.on('close', () => events++);
  const err = await closeServer(wss);
  t.true(err instanceof Error);
  t.is(err!.message, 'The server is not running');
  t.is(events, 1);
});

test('close() called twice while closing runs both callbacks once', async (t) => {
  const { wss } = await serve(t);
  const results = await Promise.all([closeServer(wss), closeServer(wss)]);
  t.deepEqual(results, [undefined, undefined]);
});

test('handleUpgrade after close() answers 503 Service Unavailable', async (t) => {
  const { server, port } = await httpServer(t);
  const wss = new WebSocketServer({ noServer: true });
  await closeServer(wss);
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, () => t.fail('upgraded')));
  const res = await rejectFor(port);
  t.is(
    res.raw,
    'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 19\r\n\r\nService Unavailable',
  );
});

test('handleUpgrade works over any Duplex (in-memory pair, JS transport) with a full exchange', async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  const { clientSide, serverSide } = duplexPair();
  const upgraded = new Promise<[WebSocketT, Duplex]>((resolve) =>
    server.on('upgrade', (req, socket: Duplex, head) => wss.handleUpgrade(req, socket, head, (ws) => resolve([ws, socket]))),
  );
  server.emit('connection', serverSide);
  const client = new RealWebSocket('ws://in-memory.test/pair', { createConnection: () => clientSide as unknown as Socket });
  client.on('error', () => {});
  const opened = next(client, 'open');
  const [ws, socket] = await upgraded;
  await opened;
  t.is(socket, serverSide);
  t.false(isNative(ws), 'a Duplex stays on the JS transport');
  t.is(ws._socket, serverSide);
  ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(Buffer.concat([Buffer.from('echo:'), data]), { binary: isBinary }));
  const replies: string[] = [];
  client.on('message', (data: Buffer) => replies.push(data.toString()));
  client.send('one');
  client.send(Buffer.from('two'));
  const pinged = next<[Buffer]>(client, 'pong');
  client.ping('p');
  t.is((await pinged)[0].toString(), 'p');
  while (replies.length < 2) await delay(5);
  t.deepEqual(replies, ['echo:one', 'echo:two']);
  const serverClosed = next<[number, Buffer]>(ws, 'close');
  client.close(4000, 'bye');
  const [code, reason] = await next<[number, Buffer]>(client, 'close');
  t.is(code, 4000);
  t.is(reason.toString(), 'bye');
  const [serverCode, serverReason] = await serverClosed;
  t.is(serverCode, 4000);
  t.is(serverReason.toString(), 'bye');
  t.is(wss.clients!.size, 0);
  await closeServer(wss);
});

for (const transport of ['native', 'js'] as const) {
  test(`handleUpgrade twice with the same socket throws the misconfiguration error (${transport})`, async (t) => {
    const { server, port } = await httpServer(t);
    const wss = new WebSocketServer({ noServer: true });
    let thrown: unknown;
    server.on('upgrade', (req, tcp: Socket, head) => {
      let socket: Duplex = tcp;
      if (transport === 'js') {
        const { clientSide, serverSide } = duplexPair();
        tcp.pipe(clientSide).pipe(tcp);
        socket = serverSide;
      }
      wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (d: Buffer) => ws.send(d)));
      try {
        wss.handleUpgrade(req, socket, head, () => t.fail('second callback'));
      } catch (err) {
        thrown = err;
      }
    });
    const ws = await openRealClient(`ws://127.0.0.1:${port}`);
    t.true(thrown instanceof Error);
    t.is(
      (thrown as Error).message,
      'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
    );
    const got = next<[Buffer]>(ws, 'message');
    ws.send('first upgrade still works');
    t.is((await got)[0].toString(), 'first upgrade still works');
    ws.terminate();
    for (const client of wss.clients!) client.terminate();
    await closeServer(wss);
  });
}

test('a socket the peer half-closed before verifyClient answers is destroyed without a connection', async (t) => {
  const { server, port } = await httpServer(t);
  const wss = new WebSocketServer({
    server,
    verifyClient: (info: { req: http.IncomingMessage }, cb: (ok: boolean) => void) => {
      info.req.socket.once('end', () => cb(true));
    },
  });
  wss.on('connection', () => t.fail('unexpected connection'));
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await once(socket, 'connect');
  socket.end(upgradeRequest(port));
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close');
  t.is(Buffer.concat(chunks).length, 0, 'no response bytes');
  t.is(wss.clients!.size, 0);
  await closeServer(wss);
});

test('a socket error during the handshake destroys the socket', async (t) => {
  const { server, port } = await httpServer(t);
  const wss = new WebSocketServer({
    server,
    verifyClient: (info: { req: http.IncomingMessage }, cb: (ok: boolean) => void) => {
      const socket = info.req.socket;
      socket.emit('error', new Error('injected'));
      setImmediate(() => {
        t.true(socket.destroyed);
        cb(true);
      });
    },
  });
  wss.on('connection', () => t.fail('unexpected connection'));
  const res = await rejectFor(port);
  t.is(res.raw, '');
  await closeServer(wss);
});

test('shouldHandle can be overridden; false gets 400 and true upgrades', async (t) => {
  const { wss, port } = await serve(t, { path: '/ignored' });
  t.true(wss.shouldHandle({ url: '/ignored?q' } as http.IncomingMessage));
  t.false(wss.shouldHandle({ url: '/other' } as http.IncomingMessage));
  wss.shouldHandle = (req: http.IncomingMessage) => req.headers['x-allow'] === 'yes';
  echo(wss);
  const res = await rejectFor(port, { path: '/ignored' });
  t.is(res.statusLine, 'HTTP/1.1 400 Bad Request');
  const ok = await rawUpgrade(port, { path: '/anything', headers: { 'X-Allow': 'yes' } });
  t.regex(ok.head, /^HTTP\/1\.1 101 /);
  ok.peer.socket.destroy();
  t.is((await rejectFor(port, { path: '/anything' })).status, 400);
  await shutdown(wss);
});

test('the server keeps serving after a rejected handshake', async (t) => {
  const { wss, port, url } = await serve(t);
  echo(wss);
  t.is((await exchange(port, upgradeRequest(port, { method: 'PUT' }))).status, 405);
  t.is(await stillServes(url), 'ping?');
  await shutdown(wss);
});
