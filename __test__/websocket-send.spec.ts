/**
 * send(), ping() and pong() (ws-api.md §6 W13, W14): every data type, the binary/compress/fin/mask
 * options observed as raw frames, callbacks, the CONNECTING/CLOSING/CLOSED rules and the
 * control-payload limit. Client frames are read by a raw server; server frames by a raw client.
 */
import test from 'ava';
import { frame, listen, next, rawUpgrade, shutdown, WebSocket, type WireFrame, type WebSocketT } from './helpers.ts';
import { closed, rawPair } from './helpers-client.ts';

const NOT_OPEN_0 = 'WebSocket is not open: readyState 0 (CONNECTING)';

async function frames(p: { conn: { peer: { readFrame(): Promise<WireFrame> } } }, n: number): Promise<WireFrame[]> {
  const out: WireFrame[] = [];
  for (let i = 0; i < n; i++) out.push(await p.conn.peer.readFrame());
  return out;
}

const view = (f: WireFrame) => [f.opcode, f.fin, f.payload.toString('hex')];

test('send accepts string, Buffer, ArrayBuffer, TypedArray, DataView, Array, Number and Buffer.from-able objects', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
  p.ws.send('hé');
  p.ws.send(Buffer.from([1, 2]));
  p.ws.send(new Uint8Array([3, 4]).buffer);
  p.ws.send(new Uint16Array(backing.buffer, 2, 2));
  p.ws.send(new DataView(backing.buffer, 5, 2));
  p.ws.send([7, 8, 9] as never);
  p.ws.send(42);
  p.ws.send({ valueOf: () => 'obj' } as never);
  const got = (await frames(p, 8)).map(view);
  t.deepEqual(got, [
    [1, true, Buffer.from('hé').toString('hex')],
    [2, true, '0102'],
    [2, true, '0304'],
    [2, true, '02030405'],
    [2, true, '0506'],
    [2, true, '070809'],
    [1, true, Buffer.from('42').toString('hex')],
    [2, true, Buffer.from('obj').toString('hex')],
  ]);
});

test('send accepts a Blob, sent as binary', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.send(new Blob(['blob-data']));
  const f = await p.conn.peer.readFrame();
  t.is(f.opcode, 2);
  t.is(f.payload.toString(), 'blob-data');
});

test('a Blob keeps its place in the send order', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.send('before');
  p.ws.send(new Blob(['blob']));
  p.ws.send('after');
  const got = (await frames(p, 3)).map((f) => f.payload.toString());
  t.deepEqual(got, ['before', 'blob', 'after']);
});

test('send with data Buffer.from rejects throws TypeError', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  for (const bad of [{}, { a: 1 }, Symbol('s'), () => 1]) {
    t.throws(() => p.ws.send(bad as never), { instanceOf: TypeError });
  }
  p.ws.send('still open');
  t.is((await p.conn.peer.readFrame()).payload.toString(), 'still open');
});

test('send with empty or nullish data sends an empty frame', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.send('');
  p.ws.send(undefined as never);
  p.ws.send(Buffer.alloc(0));
  t.deepEqual((await frames(p, 3)).map(view), [
    [1, true, ''],
    [2, true, ''],
    [2, true, ''],
  ]);
});

test('the binary option overrides the type detection', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.send('as binary', { binary: true });
  p.ws.send(Buffer.from('as text'), { binary: false });
  const [a, b] = await frames(p, 2);
  t.deepEqual([a!.opcode, a!.payload.toString()], [2, 'as binary']);
  t.deepEqual([b!.opcode, b!.payload.toString()], [1, 'as text']);
});

test('fin:false builds a fragmented message: first opcode, then continuations', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.send('a', { fin: false });
  p.ws.send('b', { fin: false });
  p.ws.send('c');
  p.ws.send(Buffer.from('x'), { fin: false });
  p.ws.send(Buffer.from('y'), { fin: true });
  t.deepEqual(
    (await frames(p, 5)).map((f) => [f.opcode, f.fin, f.payload.toString()]),
    [
      [1, false, 'a'],
      [0, false, 'b'],
      [0, true, 'c'],
      [2, false, 'x'],
      [0, true, 'y'],
    ],
  );
});

test('compress: with context takeover every message is compressed (RSV1) unless compress is false', async (t) => {
  const p = await rawPair({ perMessageDeflate: true }, ['Sec-WebSocket-Extensions: permessage-deflate']);
  t.teardown(p.close);
  t.is(p.ws.extensions, 'permessage-deflate');
  const big = 'z'.repeat(4096);
  p.ws.send(big);
  p.ws.send(big, { compress: false });
  p.ws.send('tiny');
  const [a, b, c] = await frames(p, 3);
  t.is(a!.rsv, 4);
  t.true(a!.payload.length < 4096);
  t.is(b!.rsv, 0);
  t.is(b!.payload.toString(), big);
  t.is(c!.rsv, 4, 'the threshold only applies without context takeover');
});

