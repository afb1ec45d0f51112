/**
 * `WebSocketStream` on the server: `WebSocketStream.from(ws)` inside `'connection'` and the server's
 * `'stream'` event, echoing through `readable.pipeTo(writable)` to the real `ws` client and to our
 * client; and backpressure end to end in both directions — a writer facing a peer that stopped
 * reading stalls with bounded memory and resumes, and a consumer that stops reading pauses the
 * socket so TCP pushes back on a flooding peer, losing nothing.
 */
import test, { type ExecutionContext } from 'ava';
import type { IncomingMessage } from 'node:http';
import { listen, messages, next, shutdown, WebSocket, type WebSocketT } from './helpers.ts';
import { RealWs } from './helpers-client.ts';
import { memory, MiB } from './helpers-protocol.ts';
import {
  isNative,
  pendingAfter,
  rawClient,
  sequenced,
  sequenceOf,
  settle,
  withJsTransport,
  WebSocketStream,
  type WebSocketStreamT,
} from './helpers-websocket-stream.ts';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Echoes a server-side stream back to its peer. */
async function echo(stream: WebSocketStreamT): Promise<void> {
  const { readable, writable } = await stream.opened;
  await readable.pipeTo(writable).catch(() => undefined);
}

test('WebSocketStream.from(ws) in connection echoes to the real ws client, text as text and binary as binary', async (t) => {
  const { wss, url } = await listen();
  const streams: WebSocketStreamT[] = [];
  wss.on('connection', (ws: WebSocketT) => {
    const stream = WebSocketStream.from(ws);
    streams.push(stream);
    void echo(stream);
  });
  const client = new RealWs(url);
  await next(client, 'open');
  const got = messages(client as unknown as WebSocketT, 3);
  client.send('text ✓');
  client.send(Buffer.from([0, 1, 255]));
  client.send(Buffer.from('utf-8 bytes as binary'), { binary: true });
  const [[a, aBinary], [b, bBinary], [c, cBinary]] = await got;
  t.deepEqual([a.toString(), aBinary], ['text ✓', false]);
  t.deepEqual([[...b], bBinary], [[0, 1, 255], true]);
  t.deepEqual([c.toString(), cBinary], ['utf-8 bytes as binary', true]);
  const { protocol, extensions } = await streams[0]!.opened;
  t.is(protocol, '');
  t.is(extensions, '');
  client.close(4000, 'client done');
  t.deepEqual(await streams[0]!.closed, { closeCode: 4000, reason: 'client done' });
  const [code] = await next<[number]>(client, 'close');
  t.is(code, 4000);
  await shutdown(wss);
});

test("the server's 'stream' event hands a stream and the request, alongside 'connection'", async (t) => {
  const { wss, url } = await listen({ perMessageDeflate: true, handleProtocols: () => 'echo' });
  const order: string[] = [];
  const requests: IncomingMessage[] = [];
  wss.on('connection', () => order.push('connection'));
  wss.on('stream', (stream: WebSocketStreamT, req: IncomingMessage) => {
    order.push('stream');
    requests.push(req);
    t.true(stream instanceof WebSocketStream);
    void echo(stream);
  });
  const client = new WebSocket(`${url}/room?id=7`, ['echo']);
  await next(client, 'open');
  t.deepEqual(order, ['connection', 'stream']);
  t.is(requests[0]?.url, '/room?id=7');
  t.is(client.extensions, 'permessage-deflate');
  const got = messages(client, 2);
  client.send('over the stream event');
  client.send(new Uint8Array([4, 5, 6]));
  const [[text, textBinary], [bin, binBinary]] = await got;
  t.deepEqual([text.toString(), textBinary], ['over the stream event', false]);
  t.deepEqual([[...bin], binBinary], [[4, 5, 6], true]);
  client.close(1000);
  await next(client, 'close');
  await shutdown(wss);
});

