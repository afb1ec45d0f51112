/**
 * WebSocketServer over an external `https.Server` (ws-api.md S4, S19 `secure`): TLS sockets stay
 * on the JS-owned transport and behave like the native path — echo, deflate, close handshake,
 * and the same handshake rejections — with a throwaway self-signed certificate.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { acceptFor, frame, next, RawPeer, WebSocketServer, type ServerT, type WebSocketT } from './helpers.ts';
import { closeAll, isNative, newKey, nextConnection, openRealClient, parseResponse, selfSignedCert, upgradeRequest } from './helpers-server.ts';

/** An https.Server on an ephemeral port carrying a WebSocketServer; both closed at teardown. */
async function secureServer(t: ExecutionContext, options: Record<string, unknown> = {}): Promise<{ wss: ServerT; port: number; url: string; cert: Buffer }> {
  const { key, cert } = selfSignedCert();
  const server = https.createServer({ key, cert }, (_req, res) => res.end('plain https'));
  const wss = new WebSocketServer({ server, ...options });
  t.teardown(async () => {
    await closeAll(wss);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const listening = next(wss, 'listening');
  server.listen(0, '127.0.0.1');
  await listening;
  const port = (server.address() as AddressInfo).port;
  return { wss, port, url: `wss://127.0.0.1:${port}`, cert };
}

/** A raw TLS peer trusting the test certificate. */
async function tlsPeer(port: number, cert: Buffer, bytes: string | Buffer): Promise<RawPeer> {
  const socket = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  await once(socket, 'secureConnect');
  const peer = new RawPeer(socket);
  socket.write(bytes);
  return peer;
}

test('an https.Server upgrade runs on the JS transport and echoes text and binary', async (t) => {
  const { wss, url, cert } = await secureServer(t);
  wss.on('connection', (ws: WebSocketT) => ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })));
  const connected = nextConnection(wss);
  const client = await openRealClient(url, undefined, { ca: cert });
  const [serverWs, req] = await connected;
  t.false(isNative(serverWs), 'TLS sockets are not adopted');
  t.true((req.socket as tls.TLSSocket).encrypted);
  const got: [string, boolean][] = [];
  client.on('message', (data: Buffer, isBinary: boolean) => got.push([data.toString('hex'), isBinary]));
  client.send('héllo tls');
  client.send(Buffer.alloc(70_000, 0xab));
  while (got.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  t.deepEqual(got[0], [Buffer.from('héllo tls').toString('hex'), false]);
  t.is(got[1]![0], 'ab'.repeat(70_000));
  t.true(got[1]![1]);
  const serverClosed = next<[number, Buffer]>(serverWs, 'close');
  client.close(4001, 'tls bye');
  t.deepEqual((await next<[number, Buffer]>(client, 'close')).map(String), ['4001', 'tls bye']);
  const [code, reason] = await serverClosed;
  t.is(code, 4001);
  t.is(reason.toString(), 'tls bye');
  t.is(wss.clients!.size, 0);
});

test('verifyClient sees secure: true over TLS', async (t) => {
  const infos: { secure: boolean; origin: string | undefined }[] = [];
  const { url, cert } = await secureServer(t, {
    verifyClient: (info: { secure: boolean; origin: string | undefined; req: http.IncomingMessage }) => {
      infos.push({ secure: info.secure, origin: info.origin });
      return true;
    },
  });
  const client = await openRealClient(url, undefined, { ca: cert, origin: 'https://app.example' });
  client.terminate();
  t.deepEqual(infos, [{ secure: true, origin: 'https://app.example' }]);
});

test('permessage-deflate and subprotocols negotiate over TLS', async (t) => {
  const { wss, url, cert } = await secureServer(t, { perMessageDeflate: true });
  wss.on('connection', (ws: WebSocketT) => ws.on('message', (data: Buffer) => ws.send(data.toString().toUpperCase())));
  const client = await openRealClient(url, ['v2.chat', 'v1.chat'], { ca: cert, perMessageDeflate: true });
  t.is(client.protocol, 'v2.chat');
  t.is(client.extensions, 'permessage-deflate');
  const reply = next<[Buffer]>(client, 'message');
  client.send('compress me '.repeat(500));
  t.is((await reply)[0].toString(), 'COMPRESS ME '.repeat(500));
  client.close();
  await next(client, 'close');
});

test('over TLS the 101 and the error responses are byte-identical to plain TCP', async (t) => {
  const { port, cert } = await secureServer(t);
  const key = newKey();
  const ok = await tlsPeer(port, cert, upgradeRequest(port, { headers: { 'Sec-WebSocket-Key': key } }));
  t.is(await ok.readHead(), `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}`);
  ok.write(frame(9, 'tls ping'));
  const pong = await ok.readFrame();
  t.is(pong.opcode, 10);
  t.is(pong.payload.toString(), 'tls ping');
  ok.socket.destroy();
  const bad = await tlsPeer(port, cert, upgradeRequest(port, { headers: { 'Sec-WebSocket-Version': '7' } }));
  const res = parseResponse((await bad.readToEnd()).toString('latin1'));
  t.is(
    res.raw,
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 47\r\n' +
      'Sec-WebSocket-Version: 13, 8\r\n\r\nMissing or invalid Sec-WebSocket-Version header',
  );
});

test('A10 over TLS: frames written with the upgrade request are not lost', async (t) => {
  const { wss, port, cert } = await secureServer(t);
  const received = new Promise<string>((resolve) => wss.on('connection', (ws: WebSocketT) => ws.on('message', (d: Buffer) => resolve(d.toString()))));
  const peer = await tlsPeer(port, cert, Buffer.concat([Buffer.from(upgradeRequest(port), 'latin1'), frame(1, 'same write')]));
  t.regex(await peer.readHead(), /^HTTP\/1\.1 101 /);
  t.is(await received, 'same write');
  peer.socket.destroy();
});

test('a plain https request still reaches the user request handler', async (t) => {
  const { port, cert } = await secureServer(t);
  const peer = await tlsPeer(port, cert, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const res = parseResponse((await peer.readToEnd()).toString('latin1'));
  t.is(res.status, 200);
  t.true(res.body.includes('plain https'));
});
