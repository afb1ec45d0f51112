/**
 * `WebSocketServer#shutdown` (issue 13, graceful shutdown for a deploy): the listener stops, each
 * client gets every byte already queued for it, then the close code, then FIN; a client that never
 * answers is terminated at the timeout; the promise resolves once the server has closed.
 */
import test from 'ava';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { listen, next, rawUpgrade, type WebSocketT, WebSocketServer } from './helpers.ts';

type Drainable = { shutdown(options?: { code?: number; reason?: string; timeout?: number }, cb?: (err?: Error) => void): Promise<void> };

/** A masked client close frame with `code`. */
function clientClose(code: number): Buffer {
  const key = Buffer.from([1, 2, 3, 4]);
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  for (let i = 0; i < 2; i++) payload[i]! ^= key[i]!;
  return Buffer.concat([Buffer.from([0x88, 0x82]), key, payload]);
}

/** Resolves with the error (or `'refused'`) of a TCP connect to `port`. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

test.serial('queued data, then 1001, then FIN reach a paused peer; the port stops listening', async (t) => {
  const { wss, port } = await listen();
  const accepted = next<[WebSocketT]>(wss, 'connection');
  const { peer, head } = await rawUpgrade(port);
  t.regex(head, /^HTTP\/1\.1 101/);
  const [ws] = await accepted;
  peer.socket.pause();
  const size = 8 * 1024 * 1024;
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = i % 251;
  ws.send(data);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.true(ws.bufferedAmount > 0, 'the 8 MiB are still queued while the peer is paused');

  let resolved = false;
  const drained = (wss as unknown as Drainable).shutdown({ timeout: 5000 }).then(() => (resolved = true));
  t.is(await connectOutcome(port), 'ECONNREFUSED');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.false(resolved, 'shutdown waits for the closing handshake');
  peer.socket.resume();

  const received: Buffer[] = [];
  let close: { code: number | undefined } | undefined;
  while (!close) {
    const frame = await peer.readFrame(10_000);
    if (frame.opcode === 8) close = { code: frame.payload.length ? frame.payload.readUInt16BE(0) : undefined };
    else received.push(frame.payload);
  }
  t.true(Buffer.concat(received).equals(data), 'every queued byte arrived, unchanged, before the close frame');
  t.is(close.code, 1001);
  peer.write(clientClose(1001));
  await peer.waitClosed(5000);
  await drained;
  t.is(ws.readyState, ws.CLOSED);
});

test.serial('a client that never answers the close is terminated at the timeout', async (t) => {
  const { wss, port } = await listen();
  const accepted = next<[WebSocketT]>(wss, 'connection');
  const { peer } = await rawUpgrade(port);
  const [ws] = await accepted;
  const closed = next<[number]>(ws, 'close');
  const started = Date.now();
  await (wss as unknown as Drainable).shutdown({ timeout: 300 });
  const took = Date.now() - started;
  t.true(took >= 290 && took < 2000, `resolved after ${took} ms`);
  t.is((await peer.readClose()).code, 1001);
  await peer.waitClosed(2000);
  t.is((await closed)[0], 1006);
});

test.serial('code, reason and callback; on a user server new upgrades are refused while draining', async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const accepted = next<[WebSocketT]>(wss, 'connection');
  const { peer } = await rawUpgrade(port);
  await accepted;
  const calledBack = new Promise<Error | undefined>((resolve) => {
    void (wss as unknown as Drainable).shutdown({ code: 1012, reason: 'restart', timeout: 5000 }, resolve);
  });
  const { code, reason } = await peer.readClose();
  t.is(code, 1012);
  t.is(reason, 'restart');
  const late = net.connect(port, '127.0.0.1');
  late.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const answer: Buffer[] = [];
  late.on('data', (chunk: Buffer) => answer.push(chunk));
  late.on('error', () => {});
  // The server is the user's: with no 'upgrade' listener left Node treats the request as a plain
  // one (this server has no 'request' handler). What matters is that no WebSocket is opened.
  await new Promise((resolve) => setTimeout(resolve, 300));
  late.destroy();
  t.notRegex(Buffer.concat(answer).toString('latin1'), /^HTTP\/1\.1 101/, 'no upgrade while draining');
  peer.write(clientClose(1012));
  t.is(await calledBack, undefined);
  server.close();
});

test('a bad timeout is a TypeError, thrown before anything is closed', async (t) => {
  const { wss } = await listen();
  t.throws(() => (wss as unknown as Drainable).shutdown({ timeout: -1 }), { instanceOf: TypeError });
  t.throws(() => (wss as unknown as Drainable).shutdown({ timeout: Number.NaN }), { instanceOf: TypeError });
  await (wss as unknown as Drainable).shutdown();
  t.pass();
});
