/**
 * WebSocketServer options that shape each connection (ws-api.md S10–S17): maxPayload,
 * maxBufferedChunks, maxFragments, maxPendingAutoPongs, skipUTF8Validation,
 * allowSynchronousEvents, autoPong and closeTimeout. A raw peer drives the server; each row
 * runs on the native transport and, serially with FERROWS_NO_NATIVE=1, on the JS transport.
 */
import test, { type ExecutionContext } from 'ava';
import { closePayload, delay, frame, next, rawUpgrade, type RawPeer, type ServerT, type WebSocketT } from './helpers.ts';
import { isNative, nextConnection, serve } from './helpers-server.ts';

type Mode = 'native' | 'js';
type Events = { errors: (Error & { code?: string })[]; messages: [Buffer, boolean][]; closed(ms?: number): Promise<[number, string]> };

/** Registers `fn` once per transport; the JS run is serial because it sets an env variable. */
function both(title: string, fn: (t: ExecutionContext, mode: Mode) => Promise<void>): void {
  test(`${title} (native)`, (t) => fn(t, 'native'));
  test.serial(`${title} (js)`, async (t) => {
    process.env['FERROWS_NO_NATIVE'] = '1';
    try {
      await fn(t, 'js');
    } finally {
      delete process.env['FERROWS_NO_NATIVE'];
    }
  });
}

/** A server with `options`, one raw peer upgraded to it, and the server side's events. */
async function connect(t: ExecutionContext, mode: Mode, options: Record<string, unknown>): Promise<{ wss: ServerT; peer: RawPeer; ws: WebSocketT; events: Events }> {
  const { wss, port } = await serve(t, options);
  const connected = nextConnection(wss);
  const { peer } = await rawUpgrade(port);
  t.teardown(() => void peer.socket.destroy());
  const [ws] = await connected;
  t.is(isNative(ws), mode === 'native');
  const close = new Promise<[number, string]>((resolve) => ws.on('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
  const events: Events = {
    errors: [],
    messages: [],
    closed: (ms = 8000) => within(close, ms, "the server side's 'close'"),
  };
  ws.on('error', (err: Error) => events.errors.push(err));
  ws.on('message', (data: Buffer, isBinary: boolean) => events.messages.push([data, isBinary]));
  return { wss, peer, ws, events };
}

/** Rejects when `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The peer sees a close frame with `code`, then the TCP connection ends. */
async function expectWireClose(t: ExecutionContext, peer: RawPeer, code: number): Promise<void> {
  t.is((await peer.readClose()).code, code);
  await peer.waitClosed();
}

both('maxPayload: a frame over the limit gets 1009 on the wire and WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', async (t, mode) => {
  const { peer, events } = await connect(t, mode, { maxPayload: 16 });
  peer.write(frame(2, Buffer.alloc(16, 7)));
  peer.write(frame(2, Buffer.alloc(17)));
  await expectWireClose(t, peer, 1009);
  t.deepEqual(await events.closed(), [1006, '']);
  t.deepEqual(events.messages.map(([d]) => d.length), [16], 'a payload at the limit is delivered');
  t.is(events.errors.length, 1);
  const [err] = events.errors;
  t.true(err instanceof RangeError);
  t.is(err!.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  t.is(err!.message, 'Max payload size exceeded');
});

test('maxPayload also bounds a message assembled from fragments', async (t) => {
  const { peer, events } = await connect(t, 'native', { maxPayload: 16 });
  peer.write(Buffer.concat([frame(1, 'a'.repeat(10), { fin: false }), frame(0, 'b'.repeat(10))]));
  await expectWireClose(t, peer, 1009);
  await events.closed();
  t.is(events.errors[0]?.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  t.deepEqual(events.messages, []);
});

both('maxFragments: one fragment too many gets 1008 and WS_ERR_TOO_MANY_BUFFERED_PARTS', async (t, mode) => {
  const { peer, events } = await connect(t, mode, { maxFragments: 4 });
  peer.write(Buffer.concat([frame(1, 'ab', { fin: false }), frame(0, 'cd', { fin: false }), frame(0, 'ef', { fin: false }), frame(0, 'g')]));
  await delay(20);
  for (let i = 0; i < 4; i++) peer.write(frame(i === 0 ? 2 : 0, i === 1 ? '' : 'x', { fin: false }));
  peer.write(frame(0, 'y', { fin: false }));
  await expectWireClose(t, peer, 1008);
  await events.closed();
  t.deepEqual(events.messages.map(([d]) => d.toString()), ['abcdefg'], 'four fragments are fine');
  const [err] = events.errors;
  t.true(err instanceof RangeError);
  t.is(err!.code, 'WS_ERR_TOO_MANY_BUFFERED_PARTS');
  t.is(err!.message, 'Too many message fragments');
});

both('maxBufferedChunks: an incomplete frame spread over too many reads gets 1008', async (t, mode) => {
  const { peer, events } = await connect(t, mode, { maxBufferedChunks: 4 });
  peer.socket.setNoDelay(true);
  const bytes = frame(2, Buffer.alloc(40, 1));
  for (let i = 0; i < bytes.length && !peer.ended; i++) {
    peer.write(bytes.subarray(i, i + 1));
    await delay(15);
  }
  await expectWireClose(t, peer, 1008);
  await events.closed();
  const [err] = events.errors;
  t.true(err instanceof RangeError);
  t.is(err!.code, 'WS_ERR_TOO_MANY_BUFFERED_PARTS');
  t.is(err!.message, 'Too many buffered chunks');
  t.deepEqual(events.messages, []);
});

both('maxPendingAutoPongs: a peer that floods pings without reading is terminated', async (t, mode) => {
  const { peer, ws, events } = await connect(t, mode, { maxPendingAutoPongs: 8 });
  let pings = 0;
  ws.on('ping', () => pings++);
  peer.socket.pause();
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => frame(9, Buffer.alloc(125, 1))));
  // Bounded: at most ~13 MB of pings, waiting for drain (or 200 ms) whenever the socket pushes back.
  for (let sent = 0; sent < 100 && !peer.ended; sent++) {
    if (peer.socket.write(batch)) continue;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        peer.socket.off('drain', done).off('close', done);
        resolve();
      };
      const timer = setTimeout(done, 200);
      peer.socket.once('drain', done).once('close', done);
    });
  }
  const [code] = await events.closed();
  t.is(code, 1006);
  t.true(pings >= 1);
  t.deepEqual(events.errors, [], 'terminate() emits no error');
});

