/**
 * WebSocketServer construction and options (ws-api.md §2.1, S1–S9 and S18–S21): how the server
 * binds, which options reach the handshake, and what the peer sees on the wire.
 */
import test from 'ava';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { delay, next, rawUpgrade, shutdown, WebSocket, WebSocketServer, type WebSocketT } from './helpers.ts';
import { echo, exchange, header, nextConnection, openRealClient, rejectFor, serve, stillServes } from './helpers-server.ts';

const ONE_OF = 'One and only one of the "port", "server", or "noServer" options must be specified';

test('constructor throws TypeError unless exactly one of port/server/noServer is given', (t) => {
  const server = http.createServer();
  const bad: Record<string, unknown>[] = [
    {},
    { host: '127.0.0.1' },
    { port: 0, noServer: true },
    { port: 0, server },
    { server, noServer: true },
    { port: 0, server, noServer: true },
  ];
  for (const options of bad) {
    t.throws(() => new WebSocketServer(options), { instanceOf: TypeError, message: ONE_OF }, JSON.stringify(Object.keys(options)));
  }
  t.throws(() => new (WebSocketServer as unknown as new () => unknown)(), { instanceOf: TypeError, message: ONE_OF });
  t.is(server.listenerCount('upgrade'), 0);
});

test('port mode: the callback is a listening listener and address() reports the bound port', async (t) => {
  let called = 0;
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => called++);
  await once(wss, 'listening');
  t.is(called, 1);
  const address = wss.address() as AddressInfo;
  t.is(address.address, '127.0.0.1');
  t.is(address.family, 'IPv4');
  t.true(address.port > 0);
  await shutdown(wss);
  t.is(wss.address(), null);
});

test('port mode answers a plain HTTP request with 426 text/plain "Upgrade Required"', async (t) => {
  const { wss, port } = await serve(t);
  const res = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  t.is(res.statusLine, 'HTTP/1.1 426 Upgrade Required');
  t.is(header(res, 'Content-Type'), 'text/plain');
  t.is(header(res, 'Content-Length'), '16');
  t.is(res.body, 'Upgrade Required');
  await shutdown(wss);
});

test.serial('port, host and backlog are passed to listen()', async (t) => {
  const original = http.Server.prototype.listen;
  const calls: unknown[][] = [];
  http.Server.prototype.listen = function (this: http.Server, ...args: unknown[]) {
    calls.push(args);
    return (original as (...a: unknown[]) => http.Server).apply(this, args);
  } as typeof original;
  let wss;
  try {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1', backlog: 7 });
  } finally {
    http.Server.prototype.listen = original;
  }
  await once(wss, 'listening');
  t.is(calls.length, 1);
  t.deepEqual(calls[0]!.slice(0, 3), [0, '127.0.0.1', 7]);
  await shutdown(wss);
});

test('port mode emits error when the port is already in use', async (t) => {
  const { wss, port } = await serve(t);
  const second = new WebSocketServer({ port, host: '127.0.0.1' });
  const [err] = await next<[NodeJS.ErrnoException]>(second, 'error');
  t.is(err.code, 'EADDRINUSE');
  await shutdown(wss);
});

test('server mode re-emits listening and error and leaves plain requests to the user', async (t) => {
  const server = http.createServer((_req, res) => res.end('user handler'));
  t.teardown(() => void server.close());
  const baseline = ['upgrade', 'listening', 'error'].map((e) => server.listenerCount(e));
  const wss = new WebSocketServer({ server });
  echo(wss);
  const listening = next(wss, 'listening');
  server.listen(0, '127.0.0.1');
  await listening;
  const port = (server.address() as AddressInfo).port;
  t.deepEqual(wss.address(), server.address());
  const res = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  t.is(res.status, 200);
  t.is(res.body.endsWith('user handler'), true);
  t.is(await stillServes(`ws://127.0.0.1:${port}`), 'ping?');
  const error = next<[Error]>(wss, 'error');
  const boom = new Error('boom');
  server.emit('error', boom);
  t.is((await error)[0], boom);
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  t.true(server.listening, 'close() must not close an external server');
  t.deepEqual(['upgrade', 'listening', 'error'].map((e) => server.listenerCount(e)), baseline);
  await new Promise((resolve) => server.close(resolve));
});

