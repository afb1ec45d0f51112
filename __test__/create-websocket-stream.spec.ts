/**
 * §7 `createWebSocketStream(ws, options)`: a Duplex over a WebSocket with ws's option handling
 * (four options forced off), one chunk per message, strings only in readable object mode,
 * backpressure through ws.pause()/resume(), writes held until 'open', `_final` closing the
 * WebSocket, `destroy()` terminating it, and WebSocket errors forwarded. Run against our server
 * and client on real loopback sockets (native transport), plus a JS-transport subset.
 */
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { frame, listen, next, shutdown, WebSocket, type ServerT, type WebSocketT } from './helpers.ts';
import { answer101, closed, rawPair, rawServer, until } from './helpers-client.ts';

const { createWebSocketStream } = WebSocket;

/** A server plus an opened-or-connecting client; everything is torn down after the test. */
async function setup(t: ExecutionContext, serverOptions: Record<string, unknown> = {}) {
  const { wss, url } = await listen(serverOptions);
  const connection = next<[WebSocketT]>(wss, 'connection');
  const ws = new WebSocket(url);
  t.teardown(async () => {
    ws.terminate();
    await shutdown(wss);
  });
  return { wss, ws, url, connection: connection.then(([c]) => c) };
}

function trackClose(duplex: Duplex): Promise<void> {
  return new Promise((resolve) => duplex.once('close', () => resolve()));
}

test('createWebSocketStream is the static on the export and returns a Duplex', (t) => {
  t.is(typeof createWebSocketStream, 'function');
  const duplex = createWebSocketStream(new EventEmitter() as unknown as WebSocketT);
  t.true(duplex instanceof Duplex);
  duplex.removeAllListeners('error');
  duplex.on('error', () => {});
});

test('user options reach the Duplex but autoDestroy, emitClose, objectMode and writableObjectMode are forced off', (t) => {
  const duplex = createWebSocketStream(new EventEmitter() as unknown as WebSocketT, {
    allowHalfOpen: false,
    readableHighWaterMark: 7,
    writableHighWaterMark: 9,
    encoding: 'utf8',
    objectMode: true,
    writableObjectMode: true,
    autoDestroy: true,
    emitClose: true,
  });
  t.false(duplex.allowHalfOpen);
  t.is(duplex.readableHighWaterMark, 7);
  t.is(duplex.writableHighWaterMark, 9);
  t.is(duplex.readableEncoding, 'utf8');
  t.false(duplex.readableObjectMode);
  t.false(duplex.writableObjectMode);
  const state = duplex as unknown as { _readableState: { autoDestroy: boolean; emitClose: boolean }; _writableState: { autoDestroy: boolean; emitClose: boolean } };
  t.false(state._readableState.autoDestroy);
  t.false(state._writableState.autoDestroy);
  t.false(state._readableState.emitClose);
  t.false(state._writableState.emitClose);
  t.true(createWebSocketStream(new EventEmitter() as unknown as WebSocketT, { readableObjectMode: true }).readableObjectMode);
});

test('the encoding option decodes a binary message to a string chunk', async (t) => {
  const { ws, connection } = await setup(t);
  const duplex = createWebSocketStream(ws, { allowHalfOpen: false, encoding: 'utf8' });
  (await connection).send(Buffer.from('hi'));
  const [chunk] = await next<[unknown]>(duplex, 'data');
  t.is(chunk, 'hi');
  (await connection).close();
  await trackClose(duplex);
});

test('each message is pushed as one chunk; text becomes a string only in readable object mode', async (t) => {
  const { ws, connection } = await setup(t);
  const objectMode = createWebSocketStream(ws, { readableObjectMode: true });
  const chunks: unknown[] = [];
  objectMode.on('data', (c: unknown) => chunks.push(c));
  const server = await connection;
  const big = randomBytes(100 * 1024);
  server.send('text one');
  server.send(Buffer.from([1, 2, 3]));
  server.send(big);
  server.send('');
  await until(() => chunks.length === 4);
  t.is(chunks[0], 'text one');
  t.deepEqual(chunks[1], Buffer.from([1, 2, 3]));
  t.deepEqual(chunks[2], big);
  t.is(chunks[3], '');
});

test('without object mode a text message arrives as a Buffer chunk', async (t) => {
  const { ws, connection } = await setup(t);
  const duplex = createWebSocketStream(ws);
  (await connection).send('héllo');
  const [chunk] = await next<[Buffer]>(duplex, 'data');
  t.true(Buffer.isBuffer(chunk));
  t.is(chunk.toString(), 'héllo');
});

