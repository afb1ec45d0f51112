/**
 * The client constructor (ws-api.md §3 C1–C4): URL schemes (ws, wss, http, https, ws+unix), URL
 * validation errors, subprotocols in every position, and URL credentials, checked against the real
 * `ws` server (or a raw server) so what the peer receives is asserted, not only what we report.
 */
import test from 'ava';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { next, WebSocket, type WebSocketT } from './helpers.ts';
import { answer101, RealWs, rawServer, realServer, TLS_CERT, TLS_KEY } from './helpers-client.ts';

const BAD_SCHEME = 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"';

async function openAndClose(ws: WebSocketT): Promise<void> {
  await next(ws, 'open');
  ws.close();
  await next(ws, 'close');
}

test('a ws: URL connects and url returns the normalized href', async (t) => {
  const srv = await realServer();
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/a/b?q=1`);
  t.is(ws.url, `ws://127.0.0.1:${srv.port}/a/b?q=1`);
  await openAndClose(ws);
  t.is(srv.requests[0]![':path'], '/a/b?q=1');
  await srv.close();
});

test('a URL object is accepted as the address', async (t) => {
  const srv = await realServer();
  const ws = new WebSocket(new URL(`ws://127.0.0.1:${srv.port}/obj`));
  await openAndClose(ws);
  t.is(srv.requests[0]![':path'], '/obj');
  await srv.close();
});

test('an http: URL is mapped to ws: without changing the caller URL object', async (t) => {
  const srv = await realServer();
  const address = new URL(`http://127.0.0.1:${srv.port}/h`);
  const ws = new WebSocket(address);
  t.is(ws.url, `ws://127.0.0.1:${srv.port}/h`);
  t.is(address.protocol, 'http:');
  await openAndClose(ws);
  t.is(srv.requests.length, 1);
  await srv.close();
});

test('an https: URL is mapped to wss: and connects over TLS', async (t) => {
  const server = https.createServer({ key: TLS_KEY, cert: TLS_CERT });
  const wss = new RealWs.WebSocketServer({ server });
  let secure: boolean | undefined;
  wss.on('connection', (_c: unknown, req: http.IncomingMessage) => {
    secure = (req.socket as unknown as { encrypted?: boolean }).encrypted;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const ws = new WebSocket(`https://localhost:${port}/`, { rejectUnauthorized: false });
  t.is(ws.url, `wss://localhost:${port}/`);
  await openAndClose(ws);
  t.true(secure);
  wss.close();
  server.close();
});

test('a ws+unix: URL upgrades through an HTTP server on a Unix socket with the given request path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrows-ipc-'));
  const sock = join(dir, 's.sock');
  const server = http.createServer();
  const wss = new RealWs.WebSocketServer({ server });
  const paths: (string | undefined)[] = [];
  wss.on('connection', (c: { send(d: string): void }, req: http.IncomingMessage) => {
    paths.push(req.url);
    c.send(`hello ${req.url}`);
  });
  server.listen(sock);
  await once(server, 'listening');
  try {
    const ws = new WebSocket(`ws+unix:${sock}:/chat/room?x=1`);
    const [data, isBinary] = await next<[Buffer, boolean]>(ws, 'message');
    t.is(data.toString(), 'hello /chat/room?x=1');
    t.false(isBinary);
    ws.close();
    await next(ws, 'close');

    const root = new WebSocket(`ws+unix:${sock}`);
    await openAndClose(root);
    t.deepEqual(paths, ['/chat/room?x=1', '/']);
  } finally {
    wss.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unsupported scheme throws SyntaxError naming the allowed schemes', (t) => {
  for (const address of ['ftp://127.0.0.1/', 'file:///tmp/x', 'mailto:a@b']) {
    const err = t.throws(() => new WebSocket(address), { instanceOf: SyntaxError });
    t.is(err?.message, BAD_SCHEME, address);
  }
});

test('an unparsable address throws SyntaxError "Invalid URL: <address>"', (t) => {
  t.throws(() => new WebSocket('not a url'), { instanceOf: SyntaxError, message: 'Invalid URL: not a url' });
});

test('a URL with a fragment throws SyntaxError', (t) => {
  t.throws(() => new WebSocket('ws://127.0.0.1:1/#frag'), {
    instanceOf: SyntaxError,
    message: 'The URL contains a fragment identifier',
  });
});

test('a ws+unix: URL with an empty path throws SyntaxError', (t) => {
  t.throws(() => new WebSocket('ws+unix:'), { instanceOf: SyntaxError, message: "The URL's pathname is empty" });
});

test('a string subprotocol is offered and selected', async (t) => {
  const srv = await realServer();
  const ws = new WebSocket(srv.url, 'chat');
  await next(ws, 'open');
  t.is(srv.requests[0]!['sec-websocket-protocol'], 'chat');
  t.is(ws.protocol, 'chat');
  ws.close();
  await next(ws, 'close');
  await srv.close();
});