test('noServer mode: address() throws and handleUpgrade() upgrades requests from the user', async (t) => {
  const wss = new WebSocketServer({ noServer: true });
  t.throws(() => wss.address(), { instanceOf: Error, message: 'The server is operating in "noServer" mode' });
  const server = http.createServer();
  t.teardown(() => void server.close());
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  echo(wss);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.is(await stillServes(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`), 'ping?');
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  await new Promise((resolve) => server.close(resolve));
});

test('path: a matching pathname (query ignored) is accepted, another path gets 400 Bad Request', async (t) => {
  const { wss, port, url } = await serve(t, { path: '/chat' });
  let clientErrors = 0;
  wss.on('wsClientError', () => clientErrors++);
  const accepted = nextConnection(wss);
  const ws = await openRealClient(`${url}/chat?room=1`);
  const [, req] = await accepted;
  t.is(req.url, '/chat?room=1');
  ws.terminate();
  for (const path of ['/', '/chat/', '/chatroom', '/Chat']) {
    const res = await rejectFor(port, { path });
    t.is(res.statusLine, 'HTTP/1.1 400 Bad Request', path);
    t.is(res.body, 'Bad Request', path);
  }
  t.is(clientErrors, 0, 'a path mismatch is not a wsClientError');
  await shutdown(wss);
});

test('clientTracking: clients holds each connection and drops it on close and on terminate', async (t) => {
  const { wss, url } = await serve(t);
  t.true(wss.clients instanceof Set);
  const a = await openRealClient(url);
  const b = await openRealClient(url);
  while (wss.clients!.size < 2) await delay(5);
  const [first, second] = [...wss.clients!] as [WebSocketT, WebSocketT];
  t.true(first instanceof WebSocket);
  const firstClosed = next(first, 'close');
  a.close(1000);
  await firstClosed;
  t.is(wss.clients!.size, 1);
  t.true(wss.clients!.has(second));
  const secondClosed = next(second, 'close');
  b.terminate();
  await secondClosed;
  t.is(wss.clients!.size, 0);
  await shutdown(wss);
});

test('clientTracking: false leaves clients undefined and still accepts connections', async (t) => {
  const { wss, url } = await serve(t, { clientTracking: false });
  t.is(wss.clients as Set<unknown> | undefined, undefined);
  echo(wss);
  t.is(await stillServes(url), 'ping?');
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

test('perMessageDeflate is off by default: an offer gets a 101 without Sec-WebSocket-Extensions', async (t) => {
  const { wss, port, url } = await serve(t);
  t.is(wss.options.perMessageDeflate, false);
  const { peer, head } = await rawUpgrade(port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } });
  t.regex(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  t.notRegex(head, /sec-websocket-extensions/i);
  peer.socket.destroy();
  const connected = nextConnection(wss);
  const ws = await openRealClient(url, undefined, { perMessageDeflate: true });
  const [serverWs] = await connected;
  t.is(ws.extensions, '');
  t.is(serverWs.extensions, '');
  ws.terminate();
  await shutdown(wss);
});

test('perMessageDeflate: true is {} and negotiates permessage-deflate', async (t) => {
  const { wss, port, url } = await serve(t, { perMessageDeflate: true });
  t.deepEqual(wss.options.perMessageDeflate, {});
  const { peer, head } = await rawUpgrade(port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
  t.regex(head, /\r\nSec-WebSocket-Extensions: permessage-deflate$/);
  peer.socket.destroy();
  const connected = nextConnection(wss);
  const ws = await openRealClient(url, undefined, { perMessageDeflate: true });
  const [serverWs] = await connected;
  t.is(ws.extensions, 'permessage-deflate');
  t.is(serverWs.extensions, 'permessage-deflate');
  const got = next<[Buffer]>(ws, 'message');
  serverWs.send('x'.repeat(5000));
  t.is((await got)[0].toString(), 'x'.repeat(5000));
  ws.terminate();
  await shutdown(wss);
});

test('handleProtocols: its return value becomes Sec-WebSocket-Protocol and ws.protocol', async (t) => {
  const seen: [string[], string | undefined][] = [];
  const { wss, port } = await serve(t, {
    handleProtocols: (protocols: Set<string>, req: http.IncomingMessage) => {
      t.true(req instanceof http.IncomingMessage);
      seen.push([[...protocols], req.url]);
      return [...protocols].pop();
    },
  });
  const connected = nextConnection(wss);
  const { peer, head } = await rawUpgrade(port, { path: '/p', headers: { 'Sec-WebSocket-Protocol': 'a, b,c' } });
  t.regex(head, /\r\nSec-WebSocket-Protocol: c$/);
  const [serverWs] = await connected;
  t.is(serverWs.protocol, 'c');
  t.deepEqual(seen, [[['a', 'b', 'c'], '/p']]);
  peer.socket.destroy();
  await shutdown(wss);
});

test('handleProtocols returning a falsy value sends no Sec-WebSocket-Protocol header', async (t) => {
  const { wss, port } = await serve(t, { handleProtocols: () => false });
  const connected = nextConnection(wss);
  const { peer, head } = await rawUpgrade(port, { headers: { 'Sec-WebSocket-Protocol': 'a, b' } });
  t.regex(head, /^HTTP\/1\.1 101 /);
  t.notRegex(head, /sec-websocket-protocol/i);
  t.is((await connected)[0].protocol, '');
  peer.socket.destroy();
  await shutdown(wss);
});

test('without handleProtocols the first offered protocol is chosen; none offered means no header', async (t) => {
  const { wss, port, url } = await serve(t);
  const { peer, head } = await rawUpgrade(port, { headers: { 'Sec-WebSocket-Protocol': 'second, first' } });
  t.regex(head, /\r\nSec-WebSocket-Protocol: second$/);
  peer.socket.destroy();
  const plain = await rawUpgrade(port);
  t.notRegex(plain.head, /sec-websocket-protocol/i);
  plain.peer.socket.destroy();
  const ws = await openRealClient(url, ['x1', 'x2']);
  t.is(ws.protocol, 'x1');
  ws.terminate();
  await shutdown(wss);
});

test('verifyClient (sync) returning false gets 401 and no connection', async (t) => {
  const infos: { origin: unknown; secure: unknown; url: unknown }[] = [];
  const { wss, port } = await serve(t, {
    verifyClient: (info: { origin: string; secure: boolean; req: http.IncomingMessage }) => {
      infos.push({ origin: info.origin, secure: info.secure, url: info.req.url });
      return info.req.url === '/ok';
    },
  });
  wss.on('connection', () => t.fail('unexpected connection'));
  const res = await rejectFor(port, { path: '/no', headers: { Origin: 'https://a.example' } });
  t.is(res.statusLine, 'HTTP/1.1 401 Unauthorized');
  t.is(res.body, 'Unauthorized');
  t.deepEqual(infos, [{ origin: 'https://a.example', secure: false, url: '/no' }]);
  wss.removeAllListeners('connection');
  const ok = await rawUpgrade(port, { path: '/ok', headers: { 'Sec-WebSocket-Version': '8', 'Sec-WebSocket-Origin': 'https://v8.example', Origin: 'https://ignored' } });
  t.regex(ok.head, /^HTTP\/1\.1 101 /);
  t.deepEqual(infos[1], { origin: 'https://v8.example', secure: false, url: '/ok' });
  ok.peer.socket.destroy();
  await shutdown(wss);
});

test('verifyClient (async) rejection sends the given status, body and headers', async (t) => {
  const { wss, port } = await serve(t, {
    verifyClient: (_info: unknown, cb: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => {
      setTimeout(() => cb(false, 403, 'Nope', { 'X-Why': 'a' }), 10);
    },
  });
  const res = await rejectFor(port);
  t.is(res.statusLine, 'HTTP/1.1 403 Forbidden');
  t.is(res.body, 'Nope');
  t.is(header(res, 'X-Why'), 'a');
  t.is(header(res, 'Content-Length'), '4');
  await shutdown(wss);
});

test('verifyClient (async) cb(false) defaults to 401 and cb(true) accepts', async (t) => {
  let allow = false;
  const { wss, port, url } = await serve(t, {
    verifyClient: (_info: unknown, cb: (ok: boolean) => void) => setImmediate(() => cb(allow)),
  });
  echo(wss);
  const res = await rejectFor(port);
  t.is(res.statusLine, 'HTTP/1.1 401 Unauthorized');
  t.is(res.body, 'Unauthorized');
  allow = true;
  t.is(await stillServes(url), 'ping?');
  await shutdown(wss);
});

test('the WebSocket option: connections are instances of the subclass built as (null, undefined, options)', async (t) => {
  const calls: unknown[][] = [];
  class Custom extends WebSocket {
    constructor(...args: unknown[]) {
      super(...(args as [null, undefined, Record<string, unknown>]));
      calls.push(args);
    }
    get foo(): string {
      return 'foo';
    }
  }
  const { wss, url } = await serve(t, { WebSocket: Custom });
  const connected = nextConnection(wss);
  const ws = await openRealClient(url);
  const [serverWs] = await connected;
  t.true(serverWs instanceof Custom);
  t.is((serverWs as Custom).foo, 'foo');
  t.is(calls.length, 1);
  t.is(calls[0]!.length, 3);
  t.is(calls[0]![0], null);
  t.is(calls[0]![1], undefined);
  t.is(calls[0]![2], wss.options);
  t.true(wss.clients!.has(serverWs));
  const got = next<[Buffer]>(ws, 'message');
  serverWs.send('from subclass');
  t.is((await got)[0].toString(), 'from subclass');
  ws.terminate();
  await shutdown(wss);
});
