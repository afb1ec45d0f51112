/**
 * `WebSocketStream` abort signals and failures: aborting during the handshake (no connection left
 * on the server), an already-aborted signal (no connection attempted), aborting after open (no
 * effect), a protocol error from the peer (1002), a dropped TCP connection (1006) and a refused
 * handshake.
 */
import test from 'ava';
import { getEventListeners, once } from 'node:events';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { frame, listen, shutdown, type WebSocketT } from './helpers.ts';
import { answer101, rawServer } from './helpers-client.ts';
import { pendingAfter, settle, withJsTransport, WebSocketStream, type StreamError } from './helpers-websocket-stream.ts';

/** A TCP server that only counts connections. */
async function countingServer(): Promise<{ port: number; count(): number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    count: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

test('aborting during the handshake rejects opened and closed with an AbortError and drops the socket', async (t) => {
  const server = await rawServer(); // reads the request, never answers
  const controller = new AbortController();
  const stream = new WebSocketStream(server.url, { signal: controller.signal });
  const conn = await server.nextConn();
  t.true(await pendingAfter(stream.opened, 50), 'opened waits for the handshake');
  controller.abort();
  const [opened, closed] = await Promise.all([settle(stream.opened), settle(stream.closed)]);
  t.false(opened.ok);
  t.false(closed.ok);
  t.true(isAbortError(!opened.ok && opened.error), `opened: ${!opened.ok && opened.error.name}`);
  t.true(isAbortError(!closed.ok && closed.error), `closed: ${!closed.ok && closed.error.name}`);
  await conn.peer.waitClosed(2000);
  t.true(conn.peer.ended, 'the server-side socket is closed');
  await server.close();
});

test('aborting with a reason rejects opened and closed with that reason', async (t) => {
  const server = await rawServer();
  const controller = new AbortController();
  const stream = new WebSocketStream(server.url, { signal: controller.signal });
  const conn = await server.nextConn();
  const reason = new Error('user went away');
  controller.abort(reason);
  const opened = await settle(stream.opened);
  const closed = await settle(stream.closed);
  t.is(!opened.ok && opened.error, reason);
  t.is(!closed.ok && closed.error, reason);
  await conn.peer.waitClosed(2000);
  await server.close();
});

test('aborting with a non-Error reason rejects with that value as is', async (t) => {
  const server = await rawServer();
  const controller = new AbortController();
  const stream = new WebSocketStream(server.url, { signal: controller.signal });
  const conn = await server.nextConn();
  controller.abort('plain string reason');
  const opened = await settle(stream.opened);
  t.is(!opened.ok && (opened.error as unknown), 'plain string reason');
  await conn.peer.waitClosed(2000);
  await server.close();
});

test('close() before the handshake completes rejects opened and closed and drops the socket', async (t) => {
  const server = await rawServer();
  const stream = new WebSocketStream(server.url);
  const conn = await server.nextConn();
  stream.close({ closeCode: 1000 });
  const opened = await settle(stream.opened);
  const closed = await settle(stream.closed);
  t.false(opened.ok);
  t.false(closed.ok);
  t.is(!closed.ok && closed.error.closeCode, 1006);
  await conn.peer.waitClosed(2000);
  await server.close();
});

test('aborting while the server verifies the client leaves no connection on the server', async (t) => {
  let admit!: (ok: boolean) => void;
  let entered!: () => void;
  const verifying = new Promise<void>((resolve) => (entered = resolve));
  const { wss, url } = await listen({
    verifyClient: (_info: unknown, cb: (ok: boolean) => void) => {
      admit = cb;
      entered();
    },
  });
  let connections = 0;
  wss.on('connection', () => connections++);
  const controller = new AbortController();
  const stream = new WebSocketStream(url, { signal: controller.signal });
  await verifying;
  controller.abort();
  t.false((await settle(stream.opened)).ok);
  await new Promise((resolve) => setTimeout(resolve, 100));
  admit(true);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.is(connections, 0, 'no connection event');
  t.is(wss.clients.size, 0, 'no client tracked');
  await shutdown(wss);
});

test('an already-aborted signal rejects at once and never connects', async (t) => {
  const server = await countingServer();
  const controller = new AbortController();
  controller.abort();
  const stream = new WebSocketStream(`ws://127.0.0.1:${server.port}`, { signal: controller.signal });
  // Rejected before any I/O could happen: a microtask is enough to observe it.
  let early: unknown;
  stream.opened.catch((err: unknown) => (early = err));
  await Promise.resolve();
  await Promise.resolve();
  t.true(isAbortError(early), 'opened is already rejected');
  const closed = await settle(stream.closed, 100);
  t.true(!closed.ok && isAbortError(closed.error), 'closed is rejected too');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.is(server.count(), 0, 'no TCP connection was attempted');
  await server.close();
});

test('AbortSignal.abort(reason) rejects with the reason and never connects', async (t) => {
  const server = await countingServer();
  const reason = new TypeError('cancelled up front');
  const stream = new WebSocketStream(`ws://127.0.0.1:${server.port}`, { signal: AbortSignal.abort(reason) });
  const opened = await settle(stream.opened, 100);
  const closed = await settle(stream.closed, 100);
  t.is(!opened.ok && opened.error, reason);
  t.is(!closed.ok && closed.error, reason);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.is(server.count(), 0);
  await server.close();
});

test('aborting after open changes nothing', async (t) => {
  const { wss, url } = await listen();
  wss.on('connection', (ws: WebSocketT) => ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })));
  const controller = new AbortController();
  const stream = new WebSocketStream(url, { signal: controller.signal });
  const { readable, writable } = await stream.opened;
  controller.abort();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const writer = writable.getWriter();
  const reader = readable.getReader();
  await writer.write('still open');
  t.is((await reader.read()).value, 'still open');
  t.true(await pendingAfter(stream.closed, 50), 'closed stays pending');
  stream.close({ closeCode: 1000, reason: 'normal' });
  t.deepEqual(await stream.closed, { closeCode: 1000, reason: 'normal' });
  await shutdown(wss);
});