test("the server's 'stream' stream reports the negotiated protocol and extension", async (t) => {
  const { wss, url } = await listen({ perMessageDeflate: true, handleProtocols: () => 'echo' });
  const stream = new Promise<WebSocketStreamT>((resolve) => wss.on('stream', resolve));
  const client = new WebSocket(url, ['echo']);
  const { protocol, extensions } = await (await stream).opened;
  t.is(protocol, 'echo');
  t.is(extensions, 'permessage-deflate');
  client.terminate();
  await shutdown(wss);
});

test('a server-side stream closes with a code and the client sees it', async (t) => {
  const { wss, url } = await listen();
  wss.on('stream', (stream: WebSocketStreamT) => {
    void stream.opened.then(async ({ writable }) => {
      const writer = writable.getWriter();
      await writer.write('goodbye');
      stream.close({ closeCode: 4003, reason: 'server closing' });
    });
  });
  const client = new WebSocket(url);
  const got = messages(client, 1);
  const [code, reason] = await next<[number, Buffer]>(client, 'close');
  t.is((await got)[0]![0].toString(), 'goodbye');
  t.is(code, 4003);
  t.is(reason.toString(), 'server closing');
  await shutdown(wss);
});

/**
 * Runs `body` on the native transport and with FERROWS_NO_NATIVE set. Serially: these tests
 * measure the process's memory and flood sockets, so they must not overlap each other.
 */
function bothTransports(title: string, body: (t: ExecutionContext, native: boolean) => Promise<void>): void {
  test.serial(`${title} (native transport)`, (t) => body(t, true));
  test.serial(`${title} (js transport)`, (t) => withJsTransport(() => body(t, false)));
}

/**
 * A raw client peer and the server's side of its connection as a WebSocketStream, torn down
 * with the test. `onConnection` runs right after the stream is made from the server's socket.
 */
async function streamWithRawPeer(t: ExecutionContext, native: boolean, onConnection?: (ws: WebSocketT) => void) {
  const { wss, port } = await listen();
  const opened = new Promise<[WebSocketT, WebSocketStreamT]>((resolve) =>
    wss.on('connection', (ws: WebSocketT) => {
      const stream = WebSocketStream.from(ws);
      onConnection?.(ws);
      resolve([ws, stream]);
    }),
  );
  const peer = await rawClient(port);
  t.teardown(async () => {
    peer.close();
    await shutdown(wss);
  });
  const [ws, stream] = await opened;
  t.is(isNative(ws), native);
  return { ws, stream, peer };
}