test('compress: with client_no_context_takeover, messages under the 1024-byte threshold are not compressed', async (t) => {
  const p = await rawPair({ perMessageDeflate: true }, ['Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover']);
  t.teardown(p.close);
  p.ws.send('s'.repeat(1023));
  p.ws.send('s'.repeat(1024));
  const [a, b] = await frames(p, 2);
  t.is(a!.rsv, 0);
  t.is(a!.payload.length, 1023);
  t.is(b!.rsv, 4);
});

test('compress is ignored when deflate was not negotiated', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.send('q'.repeat(2000), { compress: true });
  const f = await p.conn.peer.readFrame();
  t.is(f.rsv, 0);
  t.is(f.payload.length, 2000);
});

test('client frames are masked by default and mask:false sends them unmasked', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.send('m');
  p.ws.send('u', { mask: false });
  p.ws.ping('pm');
  p.ws.ping('pu', false);
  t.deepEqual(
    (await frames(p, 4)).map((f) => [f.opcode, f.masked, f.payload.toString()]),
    [
      [1, true, 'm'],
      [1, false, 'u'],
      [9, true, 'pm'],
      [9, false, 'pu'],
    ],
  );
});

test('server frames are unmasked by default and mask:true masks them', async (t) => {
  const { wss, port } = await listen();
  t.teardown(() => shutdown(wss));
  const conn = next<[WebSocketT]>(wss, 'connection');
  const { peer } = await rawUpgrade(port);
  const [ws] = await conn;
  ws.send('plain');
  ws.send('masked', { mask: true });
  ws.pong('pong', true);
  const got: [number, boolean, string][] = [];
  for (let i = 0; i < 3; i++) {
    const f = await peer.readFrame();
    got.push([f.opcode, f.masked, f.payload.toString()]);
  }
  t.deepEqual(got, [
    [1, false, 'plain'],
    [1, true, 'masked'],
    [10, true, 'pong'],
  ]);
});

test('send returns undefined and calls back once per send, in order, without error', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  const calls: [string, unknown][] = [];
  t.is(p.ws.send('1', (err?: Error) => calls.push(['1', err])), undefined);
  p.ws.send('2', {}, (err?: Error) => calls.push(['2', err]));
  p.ws.ping('3', true, ((err: unknown) => calls.push(['3', err])) as never);
  p.ws.pong(((err: unknown) => calls.push(['4', err])) as never);
  await frames(p, 4);
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(
    calls.map(([n]) => n),
    ['1', '2', '3', '4'],
  );
  t.true(calls.every(([, err]) => err == null));
});

test('send, ping and pong in CONNECTING throw the exact error', (t) => {
  const ws = new WebSocket('ws://127.0.0.1:1');
  ws.on('error', () => {});
  t.throws(() => ws.send('x'), { instanceOf: Error, message: NOT_OPEN_0 });
  t.throws(() => ws.ping(), { message: NOT_OPEN_0 });
  t.throws(() => ws.pong('p'), { message: NOT_OPEN_0 });
  ws.terminate();
});

test('send in CLOSING does not throw; the callback gets the error on a later tick', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.close();
  const errors: unknown[] = [];
  let sync = true;
  t.notThrows(() => p.ws.send('late', (err?: Error) => errors.push([sync, (err as Error).message])));
  p.ws.ping('late', undefined, ((err: Error) => errors.push([sync, err.message])) as never);
  p.ws.pong(((err: Error) => errors.push([sync, err.message])) as never);
  sync = false;
  t.deepEqual(errors, []);
  await new Promise((r) => process.nextTick(r));
  const msg = 'WebSocket is not open: readyState 2 (CLOSING)';
  t.deepEqual(errors, [
    [false, msg],
    [false, msg],
    [false, msg],
  ]);
});

test('send in CLOSED does not throw; the callback gets a CLOSED error', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.terminate();
  await closed(p.ws);
  const err = await new Promise<Error | undefined>((resolve) => p.ws.send('x', resolve));
  t.is(err?.message, 'WebSocket is not open: readyState 3 (CLOSED)');
  t.notThrows(() => p.ws.send('no callback'));
});

test('ping and pong payloads over 125 bytes throw RangeError; 125 bytes is fine', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  const message = 'The data size must not be greater than 125 bytes';
  t.throws(() => p.ws.ping(Buffer.alloc(126)), { instanceOf: RangeError, message });
  t.throws(() => p.ws.pong('x'.repeat(126)), { instanceOf: RangeError, message });
  t.throws(() => p.ws.ping('é'.repeat(63)), { instanceOf: RangeError, message }, '126 bytes of UTF-8');
  p.ws.ping(Buffer.alloc(125, 1));
  p.ws.pong(12345);
  const [a, b] = await frames(p, 2);
  t.deepEqual([a!.opcode, a!.payload.length], [9, 125]);
  t.deepEqual([b!.opcode, b!.payload.toString()], [10, '12345']);
  t.is(p.ws.readyState, WebSocket.OPEN);
});

test('a large message goes out intact and in order with small ones', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  const big = Buffer.alloc(300 * 1024, 'a');
  p.ws.send(big);
  p.ws.send('tail');
  const [a, b] = await frames(p, 2);
  t.true(a!.payload.equals(big));
  t.is(b!.payload.toString(), 'tail');
  p.conn.peer.write(frame(8, Buffer.alloc(0), { mask: false }));
  await closed(p.ws);
});
