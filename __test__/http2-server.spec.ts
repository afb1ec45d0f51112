/**
 * WebSocketServer on Node's `http2` servers (RFC 8441): extended CONNECT streams become the same
 * `WebSocket` objects as HTTP/1.1 upgrades, with the same options, hooks and events; the request
 * tells the version (`'2.0'`). The peer is Node's own http2 client writing WebSocket frames.
 */
import test from 'ava';
import { once } from 'node:events';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { closePayload, frame, next, WebSocket, type WebSocketT } from './helpers.ts';
import { echoOn, h2Connect, h2Server, h2Session } from './helpers-http2.ts';
import { openRealClient } from './helpers-server.ts';

test('an h2c extended CONNECT is a WebSocket: 200, no accept key, echo both ways', async (t) => {
  const setup = await h2Server(t);
  echoOn(setup.wss);
  const connected = next<[WebSocketT, http2.Http2ServerRequest]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const { status, headers, peer } = await h2Connect(session, { ':path': '/chat?room=1', ':scheme': 'http' });
  t.is(status, 200);
  t.is(headers['sec-websocket-accept'], undefined);
  const [ws, req] = await connected;
  t.is(req.httpVersion, '2.0');
  t.is(req.url, '/chat?room=1');
  t.is(req.method, 'CONNECT');
  t.is(ws.readyState, WebSocket.OPEN);
  t.false(ws._socket === null);
  peer.write(frame(1, 'héllo h2'));
  const text = await peer.readFrame();
  t.deepEqual([text.opcode, text.masked, text.payload.toString()], [1, false, 'héllo h2']);
  peer.write(frame(2, Buffer.alloc(100_000, 7)));
  const binary = await peer.readFrame();
  t.is(binary.opcode, 2);
  t.true(binary.payload.equals(Buffer.alloc(100_000, 7)));
});

test('the close handshake ends the stream with END_STREAM, not a reset', async (t) => {
  const setup = await h2Server(t);
  echoOn(setup.wss);
  const connected = next<[WebSocketT]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const { stream, peer, closed } = await h2Connect(session);
  const [ws] = await connected;
  const serverClosed = next<[number, Buffer]>(ws, 'close');
  peer.write(frame(8, closePayload(4001, 'bye h2')));
  t.deepEqual(await peer.readClose(), { code: 4001, reason: 'bye h2' });
  await once(stream, 'end');
  stream.end();
  t.is(await closed, 0);
  const [code, reason] = await serverClosed;
  t.is(code, 4001);
  t.is(reason.toString(), 'bye h2');
  t.is(setup.wss.clients.size, 0);
  t.false(session.closed, 'closing a WebSocket never closes the HTTP/2 connection');
});

test('the server closing first sends its close frame then END_STREAM after the reply', async (t) => {
  const setup = await h2Server(t);
  const connected = next<[WebSocketT]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const { stream, peer, closed } = await h2Connect(session);
  const [ws] = await connected;
  ws.close(1001, 'going');
  t.deepEqual(await peer.readClose(), { code: 1001, reason: 'going' });
  peer.write(frame(8, closePayload(1001)));
  await once(stream, 'end');
  stream.end();
  t.is(await closed, 0);
  const [code] = await next<[number]>(ws, 'close');
  t.is(code, 1001);
});

test('terminate() resets the stream with CANCEL', async (t) => {
  const setup = await h2Server(t);
  const connected = next<[WebSocketT]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const { closed } = await h2Connect(session);
  const [ws] = await connected;
  const serverClosed = next<[number]>(ws, 'close');
  ws.terminate();
  t.is(await closed, http2.constants.NGHTTP2_CANCEL);
  t.is((await serverClosed)[0], 1006);
  const again = await h2Connect(session);
  t.is(again.status, 200, 'the session survives');
});

test('a peer reset mid-message closes with 1006 and frees the WebSocket', async (t) => {
  const setup = await h2Server(t);
  const connected = next<[WebSocketT]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const { stream, peer } = await h2Connect(session);
  const [ws] = await connected;
  const errors: Error[] = [];
  ws.on('error', (err: Error) => errors.push(err));
  const message = frame(2, Buffer.alloc(200_000, 1));
  peer.write(message.subarray(0, 70_000));
  await new Promise((resolve) => setTimeout(resolve, 50));
  stream.close(http2.constants.NGHTTP2_CANCEL);
  const [code] = await next<[number]>(ws, 'close');
  t.is(code, 1006);
  t.is(ws.readyState, WebSocket.CLOSED);
  t.is(setup.wss.clients.size, 0);
  t.deepEqual(errors, []);
});

test('subprotocols and handleProtocols work as over HTTP/1.1', async (t) => {
  const seen: string[][] = [];
  const setup = await h2Server(t, {
    wssOptions: {
      handleProtocols: (protocols: Set<string>, req: http2.Http2ServerRequest) => {
        seen.push([...protocols, req.httpVersion]);
        return 'superchat';
      },
    },
  });
  const connected = next<[WebSocketT]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const { status, headers } = await h2Connect(session, { 'sec-websocket-protocol': 'chat, superchat' });
  t.is(status, 200);
  t.is(headers['sec-websocket-protocol'], 'superchat');
  const [ws] = await connected;
  t.is(ws.protocol, 'superchat');
  t.deepEqual(seen, [['chat', 'superchat', '2.0']]);
  const bad = await h2Connect(session, { 'sec-websocket-protocol': 'a, a' });
  t.is(bad.status, 400);
});