bothTransports('a writer facing a peer that stopped reading stalls with bounded memory, then resumes', async (t, native) => {
  const { wss, port } = await listen();
  const opened = new Promise<WebSocketStreamT>((resolve) => wss.on('connection', (ws: WebSocketT) => {
    t.is(isNative(ws), native);
    resolve(WebSocketStream.from(ws));
  }));
  const peer = await rawClient(port);
  let stop = false;
  // Assertions throw: the cleanup must run from teardown.
  t.teardown(async () => {
    stop = true;
    peer.close();
    await shutdown(wss);
  });
  peer.socket.pause();
  const stream = await opened;
  const writer = (await stream.opened).writable.getWriter();
  const chunk = new Uint8Array(64 * 1024).fill(0x5a);
  let written = 0;
  const before = memory();
  const writing = (async () => {
    // Capped, and yielding to the event loop now and then, so a writer that never stalls fails
    // the assertions below instead of starving the loop or the machine's memory.
    while (!stop && written < 64 * MiB) {
      await writer.ready;
      if (stop) return;
      writer.write(chunk).catch(() => undefined);
      written += chunk.length;
      if (written % (16 * chunk.length) === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  })().catch(() => undefined);
  // Long enough for the kernel buffers on both ends to fill and the writer to settle.
  await delay(1500);
  const plateau = written;
  await delay(500);
  const after = memory();
  t.true(written < 32 * MiB, `the writer kept going: ${written} bytes written to a peer that reads nothing`);
  t.is(written, plateau, 'the writer stalled');
  t.true((writer.desiredSize ?? 1) <= 0, `desiredSize ${writer.desiredSize}`);
  t.true(await pendingAfter(writer.ready, 100), 'ready stays pending');
  t.true(after.rss - before.rss < 64 * MiB, `rss grew by ${(after.rss - before.rss) / MiB} MiB`);
  t.true(after.external - before.external < 32 * MiB, `external grew by ${(after.external - before.external) / MiB} MiB`);
  t.is(peer.bytes(), 0, 'the paused peer has read nothing');

  peer.socket.resume();
  const target = written + 4 * MiB;
  const deadline = Date.now() + 10000;
  while (written < target && Date.now() < deadline) await delay(20);
  t.true(written >= target, `the writer continued after the peer resumed (${written - plateau} more bytes)`);
  t.true(peer.bytes() > plateau, 'the peer received what was written before');
  stop = true;
  peer.close();
  await writing;
  t.false((await settle(stream.closed)).ok, 'closed rejects: the peer vanished');
});

bothTransports('a consumer that stops reading pauses the socket and TCP pushes back, then nothing is lost', async (t, native) => {
  const { ws, stream, peer } = await streamWithRawPeer(t, native);
  const { readable } = await stream.opened;
  t.false(ws.isPaused, 'not paused before anything arrives');

  // Flood until the peer's socket buffers in user space and no 'drain' comes for a while.
  const size = 16 * 1024;
  let sent = 0;
  let drained = false;
  peer.socket.on('drain', () => (drained = true));
  let pushedBack = false;
  while (sent * size < 256 * MiB) {
    if (peer.socket.write(sequenced(sent++, size))) continue;
    drained = false;
    await delay(300);
    // Under a loaded machine the server may still be reading: wait for a drain or for the pause.
    const patience = Date.now() + 10_000;
    while (!drained && !ws.isPaused && Date.now() < patience) await delay(50);
    if (!drained && ws.isPaused && peer.socket.writableLength > 0) {
      pushedBack = true;
      break;
    }
  }
  t.true(pushedBack, `TCP backpressure never reached the flooding peer after ${sent} messages`);
  t.true(ws.isPaused, 'the WebSocket is paused while nobody reads');
  const buffered = peer.socket.writableLength;
  await delay(300);
  t.false(drained, 'still no drain while the consumer does not read');
  t.true(peer.socket.writableLength >= buffered, 'the peer write buffer does not shrink');

  const reader = readable.getReader();
  let expected = 0;
  let resumed = false;
  while (expected < sent) {
    const { value, done } = await reader.read();
    if (done) break;
    const n = sequenceOf(value);
    if (n !== expected) break;
    expected++;
    if (!ws.isPaused) resumed = true;
  }
  t.is(expected, sent, 'every message arrived, in order');
  t.true(resumed, 'the WebSocket resumed while the consumer read');
  await delay(50);
  t.is(peer.socket.writableLength, 0, 'the peer flushed its buffer');
  peer.close();
  t.false((await settle(stream.closed)).ok, 'closed rejects: the peer vanished');
});

bothTransports('an unread readable buffers about 1 MiB of large messages, not a fixed count of them', async (t, native) => {
  let delivered = 0;
  const { ws, stream, peer } = await streamWithRawPeer(t, native, (socket) => socket.on('message', () => delivered++));
  const { readable } = await stream.opened;

  // 32 messages of 1 MiB: far more than the kernel buffers hold, so only pausing stops delivery.
  const count = 32;
  for (let n = 0; n < count; n++) peer.socket.write(sequenced(n, MiB));
  const deadline = Date.now() + 5000;
  while (!ws.isPaused && Date.now() < deadline) await delay(20);
  await delay(500);
  t.true(ws.isPaused, 'paused while nobody reads');
  t.true(delivered <= 4, `${delivered} messages of 1 MiB were taken off the socket before it paused`);

  const reader = readable.getReader();
  for (let expected = 0; expected < count; expected++) {
    const { value } = await reader.read();
    t.is(sequenceOf(value!), expected);
  }
  peer.close();
  t.false((await settle(stream.closed)).ok, 'closed rejects: the peer vanished');
});