test('an array of subprotocols is offered comma-joined and the server picks the first', async (t) => {
  const srv = await realServer();
  const ws = new WebSocket(srv.url, ['v2.chat', 'v1.chat']);
  await next(ws, 'open');
  t.is(srv.requests[0]!['sec-websocket-protocol'], 'v2.chat,v1.chat');
  t.is(ws.protocol, 'v2.chat');
  ws.close();
  await next(ws, 'close');
  await srv.close();
});

test('options.protocols is accepted as the subprotocol list (8.22)', async (t) => {
  const srv = await realServer();
  const a = new WebSocket(srv.url, { protocols: ['x', 'y'] } as never);
  await next(a, 'open');
  t.is(a.protocol, 'x');
  const b = new WebSocket(srv.url, { protocols: 'solo' } as never);
  await next(b, 'open');
  t.is(b.protocol, 'solo');
  t.is(srv.requests[0]!['sec-websocket-protocol'], 'x,y');
  t.is(srv.requests[1]!['sec-websocket-protocol'], 'solo');
  a.close();
  b.close();
  await Promise.all([next(a, 'close'), next(b, 'close')]);
  await srv.close();
});

test('an object in the protocols position is taken as options', async (t) => {
  const srv = await realServer();
  const ws = new WebSocket(srv.url, { headers: { 'X-Extra': 'yes' } });
  await next(ws, 'open');
  t.is(srv.requests[0]!['x-extra'], 'yes');
  t.is(srv.requests[0]!['sec-websocket-protocol'], undefined);
  t.is(ws.protocol, '');
  ws.close();
  await next(ws, 'close');
  await srv.close();
});

test('an invalid or duplicate subprotocol throws SyntaxError before any request is made', async (t) => {
  const srv = await rawServer();
  const cases: unknown[] = [['a', 'a'], 'has space', '', 'a,b', ['ok', 'x y'], [1], 'é', ['a', 'b', 'a']];
  for (const protocols of cases) {
    t.throws(() => new WebSocket(srv.url, protocols as string[]), {
      instanceOf: SyntaxError,
      message: 'An invalid or duplicated subprotocol was specified',
    });
    t.throws(() => new WebSocket(srv.url, { protocols } as never), { instanceOf: SyntaxError });
  }
  await t.throwsAsync(srv.nextConn(200));
  await srv.close();
});

test('URL credentials become a Basic Authorization header, percent-decoded (8.22.1)', async (t) => {
  const srv = await realServer();
  const ws = new WebSocket(`ws://us%20er:p%40ss%3Aword@127.0.0.1:${srv.port}/`);
  await next(ws, 'open');
  const auth = srv.requests[0]!['authorization'] as string;
  t.is(auth, 'Basic ' + Buffer.from('us er:p@ss:word').toString('base64'));
  t.is(ws.url, `ws://us%20er:p%40ss%3Aword@127.0.0.1:${srv.port}/`);
  ws.close();
  await next(ws, 'close');
  await srv.close();
});

test('malformed percent escapes in credentials are decoded like querystring.unescape', async (t) => {
  const srv = await rawServer((conn) => answer101(conn));
  t.teardown(srv.close);
  const ws = new WebSocket(`ws://a%zzb%41:p%C3w@127.0.0.1:${srv.port}/`);
  const conn = await srv.nextConn();
  t.is(conn.headers['authorization'], 'Basic ' + Buffer.from('a%zzbA:p\uFFFDw').toString('base64'));
  await next(ws, 'open');
  ws.terminate();
  await next(ws, 'close');
});

test('a username without a password still produces Authorization "user:"', async (t) => {
  const srv = await rawServer((conn) => answer101(conn));
  const ws = new WebSocket(`ws://alice@127.0.0.1:${srv.port}/`);
  const conn = await srv.nextConn();
  t.is(conn.headers['authorization'], 'Basic ' + Buffer.from('alice:').toString('base64'));
  await next(ws, 'open');
  ws.terminate();
  await next(ws, 'close');
  await srv.close();
});

test('the request carries the mandatory upgrade headers', async (t) => {
  const srv = await rawServer((conn) => answer101(conn));
  const ws = new WebSocket(`${srv.url}/p?q`);
  const conn = await srv.nextConn();
  t.is(conn.requestLine, 'GET /p?q HTTP/1.1');
  t.regex(conn.headers['connection'] ?? '', /upgrade/i);
  t.is(conn.headers['upgrade'], 'websocket');
  t.is(conn.headers['sec-websocket-version'], '13');
  t.regex(conn.key, /^[A-Za-z0-9+/]{22}==$/);
  t.is(conn.headers['host'], `127.0.0.1:${srv.port}`);
  await next(ws, 'open');
  ws.terminate();
  await next(ws, 'close');
  await srv.close();
});

test('address null makes a server-side instance with no URL (C4)', (t) => {
  // The server's internal contract (S20): `(null, undefined, options)`, then setSocket().
  const Ctor = WebSocket as unknown as new (a: null, p: undefined, o: object) => WebSocketT;
  const ws = new Ctor(null, undefined, { autoPong: true, closeTimeout: 1000 });
  t.is(ws.readyState, WebSocket.CONNECTING);
  t.is(ws.url, undefined);
  t.true((ws as unknown as { _isServer: boolean })._isServer);
  t.is(ws.protocol, '');
  t.is(ws.extensions, '');
});