test('permessage-deflate is negotiated over HTTP/2 and messages are compressed', async (t) => {
  const setup = await h2Server(t, { wssOptions: { perMessageDeflate: { threshold: 0 } } });
  echoOn(setup.wss);
  const connected = next<[WebSocketT]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const { headers, peer } = await h2Connect(session, { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' });
  t.regex(String(headers['sec-websocket-extensions']), /^permessage-deflate/);
  const [ws] = await connected;
  t.is(ws.extensions, 'permessage-deflate');
  const zlib = await import('node:zlib');
  const text = 'compress me '.repeat(50);
  const deflated = zlib.deflateRawSync(text, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  peer.write(frame(1, deflated.subarray(0, deflated.length - 4), { rsv: 4 }));
  const reply = await peer.readFrame();
  t.is(reply.rsv, 4, 'the echo is compressed');
  const inflated = zlib.inflateRawSync(Buffer.concat([reply.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  t.is(inflated.toString(), text);
});

test('verifyClient sees origin, secure and the HTTP/2 request; refusals answer with their status', async (t) => {
  const infos: unknown[] = [];
  const setup = await h2Server(t, {
    tls: true,
    wssOptions: {
      verifyClient: (info: { origin: string; secure: boolean; req: http2.Http2ServerRequest }, cb: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => {
        infos.push([info.origin, info.secure, info.req.httpVersion]);
        if (info.req.url === '/deny') cb(false, 403, 'no entry', { 'x-why': 'test' });
        else cb(true);
      },
    },
  });
  const session = await h2Session(t, setup);
  const ok = await h2Connect(session, { origin: 'https://app.example' });
  t.is(ok.status, 200);
  const denied = await h2Connect(session, { ':path': '/deny' });
  t.is(denied.status, 403);
  t.is(denied.headers['x-why'], 'test');
  const body = await denied.peer.readToEnd();
  t.is(body.toString(), 'no entry');
  t.deepEqual(infos, [['https://app.example', true, '2.0'], [undefined, true, '2.0']]);
});

test("the 'headers' event edits the 200 response like the 101", async (t) => {
  const setup = await h2Server(t);
  setup.wss.on('headers', (lines: string[], req: http.IncomingMessage) => {
    t.is(lines[0], 'HTTP/2 200');
    t.is(req.httpVersion, '2.0');
    lines.push('Set-Cookie: a=1', 'Set-Cookie: b=2', 'X-Served-By: ferrows');
  });
  const session = await h2Session(t, setup);
  const { status, headers } = await h2Connect(session);
  t.is(status, 200);
  t.deepEqual(headers['set-cookie'], ['a=1', 'b=2']);
  t.is(headers['x-served-by'], 'ferrows');
});

test('refusals: another :protocol 501, plain CONNECT 405, a bad version 400 naming 13, a wrong path 400', async (t) => {
  const setup = await h2Server(t, { wssOptions: { path: '/ws' } });
  const clientErrors: string[] = [];
  const session = await h2Session(t, setup);
  const other = await h2Connect(session, { ':path': '/ws', ':protocol': 'webtransport' });
  t.is(other.status, 501);
  const version = await h2Connect(session, { ':path': '/ws', 'sec-websocket-version': '8' });
  t.is(version.status, 400);
  t.is(version.headers['sec-websocket-version'], '13');
  const missing = await h2Connect(session, { ':path': '/ws', 'sec-websocket-version': undefined });
  t.is(missing.status, 400);
  const path = await h2Connect(session, { ':path': '/elsewhere' });
  t.is(path.status, 400);
  const plain = session.request({ ':method': 'CONNECT', ':authority': '127.0.0.1:1' });
  plain.on('error', () => {});
  const [plainHeaders] = (await once(plain, 'response')) as [http2.IncomingHttpHeaders];
  t.is(Number(plainHeaders[':status']), 405);
  setup.wss.on('wsClientError', (err: Error, stream: http2.ServerHttp2Stream) => {
    clientErrors.push(err.message);
    stream.respond({ ':status': 418 });
    stream.end();
  });
  const custom = await h2Connect(session, { ':path': '/ws', ':protocol': 'nope' });
  t.is(custom.status, 418);
  t.deepEqual(clientErrors, ['Unsupported :protocol']);
  t.is(setup.wss.clients.size, 0);
});

test('an extended CONNECT with an empty :path or :authority is malformed: the stream is reset, no WebSocket', async (t) => {
  const setup = await h2Server(t);
  let connections = 0;
  setup.wss.on('connection', () => connections++);
  const session = await h2Session(t, setup);
  const noPath = await h2Connect(session, { ':path': '' });
  t.is(noPath.status, 0);
  t.is(await noPath.closed, http2.constants.NGHTTP2_PROTOCOL_ERROR);
  const noScheme = await h2Connect(session, { ':authority': '' });
  t.is(noScheme.status, 0);
  t.is(await noScheme.closed, http2.constants.NGHTTP2_PROTOCOL_ERROR);
  t.is(connections, 0);
  t.is((await h2Connect(session)).status, 200, 'the session survives');
});

test("a server with a 'request' app serves its pages and, on the same port, WebSockets over h2 and HTTP/1.1", async (t) => {
  const setup = await h2Server(t, {
    tls: true,
    app: (req, res) => res.end(`page over ${req.httpVersion}`),
  });
  echoOn(setup.wss);
  const versions: string[] = [];
  setup.wss.on('connection', (_ws: WebSocketT, req: http.IncomingMessage) => versions.push(req.httpVersion));
  const session = await h2Session(t, setup);
  const page = session.request({ ':path': '/' });
  const chunks: Buffer[] = [];
  page.on('data', (c: Buffer) => chunks.push(c));
  await once(page, 'end');
  t.is(Buffer.concat(chunks).toString(), 'page over 2.0');
  const { status, peer } = await h2Connect(session);
  t.is(status, 200, 'not the compatibility layer 405');
  await new Promise((resolve) => setTimeout(resolve, 100));
  peer.write(frame(1, 'still open'));
  t.is((await peer.readFrame()).payload.toString(), 'still open');
  const h1 = await openRealClient(`wss://127.0.0.1:${setup.port}`, undefined, { ca: setup.cert, servername: 'localhost' } as Record<string, unknown>);
  const echoed = next<[Buffer]>(h1, 'message');
  h1.send('over http/1.1');
  t.is((await echoed)[0].toString(), 'over http/1.1');
  h1.terminate();
  t.deepEqual(versions.sort(), ['1.1', '2.0']);
});

test('noServer: handleStream takes a stream from a user-owned http2 server', async (t) => {
  const { WebSocketServer } = WebSocket;
  const wss = new WebSocketServer({ noServer: true });
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  server.on('stream', (stream, headers) => {
    if (headers[':path'] !== '/ws') {
      stream.respond({ ':status': 404 });
      stream.end();
      return;
    }
    wss.handleStream(stream, headers, (ws: WebSocketT, req: http.IncomingMessage) => {
      ws.send(`hello ${req.httpVersion} ${req.url}`);
      t.throws(() => wss.handleStream(stream, headers, () => {}), { message: /more than once/ });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as import('node:net').AddressInfo).port;
  t.teardown(() => {
    server.close();
    for (const ws of wss.clients) ws.terminate();
  });
  const session = await h2Session(t, { origin: `http://127.0.0.1:${port}`, cert: Buffer.alloc(0) });
  const { status, peer } = await h2Connect(session, { ':path': '/ws' });
  t.is(status, 200);
  t.is((await peer.readFrame()).payload.toString(), 'hello 2.0 /ws');
  t.is((await h2Connect(session, { ':path': '/other' })).status, 404);
});

test('wss.close() in server mode stops handling streams and leaves the HTTP/2 server alone', async (t) => {
  const setup = await h2Server(t);
  const session = await h2Session(t, setup);
  t.is((await h2Connect(session)).status, 200);
  const closed = new Promise<void>((resolve) => setup.wss.close(() => resolve()));
  t.is(setup.server.listenerCount('stream'), 0);
  t.is(setup.server.listenerCount('connect'), 0);
  t.is(setup.wss.clients.size, 1, "as in ws, close() leaves the server mode's clients open");
  for (const ws of setup.wss.clients) ws.terminate();
  await closed;
  t.true(setup.server.listening);
});

test('maxPayload closes with 1009 over HTTP/2', async (t) => {
  const setup = await h2Server(t, { wssOptions: { maxPayload: 1000 } });
  const connected = next<[WebSocketT]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const { peer, stream, closed } = await h2Connect(session);
  const [ws] = await connected;
  const errors: string[] = [];
  ws.on('error', (err: Error & { code?: string }) => errors.push(err.code ?? ''));
  peer.write(frame(2, Buffer.alloc(1001)));
  t.is((await peer.readClose()).code, 1009);
  await once(stream, 'end');
  stream.end();
  t.is((await next<[number]>(ws, 'close'))[0], 1006, 'as ws reports its own protocol errors');
  t.deepEqual(errors, ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']);
  t.is(await closed, 0);
});

test('a deflate bomb over HTTP/2 closes with 1009 without inflating it all', async (t) => {
  const setup = await h2Server(t, { wssOptions: { perMessageDeflate: true, maxPayload: 64 * 1024 } });
  const connected = next<[WebSocketT]>(setup.wss, 'connection');
  const session = await h2Session(t, setup);
  const { peer } = await h2Connect(session, { 'sec-websocket-extensions': 'permessage-deflate' });
  const [ws] = await connected;
  ws.on('error', () => {});
  const zlib = await import('node:zlib');
  const bomb = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  peer.write(frame(2, bomb.subarray(0, bomb.length - 4), { rsv: 4 }));
  t.is((await peer.readClose()).code, 1009);
  t.true(process.memoryUsage().rss < 1024 * 1024 * 1024);
});