/** A client stream over a raw server that answers 101 and then runs `after` on the connection. */
async function overRawPeer(after: (conn: Awaited<ReturnType<Awaited<ReturnType<typeof rawServer>>['nextConn']>>) => void) {
  const server = await rawServer((conn) => answer101(conn));
  const stream = new WebSocketStream(server.url, { perMessageDeflate: false });
  const opened = await stream.opened;
  const conn = await server.nextConn();
  after(conn);
  return { server, stream, opened, conn };
}

for (const transport of ['native', 'js'] as const) {
  const title = `a frame with RSV2 set fails with 1002 and errors the readable (${transport} transport)`;
  const body = async (t: import('ava').ExecutionContext): Promise<void> => {
    const { server, stream, opened, conn } = await overRawPeer((c) => c.peer.write(frame(0x1, 'bad', { rsv: 2, mask: false })));
    const closed = await settle(stream.closed);
    t.false(closed.ok);
    const error = !closed.ok ? closed.error : undefined;
    t.is(error?.name, 'WebSocketError');
    t.is(error?.closeCode, 1002);
    t.regex(error?.message ?? '', /RSV2 and RSV3 must be clear/);
    t.is((error?.cause as { code?: string } | undefined)?.code, 'WS_ERR_UNEXPECTED_RSV_2_3');
    const read = await settle(opened.readable.getReader().read());
    t.false(read.ok);
    t.is(!read.ok ? read.error : undefined, error, 'the readable is errored with the same error');
    const write = await settle(opened.writable.getWriter().write('x'));
    t.false(write.ok, 'the writable is errored');
    const { code } = await conn.peer.readClose();
    t.is(code, 1002, 'the peer receives a 1002 close frame');
    await server.close();
  };
  if (transport === 'js') test.serial(title, (t) => withJsTransport(() => body(t)));
  else test(title, body);
}

test('a peer that drops the TCP connection rejects closed with 1006', async (t) => {
  const { server, stream, opened } = await overRawPeer((conn) => {
    conn.peer.write(frame(0x1, 'before the drop', { mask: false }));
    setTimeout(() => conn.peer.socket.destroy(), 20);
  });
  const reader = opened.readable.getReader();
  t.is((await reader.read()).value, 'before the drop');
  const closed = await settle(stream.closed);
  t.false(closed.ok);
  t.is(!closed.ok && closed.error.name, 'WebSocketError');
  t.is(!closed.ok && closed.error.closeCode, 1006);
  const read = await settle(reader.read());
  t.false(read.ok, 'the readable is errored');
  await server.close();
});

test('a refused handshake (401) rejects opened and closed', async (t) => {
  const { wss, url } = await listen({ verifyClient: () => false });
  const stream = new WebSocketStream(url);
  const opened = await settle(stream.opened);
  const closed = await settle(stream.closed);
  t.false(opened.ok);
  t.false(closed.ok);
  const error = !opened.ok ? (opened.error as StreamError) : undefined;
  t.regex(error?.message ?? '', /Unexpected server response: 401/);
  t.is(error?.closeCode, 1006);
  await shutdown(wss);
});

test('a connection refused rejects opened and closed', async (t) => {
  const server = await countingServer();
  const port = server.port;
  await server.close();
  const stream = new WebSocketStream(`ws://127.0.0.1:${port}`);
  const opened = await settle(stream.opened);
  t.false(opened.ok);
  t.regex(!opened.ok ? opened.error.message : '', /ECONNREFUSED/);
  t.false((await settle(stream.closed)).ok);
});

test('the abort listener is released once the handshake succeeds or fails', async (t) => {
  const { wss, url } = await listen({ verifyClient: (info: { req: { url?: string } }) => info.req.url !== '/refused' });
  const signal = new AbortController().signal;
  const good = new WebSocketStream(url, { signal });
  const bad = new WebSocketStream(`${url}/refused`, { signal });
  t.is(getEventListeners(signal, 'abort').length, 2);
  await good.opened;
  await settle(bad.opened);
  await settle(bad.closed);
  t.is(getEventListeners(signal, 'abort').length, 0);
  good.close();
  await good.closed;
  await shutdown(wss);
});
