/**
 * `WebSocketStream` as a client: what `opened` resolves to, message types in both directions, how
 * `closed` settles (client close, server close, close() without arguments), and the writable/readable
 * ends. Abort signals and failures are in `websocket-stream-errors.spec.ts`, the server side and
 * backpressure in `websocket-stream-server.spec.ts`.
 */
import test from 'ava';
import { listen, shutdown, type WebSocketT } from './helpers.ts';
import { isNative, record, settle, withJsTransport, WebSocketStream } from './helpers-websocket-stream.ts';

const echoing = (ws: WebSocketT): void => {
  ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
};

test('opened resolves with the negotiated protocol and permessage-deflate', async (t) => {
  const { wss, url } = await listen({ perMessageDeflate: true, handleProtocols: (offered: Set<string>) => [...offered][1] });
  const stream = new WebSocketStream(url, { protocols: ['chat.v1', 'chat.v2'] });
  t.is(stream.url, `${url}/`);
  const opened = await stream.opened;
  t.deepEqual(Object.keys(opened).sort(), ['extensions', 'protocol', 'readable', 'writable']);
  t.is(opened.protocol, 'chat.v2');
  t.is(opened.extensions, 'permessage-deflate');
  t.true(opened.readable instanceof ReadableStream);
  t.true(opened.writable instanceof WritableStream);
  stream.close();
  await stream.closed;
  await shutdown(wss);
});

test('opened reports no extension and no protocol when the server negotiates none', async (t) => {
  const { wss, url } = await listen();
  const stream = new WebSocketStream(url);
  const { extensions, protocol } = await stream.opened;
  t.is(extensions, '');
  t.is(protocol, '');
  stream.close();
  await stream.closed;
  await shutdown(wss);
});

test('client options pass through: perMessageDeflate false offers no extension', async (t) => {
  const { wss, url } = await listen({ perMessageDeflate: true });
  const headers = new Promise<string | undefined>((resolve) => wss.on('headers', (_h: string[], req: { headers: Record<string, string> }) => resolve(req.headers['sec-websocket-extensions'])));
  const stream = new WebSocketStream(url, { perMessageDeflate: false });
  t.is((await stream.opened).extensions, '');
  t.is(await headers, undefined);
  stream.close();
  await stream.closed;
  await shutdown(wss);
});

test('text arrives as a string and binary as a Uint8Array', async (t) => {
  const { wss, url } = await listen();
  wss.on('connection', (ws: WebSocketT) => {
    ws.send('héllo ✓');
    ws.send(Buffer.from([0, 1, 2, 254, 255]));
    ws.send(Buffer.from('text as binary'), { binary: true });
    ws.send(Buffer.from('binary as text'), { binary: false });
  });
  const stream = new WebSocketStream(url);
  const reader = (await stream.opened).readable.getReader();
  const got = [];
  for (let i = 0; i < 4; i++) got.push((await reader.read()).value);
  t.is(got[0], 'héllo ✓');
  t.true(got[1] instanceof Uint8Array);
  t.false(Buffer.isBuffer(got[1]), 'a plain Uint8Array, not a Buffer');
  t.deepEqual([...(got[1] as Uint8Array)], [0, 1, 2, 254, 255]);
  t.true(got[2] instanceof Uint8Array);
  t.is(Buffer.from(got[2] as Uint8Array).toString(), 'text as binary');
  t.is(got[3], 'binary as text');
  stream.close();
  await stream.closed;
  await shutdown(wss);
});

test('the writable sends strings as text and ArrayBuffers and every view as binary', async (t) => {
  const { wss, url } = await listen();
  const seen = record(wss);
  const stream = new WebSocketStream(url);
  const writer = (await stream.opened).writable.getWriter();
  const backing = new ArrayBuffer(16);
  new Uint8Array(backing).set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  const floats = new Float64Array([1.5, -2.25]);
  await writer.write('plain text ✓');
  await writer.write(new Uint8Array([9, 8, 7]).buffer);
  await writer.write(new Uint8Array([1, 2, 3]));
  await writer.write(new DataView(backing, 4, 3));
  await writer.write(new Uint8Array(backing).subarray(10, 13));
  await writer.write(new Int16Array(backing, 2, 2));
  await writer.write(floats);
  await writer.write(Buffer.from('a Buffer'));
  await writer.write('');
  await writer.write(new Uint8Array(0));
  const connection = await seen.connection;
  await new Promise<void>((resolve) => {
    const check = (): void => void (seen.received.length >= 10 ? resolve() : setTimeout(check, 5));
    check();
  });
  t.true(isNative(connection));
  const got = seen.received.map(({ data, isBinary }) => [isBinary, [...data]]);
  t.deepEqual(got, [
    [false, [...Buffer.from('plain text ✓')]],
    [true, [9, 8, 7]],
    [true, [1, 2, 3]],
    [true, [4, 5, 6]],
    [true, [10, 11, 12]],
    [true, [2, 3, 4, 5]],
    [true, [...new Uint8Array(floats.buffer)]],
    [true, [...Buffer.from('a Buffer')]],
    [false, []],
    [true, []],
  ]);
  stream.close();
  await stream.closed;
  await shutdown(wss);
});

test('the writable counts chunks in bytes, strings by their UTF-8 length', async (t) => {
  const { wss, url } = await listen();
  const stream = new WebSocketStream(url);
  const writer = (await stream.opened).writable.getWriter();
  const start = writer.desiredSize ?? 0;
  t.true(start > 1000, `high-water mark ${start}`);
  const pending = [writer.write('é'.repeat(100)), writer.write(new Uint8Array(300)), writer.write(new Float32Array(10))];
  t.is(writer.desiredSize, start - 200 - 300 - 40);
  await Promise.all(pending);
  t.is(writer.desiredSize, start, 'the queue empties once the bytes are handed to the connection');
  stream.close();
  await stream.closed;
  await shutdown(wss);
});