test('writes made while CONNECTING are sent after open, as binary messages', async (t) => {
  const { ws, connection } = await setup(t);
  t.is(ws.readyState, WebSocket.CONNECTING);
  const duplex = createWebSocketStream(ws);
  const chunk = randomBytes(1024);
  let written = false;
  duplex.write(chunk, () => (written = true));
  duplex.write('as text?');
  const server = await connection;
  const [[first, firstBinary], [second, secondBinary]] = await new Promise<[Buffer, boolean][]>((resolve) => {
    const got: [Buffer, boolean][] = [];
    server.on('message', (d: Buffer, b: boolean) => got.push([d, b]) === 2 && resolve(got));
  });
  t.deepEqual(first, chunk);
  t.true(firstBinary);
  t.is(second.toString(), 'as text?');
  t.true(secondBinary, 'string chunks are decoded to Buffers by the Writable, so they go out binary');
  t.true(written);
});

test('backpressure: a false push pauses the WebSocket and reading resumes it', async (t) => {
  const { ws, connection } = await setup(t);
  const duplex = createWebSocketStream(ws, { readableHighWaterMark: 1024 });
  const server = await connection;
  await next(ws, 'open');
  t.false(ws.isPaused);
  for (let i = 0; i < 4; i++) server.send(randomBytes(2048));
  await until(() => ws.isPaused);
  t.true(ws.isPaused, 'paused after push() returned false');
  const received: Buffer[] = [];
  duplex.on('data', (c: Buffer) => received.push(c));
  await until(() => received.length === 4);
  t.false(ws.isPaused, 'reading resumed the WebSocket');
  t.is(received.reduce((n, c) => n + c.length, 0), 4 * 2048);
});

test('backpressure on the writable side: write() returns false and drain follows', async (t) => {
  const { ws, connection } = await setup(t);
  const server = await connection;
  const duplex = createWebSocketStream(server);
  duplex.resume();
  let received = 0;
  ws.on('message', (d: Buffer) => (received += d.length));
  const chunk = randomBytes(1024);
  let count = 0;
  while (duplex.write(chunk)) count++;
  await next(duplex, 'drain');
  await until(() => received === (count + 1) * 1024);
  const closing = trackClose(duplex);
  duplex.end();
  await closing;
  t.pass();
});

test('end() closes the WebSocket: the peer sees 1005, then finish, end and close on the stream', async (t) => {
  const { ws, connection } = await setup(t);
  const duplex = createWebSocketStream(ws);
  const server = await connection;
  await next(ws, 'open');
  const events: string[] = [];
  duplex.on('finish', () => events.push('finish'));
  duplex.on('end', () => events.push('end'));
  duplex.resume();
  const serverClosed = closed(server);
  const done = trackClose(duplex);
  duplex.end();
  const [code] = await serverClosed;
  t.is(code, 1005);
  await done;
  t.deepEqual(events, ['finish', 'end'], "ws's order: the writable side finishes before the readable side ends");
  t.is(ws.readyState, WebSocket.CLOSED);
  t.true(duplex.destroyed);
});

test('end() while CONNECTING waits for open and then closes', async (t) => {
  const { ws } = await setup(t);
  t.is(ws.readyState, WebSocket.CONNECTING);
  const duplex = createWebSocketStream(ws);
  const done = trackClose(duplex);
  duplex.resume();
  duplex.end();
  await done;
  t.is(ws.readyState, WebSocket.CLOSED);
});

test('is destroyed after finish then end when the peer closes first and the stream is ended on close', async (t) => {
  const { ws, connection } = await setup(t);
  const duplex = createWebSocketStream(ws);
  const events: string[] = [];
  duplex.on('finish', () => {
    events.push('finish');
    t.false(duplex.destroyed);
    duplex.resume();
  });
  duplex.on('end', () => events.push('end'));
  ws.on('close', () => duplex.end());
  const done = trackClose(duplex);
  const server = await connection;
  server.send('foo');
  server.close();
  await done;
  t.deepEqual(events, ['finish', 'end']);
});

test('is destroyed after end then finish when the stream is ended from its end event', async (t) => {
  const { ws, connection } = await setup(t);
  const duplex = createWebSocketStream(ws);
  const events: string[] = [];
  duplex.on('end', () => {
    events.push('end');
    t.false(duplex.destroyed);
    duplex.end();
  });
  duplex.on('finish', () => events.push('finish'));
  duplex.resume();
  const done = trackClose(duplex);
  (await connection).close();
  await done;
  t.deepEqual(events, ['end', 'finish']);
});

for (const state of ['CLOSING', 'CLOSED'] as const) {
  test(`a write while the WebSocket is ${state} errors the stream with ws's message`, async (t) => {
    const { ws, connection } = await setup(t);
    const duplex = createWebSocketStream(ws);
    await next(ws, 'open');
    const error = next<[Error]>(duplex, 'error');
    const done = trackClose(duplex);
    const server = await connection;
    if (state === 'CLOSING') {
      ws.close();
      duplex.write('hi');
    } else {
      server.close();
      await next(ws, 'close');
      duplex.write('hi');
    }
    const [err] = await error;
    t.is(err.message, `WebSocket is not open: readyState ${state === 'CLOSING' ? 2 : 3} (${state})`);
    t.true(duplex.destroyed);
    await done;
  });
}