test('maxPendingAutoPongs does not cut off a peer that reads its pongs', async (t) => {
  const { peer, ws } = await connect(t, 'native', { maxPendingAutoPongs: 2 });
  for (let i = 0; i < 50; i++) {
    peer.write(frame(9, `p${i}`));
    const pong = await peer.readFrame();
    t.is(pong.opcode, 10);
    t.is(pong.payload.toString(), `p${i}`);
  }
  t.is(ws.readyState, 1);
});

both('skipUTF8Validation: invalid UTF-8 in text and close reason is delivered as is', async (t, mode) => {
  const { peer, events } = await connect(t, mode, { skipUTF8Validation: true });
  peer.write(frame(1, Buffer.from([0xff, 0xfe, 0x41])));
  peer.write(frame(8, Buffer.concat([closePayload(4000), Buffer.from([0xc3])])));
  t.is((await peer.readClose()).code, 4000);
  const [code] = await events.closed();
  t.is(code, 4000);
  t.deepEqual(events.messages.map(([d, b]) => [d.toString('hex'), b]), [['fffe41', false]]);
  t.deepEqual(events.errors, []);
});

both('without skipUTF8Validation invalid UTF-8 gets 1007 and WS_ERR_INVALID_UTF8', async (t, mode) => {
  const { peer, events } = await connect(t, mode, {});
  peer.write(frame(1, Buffer.from([0xff, 0xfe, 0x41])));
  await expectWireClose(t, peer, 1007);
  await events.closed();
  t.deepEqual(events.messages, []);
  const [err] = events.errors;
  t.is(err!.constructor, Error);
  t.is(err!.code, 'WS_ERR_INVALID_UTF8');
  t.is(err!.message, 'Invalid WebSocket frame: invalid UTF-8 sequence');
});

both('allowSynchronousEvents: false emits one message per tick even for frames in one write', async (t, mode) => {
  const { peer, ws } = await connect(t, mode, { allowSynchronousEvents: false });
  const order: string[] = [];
  let ticked = false;
  const done = new Promise<void>((resolve) =>
    ws.on('message', (data: Buffer) => {
      order.push(`${data.toString()}:${ticked ? 'later' : 'same'}`);
      ticked = false;
      process.nextTick(() => (ticked = true));
      if (order.length === 3) resolve();
    }),
  );
  peer.write(Buffer.concat([frame(1, 'a'), frame(1, 'b'), frame(1, 'c')]));
  await done;
  t.deepEqual(order.slice(1), ['b:later', 'c:later']);
});

test('allowSynchronousEvents defaults to true: frames from one write are emitted in the same tick', async (t) => {
  const { wss, peer, ws } = await connect(t, 'native', {});
  t.is(wss.options.allowSynchronousEvents, true);
  const seen: boolean[] = [];
  let ticked = false;
  const done = new Promise<void>((resolve) =>
    ws.on('message', () => {
      seen.push(ticked);
      process.nextTick(() => (ticked = true));
      if (seen.length === 2) resolve();
    }),
  );
  peer.write(Buffer.concat([frame(1, 'a'), frame(1, 'b')]));
  await done;
  t.deepEqual(seen, [false, false]);
});

both('autoPong: false emits ping but writes no pong', async (t, mode) => {
  const { peer, ws } = await connect(t, mode, { autoPong: false });
  const pinged = next<[Buffer]>(ws, 'ping');
  ws.on('message', (data: Buffer) => ws.send(data.toString()));
  peer.write(Buffer.concat([frame(9, 'are you there'), frame(1, 'marker')]));
  t.is((await pinged)[0].toString(), 'are you there');
  const first = await peer.readFrame();
  t.is(first.opcode, 1, 'the echo comes first: no pong was sent');
  t.is(first.payload.toString(), 'marker');
});

both('autoPong defaults to true: a ping is answered with the same payload', async (t, mode) => {
  const { peer } = await connect(t, mode, {});
  peer.write(frame(9, Buffer.from([1, 2, 3])));
  const pong = await peer.readFrame();
  t.is(pong.opcode, 10);
  t.false(pong.masked);
  t.deepEqual([...pong.payload], [1, 2, 3]);
});

both('closeTimeout: a peer that never answers the close is dropped after about closeTimeout', async (t, mode) => {
  const { peer, ws, events } = await connect(t, mode, { closeTimeout: 200 });
  const started = Date.now();
  ws.close(1001, 'bye');
  t.deepEqual(await peer.readClose(), { code: 1001, reason: 'bye' });
  await peer.waitClosed(5000);
  const elapsed = Date.now() - started;
  t.true(elapsed >= 150, `closed after ${elapsed} ms, before the timeout`);
  t.deepEqual(await events.closed(), [1006, '']);
});