test('close({ closeCode: 4000, reason }) closes cleanly and closed resolves with them', async (t) => {
  const { wss, url } = await listen();
  const seen = record(wss);
  const stream = new WebSocketStream(url);
  const { readable, writable } = await stream.opened;
  const reader = readable.getReader();
  const writer = writable.getWriter();
  stream.close({ closeCode: 4000, reason: 'done' });
  t.deepEqual(await stream.closed, { closeCode: 4000, reason: 'done' });
  t.deepEqual(await seen.closes, { code: 4000, reason: 'done' });
  t.deepEqual(await reader.read(), { done: true, value: undefined });
  const late = await settle(writer.write('after close'));
  t.false(late.ok, 'writing after the close is rejected');
  await shutdown(wss);
});

test('close({ reason }) alone sends 1000 with the reason', async (t) => {
  const { wss, url } = await listen();
  const seen = record(wss);
  const stream = new WebSocketStream(url);
  await stream.opened;
  stream.close({ reason: 'bye' });
  t.deepEqual(await stream.closed, { closeCode: 1000, reason: 'bye' });
  t.deepEqual(await seen.closes, { code: 1000, reason: 'bye' });
  await shutdown(wss);
});

test('close() without arguments sends a close frame with no status (1005 on both sides)', async (t) => {
  const { wss, url } = await listen();
  const seen = record(wss);
  const stream = new WebSocketStream(url);
  await stream.opened;
  stream.close();
  t.deepEqual(await stream.closed, { closeCode: 1005, reason: '' });
  t.deepEqual(await seen.closes, { code: 1005, reason: '' });
  await shutdown(wss);
});

test('a server-initiated close resolves closed and ends the readable after the queued messages', async (t) => {
  const { wss, url } = await listen();
  wss.on('connection', (ws: WebSocketT) => {
    ws.send('last words');
    ws.close(4001, 'server says bye');
  });
  const stream = new WebSocketStream(url);
  const reader = (await stream.opened).readable.getReader();
  t.deepEqual(await stream.closed, { closeCode: 4001, reason: 'server says bye' });
  t.deepEqual(await reader.read(), { done: false, value: 'last words' });
  t.deepEqual(await reader.read(), { done: true, value: undefined });
  await shutdown(wss);
});

test('writer.close() performs the closing handshake and resolves once closed', async (t) => {
  const { wss, url } = await listen();
  const seen = record(wss);
  const stream = new WebSocketStream(url);
  const writer = (await stream.opened).writable.getWriter();
  await writer.write('before close');
  await writer.close();
  t.deepEqual(await settle(stream.closed), { ok: true, value: { closeCode: 1005, reason: '' } });
  t.deepEqual(await seen.closes, { code: 1005, reason: '' });
  t.is(seen.received[0]?.data.toString(), 'before close');
  await shutdown(wss);
});

test('cancelling the readable closes the connection', async (t) => {
  const { wss, url } = await listen();
  const seen = record(wss);
  const stream = new WebSocketStream(url);
  const { readable } = await stream.opened;
  await readable.cancel();
  t.true((await settle(stream.closed)).ok);
  const { code } = await seen.closes;
  t.true(code === 1000 || code === 1005, `close code ${code}`);
  await shutdown(wss);
});

test('an echo round trip keeps order over many messages', async (t) => {
  const { wss, url } = await listen({ perMessageDeflate: true });
  wss.on('connection', echoing);
  const stream = new WebSocketStream(url);
  const { readable, writable } = await stream.opened;
  const writer = writable.getWriter();
  const reader = readable.getReader();
  const n = 500;
  const sending = (async () => {
    for (let i = 0; i < n; i++) {
      await writer.ready;
      void writer.write(i % 2 ? `message ${i}` : new Uint8Array([i & 255, i >> 8]));
    }
  })();
  for (let i = 0; i < n; i++) {
    const { value } = await reader.read();
    if (i % 2) t.is(value, `message ${i}`);
    else t.deepEqual([...(value as Uint8Array)], [i & 255, i >> 8]);
  }
  await sending;
  stream.close({ closeCode: 1000 });
  t.deepEqual(await stream.closed, { closeCode: 1000, reason: '' });
  await shutdown(wss);
});

test.serial('on the JavaScript transport the stream echoes and closes the same way', async (t) => {
  await withJsTransport(async () => {
    const { wss, url } = await listen();
    let server: WebSocketT | undefined;
    wss.on('connection', (ws: WebSocketT) => {
      server = ws;
      echoing(ws);
    });
    const stream = new WebSocketStream(url);
    const { readable, writable } = await stream.opened;
    const writer = writable.getWriter();
    const reader = readable.getReader();
    await writer.write('js text');
    await writer.write(new Uint8Array([1, 2]));
    t.is((await reader.read()).value, 'js text');
    t.deepEqual([...((await reader.read()).value as Uint8Array)], [1, 2]);
    t.false(isNative(server));
    stream.close({ closeCode: 4002, reason: 'js' });
    t.deepEqual(await stream.closed, { closeCode: 4002, reason: 'js' });
    await shutdown(wss);
  });
});

test('closed resolves even if nobody ever reads opened', async (t) => {
  const { wss, url } = await listen();
  wss.on('connection', (ws: WebSocketT) => ws.close(1000));
  const stream = new WebSocketStream(url);
  t.deepEqual(await stream.closed, { closeCode: 1000, reason: '' });
  await shutdown(wss);
});