test('destroy() terminates an open WebSocket: the peer sees 1006 without a close frame', async (t) => {
  const { ws, connection } = await setup(t);
  const duplex = createWebSocketStream(ws);
  await next(ws, 'open');
  const server = await connection;
  const serverClosed = closed(server);
  const done = trackClose(duplex);
  duplex.destroy();
  await done;
  t.is((await serverClosed)[0], 1006);
  t.is(ws.readyState, WebSocket.CLOSED);
});

test('destroy(err) emits that error on the stream and then close', async (t) => {
  const { ws } = await setup(t);
  const duplex = createWebSocketStream(ws);
  await next(ws, 'open');
  const oops = new Error('Oops');
  const error = next<[Error]>(duplex, 'error');
  const done = trackClose(duplex);
  duplex.destroy(oops);
  t.is((await error)[0], oops);
  await done;
});

test('a WebSocket error is forwarded to the stream and the close frame still goes out (no terminate)', async (t) => {
  const pair = await rawPair();
  t.teardown(() => pair.close());
  const duplex = createWebSocketStream(pair.ws);
  const error = next<[Error & { code?: string }]>(duplex, 'error');
  const done = trackClose(duplex);
  pair.conn.peer.write(frame(0x05, Buffer.alloc(0), { mask: false }));
  const [err] = await error;
  t.true(err instanceof RangeError);
  t.is(err.code, 'WS_ERR_INVALID_OPCODE');
  t.is(err.message, 'Invalid WebSocket frame: invalid opcode 5');
  t.is((await pair.conn.peer.readClose()).code, 1002);
  pair.conn.peer.socket.end();
  await done;
});

test('a failed handshake errors the stream; an end() before that does not finish it', async (t) => {
  const srv = await rawServer((conn) => answer101(conn, [], { accept: 'foo' }));
  t.teardown(() => srv.close());
  const ws = new WebSocket(srv.url);
  const duplex = createWebSocketStream(ws);
  const events: string[] = [];
  duplex.on('error', (err: Error) => events.push(`error:${err.message}`));
  duplex.on('finish', () => events.push('finish'));
  const done = trackClose(duplex);
  ws.on('upgrade', () => process.nextTick(() => duplex.end()));
  await done;
  t.deepEqual(events, ['error:Invalid Sec-WebSocket-Accept header']);
});

test('readable object mode: a text message becomes a string, then end and close', async (t) => {
  const { ws, connection } = await setup(t);
  const duplex = createWebSocketStream(ws, { readableObjectMode: true });
  const events: unknown[] = [];
  duplex.on('data', (d: unknown) => events.push(d));
  duplex.on('end', () => {
    events.push('end');
    duplex.end();
  });
  const done = trackClose(duplex);
  const server = await connection;
  server.send('foo');
  server.close();
  await done;
  t.deepEqual(events, ['foo', 'end']);
});

test('a paused stream ended while paused completes the close once resumed', async (t) => {
  const { ws, connection } = await setup(t);
  const duplex = createWebSocketStream(ws, { readableHighWaterMark: 1024 });
  (await connection).send(randomBytes(64 * 1024));
  await until(() => ws.isPaused);
  const done = trackClose(duplex);
  duplex.end();
  await until(() => ws.readyState === WebSocket.CLOSING);
  duplex.resume();
  await done;
  t.is(ws.readyState, WebSocket.CLOSED);
});

test('pipeline(): bytes piped into the stream come back through an echo server', async (t) => {
  const { ws, connection } = await setup(t);
  const server = await connection;
  server.on('message', (d: Buffer, b: boolean) => server.send(d, { binary: b }));
  const duplex = createWebSocketStream(ws);
  const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(500 + i, i));
  const received: Buffer[] = [];
  const collector = new Writable({
    write(chunk: Buffer, _e, cb) {
      received.push(chunk);
      if (received.length === parts.length) duplex.end();
      cb();
    },
  });
  await pipeline(Readable.from(parts), duplex, collector);
  t.deepEqual(Buffer.concat(received), Buffer.concat(parts));
});

test.serial('on the JS transport: messages, backpressure and end() behave the same', async (t) => {
  process.env['FERROWS_NO_NATIVE'] = '1';
  let wss: ServerT | undefined;
  try {
    const started = await listen();
    wss = started.wss;
    const connection = next<[WebSocketT]>(wss, 'connection');
    const ws = new WebSocket(started.url);
    const duplex = createWebSocketStream(ws, { readableObjectMode: true, readableHighWaterMark: 1 });
    const [server] = await connection;
    t.false((server as unknown as { _transport: { isNative: boolean } })._transport.isNative);
    server.send('one');
    server.send(Buffer.from('two'));
    await until(() => ws.isPaused);
    const chunks: unknown[] = [];
    duplex.on('data', (c: unknown) => chunks.push(c));
    await until(() => chunks.length === 2);
    t.deepEqual(chunks, ['one', Buffer.from('two')]);
    t.false(ws.isPaused);
    const serverClosed = closed(server);
    const done = trackClose(duplex);
    duplex.end();
    t.is((await serverClosed)[0], 1005);
    await done;
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
    if (wss) await shutdown(wss);
  }
});
