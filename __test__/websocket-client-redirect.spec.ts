/**
 * Redirects (ws-api.md CO5, CO7, CO11, E9): `followRedirects`, the `'redirect'` event, the
 * credential rules of ws 8.5.0–8.8.1 (Authorization, Cookie, Host and URL credentials dropped on a
 * cross-host or https→http hop unless a `'redirect'` listener exists), and `maxRedirects`. Two local
 * servers on different ports and names (127.0.0.1 vs localhost) stand in for two hosts.
 */
import test from 'ava';
import { once } from 'node:events';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket } from './helpers.ts';
import { answer101, answerRedirect, closed, rawServer, recordEvents, TLS_CERT, TLS_KEY, type RawConn } from './helpers-client.ts';

const SECRET = { Authorization: 'Bearer secret', Cookie: 'sid=42' };

/** A server that redirects `/start` to `location(port)` and accepts everything else with 101. */
async function hop(location: (port: number) => string, host = '127.0.0.1') {
  let port = 0;
  const srv = await rawServer((c: RawConn) => {
    if (c.requestLine.startsWith('GET /start')) answerRedirect(c, location(port));
    else answer101(c);
  }, host);
  port = srv.port;
  return srv;
}

test('without followRedirects a 302 is an unexpected response', async (t) => {
  const a = await hop(() => '/elsewhere');
  t.teardown(a.close);
  const ws = new WebSocket(`${a.url}/start`);
  const log = recordEvents(ws, ['redirect', 'error', 'close']);
  await closed(ws);
  t.deepEqual(log, ['error:Unexpected server response: 302', 'close:1006']);
});

test('a same-host redirect is followed, keeps credentials and emits redirect(url, request)', async (t) => {
  const a = await hop((port) => `ws://127.0.0.1:${port}/final`);
  t.teardown(a.close);
  const ws = new WebSocket(`ws://user:pw@127.0.0.1:${a.port}/start`, { followRedirects: true, headers: SECRET });
  const redirects: [string, boolean][] = [];
  ws.on('redirect', (url: string, req: { setHeader?: unknown }) => redirects.push([url, typeof req.setHeader === 'function']));
  const first = await a.nextConn();
  const second = await a.nextConn();
  await once(ws, 'open');
  t.deepEqual(redirects, [[`ws://127.0.0.1:${a.port}/final`, true]]);
  t.is(ws.url, `ws://127.0.0.1:${a.port}/final`);
  t.is(second.requestLine, 'GET /final HTTP/1.1');
  for (const c of [first, second]) {
    t.is(c.headers['authorization'], 'Bearer secret', 'an explicit Authorization header wins over URL credentials');
    t.is(c.headers['cookie'], 'sid=42');
  }
  ws.terminate();
  await closed(ws);
});

test('a relative Location is resolved against the current URL', async (t) => {
  const a = await hop(() => '/relative?x=1');
  t.teardown(a.close);
  const ws = new WebSocket(`${a.url}/start`, { followRedirects: true });
  await a.nextConn();
  const second = await a.nextConn();
  await once(ws, 'open');
  t.is(second.requestLine, 'GET /relative?x=1 HTTP/1.1');
  t.is(ws.url, `${a.url}/relative?x=1`);
  ws.terminate();
  await closed(ws);
});

test('a cross-host redirect drops Authorization, Cookie, Host and URL credentials', async (t) => {
  const b = await rawServer((c) => answer101(c), '127.0.0.1');
  t.teardown(b.close);
  const a = await hop(() => `ws://localhost:${b.port}/`);
  t.teardown(a.close);
  const ws = new WebSocket(`ws://user:pw@127.0.0.1:${a.port}/start`, {
    followRedirects: true,
    headers: { ...SECRET, Host: 'custom.example', 'X-Keep': 'kept' },
  });
  const first = await a.nextConn();
  t.is(first.headers['cookie'], 'sid=42');
  t.is(first.headers['host'], 'custom.example');
  const second = await b.nextConn();
  await once(ws, 'open');
  t.is(second.headers['authorization'], undefined);
  t.is(second.headers['cookie'], undefined);
  t.is(second.headers['host'], `localhost:${b.port}`);
  t.is(second.headers['x-keep'], 'kept');
  ws.terminate();
  await closed(ws);
});

