/**
 * ferrows to ferrows over HTTP/2 (RFC 8441): the client's `http2` option against a
 * `WebSocketServer` on Node's `http2` servers, h2c and TLS, with the options that change the
 * handshake (subprotocols, permessage-deflate) and several WebSockets sharing one connection.
 */
import test from 'ava';
import { once } from 'node:events';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { next, WebSocket, type WebSocketT } from './helpers.ts';
import { echoOn, h2Server } from './helpers-http2.ts';
import { closeAll, selfSignedCert } from './helpers-server.ts';

for (const tls of [false, true]) {
  const scheme = tls ? 'wss' : 'ws';
  test(`${scheme}: three WebSockets share one HTTP/2 connection; subprotocol and deflate negotiate`, async (t) => {
    const setup = await h2Server(t, { tls, wssOptions: { perMessageDeflate: { threshold: 0 } } });
    echoOn(setup.wss);
    const versions: string[] = [];
    setup.wss.on('connection', (_ws: WebSocketT, req: http.IncomingMessage) => versions.push(req.httpVersion));
    let tcp = 0;
    setup.server.on('connection', () => tcp++);
    const url = `${scheme}://localhost:${setup.port}/echo`;
    const clients = Array.from({ length: 3 }, () => new WebSocket(url, ['chat'], { http2: true, ca: setup.cert }));
    await Promise.all(clients.map((c) => next(c, 'open')));
    for (const c of clients) {
      t.is(c.protocol, 'chat');
      t.is(c.extensions, 'permessage-deflate');
    }
    const replies = await Promise.all(
      clients.map((c, i) => {
        const reply = next<[Buffer, boolean]>(c, 'message');
        c.send(i % 2 ? Buffer.from([i]) : `text ${i}`);
        return reply;
      }),
    );
    t.deepEqual(replies.map(([data, binary]) => [binary ? [...data] : data.toString(), binary]), [['text 0', false], [[1], true], ['text 2', false]]);
    t.is(tcp, 1, 'one TCP connection carries all three');
    t.deepEqual(versions, ['2.0', '2.0', '2.0']);
    const closes = clients.map((c) => next<[number, Buffer]>(c, 'close'));
    clients.forEach((c, i) => c.close(4000 + i, `bye ${i}`));
    t.deepEqual((await Promise.all(closes)).map(([code, reason]) => [code, reason.toString()]), [[4000, 'bye 0'], [4001, 'bye 1'], [4002, 'bye 2']]);
    const deadline = Date.now() + 5000;
    while (setup.wss.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    t.is(setup.wss.clients.size, 0);
  });
}

test("'auto' speaks HTTP/2 to an http2 server and HTTP/1.1 to a plain one", async (t) => {
  const setup = await h2Server(t, { tls: true });
  echoOn(setup.wss);
  const seen = next<[WebSocketT, http.IncomingMessage]>(setup.wss, 'connection');
  const ws = new WebSocket(`wss://localhost:${setup.port}`, { http2: 'auto', ca: setup.cert });
  await next(ws, 'open');
  t.is((await seen)[1].httpVersion, '2.0');
  ws.terminate();
  const { key, cert } = selfSignedCert();
  const plain = https.createServer({ key, cert });
  const wss = new WebSocket.WebSocketServer({ server: plain });
  t.teardown(() => closeAll(wss).then(() => new Promise<void>((resolve) => plain.close(() => resolve()))));
  plain.listen(0, '127.0.0.1');
  await once(plain, 'listening');
  const seenPlain = next<[WebSocketT, http.IncomingMessage]>(wss, 'connection');
  const fallback = new WebSocket(`wss://localhost:${(plain.address() as AddressInfo).port}`, { http2: 'auto', ca: cert });
  await next(fallback, 'open');
  t.is((await seenPlain)[1].httpVersion, '1.1');
  fallback.terminate();
});

test('terminate() on our client is a 1006 on our server, and the session lives on', async (t) => {
  const setup = await h2Server(t);
  const connected = next<[WebSocketT]>(setup.wss, 'connection');
  const a = new WebSocket(`ws://localhost:${setup.port}`, { http2: true });
  const b = new WebSocket(`ws://localhost:${setup.port}`, { http2: true });
  await Promise.all([next(a, 'open'), next(b, 'open')]);
  const [serverSide] = await connected;
  serverSide.on('error', () => {});
  const serverClosed = next<[number]>(serverSide, 'close');
  a.terminate();
  t.is((await serverClosed)[0], 1006);
  const reply = next<[Buffer]>(b, 'message');
  echoOn(setup.wss);
  b.send('b still works');
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const ws of setup.wss.clients) ws.send('from server');
  t.is((await reply)[0].toString(), 'from server');
  b.terminate();
});
