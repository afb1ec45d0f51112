/**
 * Options passed through to `http.request`/`https.request`/`tls.connect` (ws-api.md §3, the
 * paragraph before CO1): TLS options for `wss:` against a self-signed server, `agent`,
 * `createConnection` (8.17), `lookup` and `headers`. A `wss:` socket is JS-owned, so these tests
 * also exercise the JavaScript transport.
 */
import test from 'ava';
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { next, WebSocket } from './helpers.ts';
import { closed, RealWs, realServer, recordEvents, TLS_CERT, TLS_KEY } from './helpers-client.ts';

type Err = Error & { code?: string };

/** An https server with a real ws server on it that echoes and records each request's SNI. */
async function tlsServer(t: { teardown(fn: () => unknown): void }) {
  const server = https.createServer({ key: TLS_KEY, cert: TLS_CERT });
  const wss = new RealWs.WebSocketServer({ server });
  const sni: (string | false | null)[] = [];
  wss.on('connection', (c: InstanceType<typeof RealWs>, req: http.IncomingMessage) => {
    sni.push((req.socket as TLSSocket).servername);
    c.on('message', (d: Buffer, isBinary: boolean) => c.send(d, { binary: isBinary }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, sni };
}

test('wss with rejectUnauthorized false talks to a self-signed server over the JS transport', async (t) => {
  const { port } = await tlsServer(t);
  const ws = new WebSocket(`wss://localhost:${port}/`, { rejectUnauthorized: false });
  await next(ws, 'open');
  t.false((ws as unknown as { _transport: { isNative: boolean } })._transport.isNative);
  t.true((ws as unknown as { _socket: { encrypted?: boolean } })._socket.encrypted);
  const echo = next<[Buffer, boolean]>(ws, 'message');
  ws.send('over tls');
  const [data, isBinary] = await echo;
  t.is(data.toString(), 'over tls');
  t.false(isBinary);
  const done = closed(ws);
  ws.close(4100, 'tls bye');
  t.deepEqual((await done).map(String), ['4100', 'tls bye']);
});

test('wss with the default rejectUnauthorized fails on a self-signed certificate: error then close 1006', async (t) => {
  const { port } = await tlsServer(t);
  const ws = new WebSocket(`wss://localhost:${port}/`);
  const log = recordEvents(ws, ['open', 'error', 'close']);
  let err: Err | undefined;
  ws.on('error', (e: Err) => (err = e));
  await closed(ws);
  t.is(log.length, 2);
  t.regex(log[0]!, /^error:/);
  t.is(log[1], 'close:1006');
  t.is(err?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
});

test('wss with ca trusting the certificate connects with verification on', async (t) => {
  const { port } = await tlsServer(t);
  const ws = new WebSocket(`wss://localhost:${port}/`, { ca: TLS_CERT });
  await next(ws, 'open');
  t.true((ws as unknown as { _socket: { authorized?: boolean } })._socket.authorized);
  ws.terminate();
  await closed(ws);
});

test('wss sends the host name as SNI, none for an IP, and an explicit servername', async (t) => {
  const { port, sni } = await tlsServer(t);
  for (const [url, options] of [
    [`wss://localhost:${port}/`, {}],
    [`wss://127.0.0.1:${port}/`, {}],
    [`wss://127.0.0.1:${port}/`, { servername: 'named.example' }],
  ] as const) {
    const ws = new WebSocket(url, { rejectUnauthorized: false, ...options });
    await next(ws, 'open');
    ws.terminate();
    await closed(ws);
  }
  t.deepEqual(sni, ['localhost', false, 'named.example']);
});

test('a custom agent is used for the connection', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  let created = 0;
  class CountingAgent extends http.Agent {
    override createConnection(...args: Parameters<http.Agent['createConnection']>) {
      created++;
      return super.createConnection(...args);
    }
  }
  const agent = new CountingAgent();
  t.teardown(() => agent.destroy());
  const ws = new WebSocket(srv.url, { agent });
  await next(ws, 'open');
  t.is(created, 1);
  ws.close();
  await closed(ws);
});

test('the createConnection option is called and its socket carries the handshake', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  const seen: { host?: unknown; port?: unknown }[] = [];
  const ws = new WebSocket(srv.url, {
    createConnection(options: { host?: string; port?: number | string }) {
      seen.push({ host: options.host, port: options.port });
      return net.connect(Number(options.port), String(options.host));
    },
  } as never);
  await next(ws, 'open');
  t.deepEqual(seen, [{ host: '127.0.0.1', port: String(srv.port) }]);
  ws.close();
  await closed(ws);
});

test('a custom lookup resolves the host name', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  const asked: string[] = [];
  const lookup = (host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    asked.push(host);
    if (opts.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  };
  const ws = new WebSocket(`ws://ferrows.invalid:${srv.port}/`, { lookup } as never);
  await next(ws, 'open');
  t.deepEqual(asked, ['ferrows.invalid']);
  t.is(srv.requests[0]!['host'], `ferrows.invalid:${srv.port}`);
  ws.close();
  await closed(ws);
});

test('headers are passed through, but the handshake headers cannot be overridden', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url, {
    headers: { 'X-One': '1', 'x-two': 'two', Cookie: 'a=b', 'Sec-WebSocket-Version': '99', Upgrade: 'nope' },
  });
  await next(ws, 'open');
  const req = srv.requests[0]!;
  t.is(req['x-one'], '1');
  t.is(req['x-two'], 'two');
  t.is(req['cookie'], 'a=b');
  t.is(req['sec-websocket-version'], '13');
  t.is(req['upgrade'], 'websocket');
  ws.close();
  await closed(ws);
});

test('a connection refused gives error ECONNREFUSED then close 1006', async (t) => {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  let err: Err | undefined;
  ws.on('error', (e: Err) => (err = e));
  const [code] = await closed(ws);
  t.is(err?.code, 'ECONNREFUSED');
  t.is(code, 1006);
  t.is(ws.readyState, WebSocket.CLOSED);
});