test('URL credentials alone are not forwarded to another host', async (t) => {
  const b = await rawServer((c) => answer101(c));
  t.teardown(b.close);
  const a = await hop(() => `ws://localhost:${b.port}/`);
  t.teardown(a.close);
  const ws = new WebSocket(`ws://user:pw@127.0.0.1:${a.port}/start`, { followRedirects: true });
  const first = await a.nextConn();
  t.is(first.headers['authorization'], 'Basic ' + Buffer.from('user:pw').toString('base64'));
  const second = await b.nextConn();
  await once(ws, 'open');
  t.is(second.headers['authorization'], undefined);
  ws.terminate();
  await closed(ws);
});

test('with a redirect listener, cross-host redirects keep the sensitive headers', async (t) => {
  const b = await rawServer((c) => answer101(c));
  t.teardown(b.close);
  const a = await hop(() => `ws://localhost:${b.port}/`);
  t.teardown(a.close);
  const ws = new WebSocket(`${a.url}/start`, { followRedirects: true, headers: SECRET });
  let urlSeen = '';
  ws.on('redirect', (url: string) => (urlSeen = url));
  const second = await b.nextConn();
  await once(ws, 'open');
  t.is(urlSeen, `ws://localhost:${b.port}/`);
  t.is(second.headers['authorization'], 'Bearer secret');
  t.is(second.headers['cookie'], 'sid=42');
  ws.terminate();
  await closed(ws);
});

test('an https to http redirect drops Authorization and Cookie', async (t) => {
  const b = await rawServer((c) => answer101(c));
  t.teardown(b.close);
  const server = https.createServer({ key: TLS_KEY, cert: TLS_CERT });
  const heads: Record<string, string | string[] | undefined>[] = [];
  server.on('upgrade', (req: { headers: Record<string, string | string[] | undefined> }, socket: Duplex) => {
    heads.push(req.headers);
    socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${b.port}/\r\nContent-Length: 0\r\n\r\n`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { followRedirects: true, headers: SECRET, rejectUnauthorized: false });
  const second = await b.nextConn();
  await once(ws, 'open');
  t.is(heads[0]!['authorization'], 'Bearer secret');
  t.is(second.headers['authorization'], undefined);
  t.is(second.headers['cookie'], undefined);
  ws.terminate();
  await closed(ws);
});

test('maxRedirects exceeded fails with "Maximum redirects exceeded"', async (t) => {
  const a = await hop((port) => `ws://127.0.0.1:${port}/start`);
  t.teardown(a.close);
  const ws = new WebSocket(`${a.url}/start`, { followRedirects: true, maxRedirects: 2 });
  const log = recordEvents(ws, ['redirect', 'open', 'error', 'close']);
  await closed(ws);
  t.deepEqual(log, ['redirect', 'redirect', 'error:Maximum redirects exceeded', 'close:1006']);
  t.is(ws.readyState, WebSocket.CLOSED);
});

test('maxRedirects defaults to 10', async (t) => {
  const a = await hop((port) => `ws://127.0.0.1:${port}/start`);
  t.teardown(a.close);
  const ws = new WebSocket(`${a.url}/start`, { followRedirects: true });
  let redirects = 0;
  ws.on('redirect', () => redirects++);
  const log = recordEvents(ws, ['error']);
  await closed(ws);
  t.is(redirects, 10);
  t.deepEqual(log, ['error:Maximum redirects exceeded']);
});

test('a redirect to an unsupported scheme emits a SyntaxError instead of throwing', async (t) => {
  const a = await hop(() => 'ftp://127.0.0.1/');
  t.teardown(a.close);
  const ws = new WebSocket(`${a.url}/start`, { followRedirects: true });
  let error: Error | undefined;
  ws.on('error', (e: Error) => (error = e));
  const [code] = await closed(ws);
  t.true(error instanceof SyntaxError);
  t.is(error?.message, 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"');
  t.is(code, 1006);
});

test('handshakeTimeout restarts after each redirect', async (t) => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let port = 0;
  const a = await rawServer((c) => {
    void wait(300).then(() => (c.requestLine.startsWith('GET /start') ? answerRedirect(c, `ws://127.0.0.1:${port}/b`) : undefined));
    if (!c.requestLine.startsWith('GET /start')) void wait(300).then(() => answer101(c));
  });
  port = a.port;
  t.teardown(a.close);
  const ws = new WebSocket(`${a.url}/start`, { followRedirects: true, handshakeTimeout: 550 });
  const log = recordEvents(ws, ['redirect', 'open', 'error']);
  await once(ws, 'open');
  t.deepEqual(log, ['redirect', 'open']);
  ws.terminate();
  await closed(ws);
});
