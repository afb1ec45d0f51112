/**
 * Valid but awkward framing (bad-inputs.md B9, B11–B15, C2–C4, C6, C7) in both roles over real
 * loopback sockets: fragmentation with interleaved pings, non-minimal lengths, arbitrary TCP
 * chunking, ping/pong echo, data after a close frame, and strict (streaming) UTF-8 validation.
 */
import test, { type ExecutionContext } from 'ava';
import { closePayload, delay } from './helpers.ts';
import { checkFailure, connect, prng, provoke, ROLES, splitAt, trickle, type Conn, type Role } from './helpers-protocol.ts';

const isNative = (c: Conn): boolean => (c.ws as unknown as { _transport: { isNative: boolean } })._transport.isNative;

async function open(t: ExecutionContext, role: Role, options: Record<string, unknown> = {}): Promise<Conn> {
  const c = await connect(role, { options });
  t.teardown(c.close);
  return c;
}

/** Waits until the app has seen `n` events. */
async function events(c: Conn, n: number, ms = 5000): Promise<string[]> {
  const deadline = Date.now() + ms;
  while (c.seen.events.length < n && Date.now() < deadline) await delay(5);
  return c.seen.events;
}

// ---- B12: one representative stream under every chunking ------------------------------------

const BIN300 = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
const TEXT = 'héllo wörld €😀';

/** The stream (frames the peer sends) and what the app must see. */
function representative(c: Conn): Buffer {
  const text = Buffer.from(TEXT);
  return Buffer.concat([
    c.frame(1, text.subarray(0, 2), { fin: false }), // splits 'é' across frames
    c.frame(9, 'p1'),
    c.frame(0, text.subarray(2, 16), { fin: false }),
    c.frame(0, text.subarray(16)),
    c.frame(2, BIN300),
    c.frame(2, Buffer.from([1, 2, 3, 4, 5]), { lengthForm: 64 }),
    c.frame(1, ''),
    c.frame(10, 'u'),
    c.frame(1, 'end', { lengthForm: 16 }),
    c.frame(8, closePayload(1000, 'bye')),
  ]);
}

const EXPECTED_EVENTS = ['ping:2', `message:t:${Buffer.byteLength(TEXT)}`, 'message:b:300', 'message:b:5', 'message:t:0', 'pong:1', 'message:t:3', 'close:1000'];

async function replay(t: ExecutionContext, c: Conn, chunks: Buffer[], pauseMs: number): Promise<void> {
  await trickle(c.peer.socket, chunks, pauseMs);
  const pong = await c.peer.readFrame();
  t.is(pong.opcode, 10);
  t.is(pong.payload.toString(), 'p1');
  t.is(pong.masked, c.ourMask);
  const close = await c.peer.readClose();
  t.deepEqual(close, { code: 1000, reason: 'bye' });
  await c.peer.waitClosed();
  const { code, reason } = await c.seen.closed;
  t.is(code, 1000);
  t.is(reason.toString(), 'bye');
  t.deepEqual(c.seen.events, EXPECTED_EVENTS);
  const [text, bin, bin5, empty, end] = c.seen.messages;
  t.is(text!.data.toString(), TEXT);
  t.deepEqual(bin!.data, BIN300);
  t.deepEqual([...bin5!.data], [1, 2, 3, 4, 5]);
  t.is(empty!.data.length, 0);
  t.is(end!.data.toString(), 'end');
}

for (const role of ROLES) {
  test(`${role} handles the representative stream written at once`, async (t) => {
    const c = await open(t, role);
    await replay(t, c, [representative(c)], 0);
  });

  test(`${role} handles the representative stream written byte by byte`, async (t) => {
    const c = await open(t, role);
    const all = representative(c);
    await replay(t, c, Array.from(all, (_, i) => all.subarray(i, i + 1)), 1);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    test(`${role} handles the representative stream in random splits (seed ${seed})`, async (t) => {
      const c = await open(t, role);
      const all = representative(c);
      const rnd = prng(seed);
      const cuts: number[] = [];
      for (let at = 0; at < all.length; at += 1 + Math.floor(rnd() * 9)) cuts.push(at);
      await replay(t, c, splitAt(all, cuts), 1);
    });
  }

  test.serial(`${role} on the JS transport handles the representative stream byte by byte`, async (t) => {
    process.env['FERROWS_NO_NATIVE'] = '1';
    let c: Conn;
    try {
      c = await open(t, role);
    } finally {
      delete process.env['FERROWS_NO_NATIVE'];
    }
    t.false(isNative(c));
    const all = representative(c);
    await replay(t, c, Array.from(all, (_, i) => all.subarray(i, i + 1)), 1);
  });
}

// ---- B9, B11, B13, B14, B15, C2, C6, C7 -------------------------------------------------------

for (const role of ROLES) {
  test(`${role} answers pings between fragments at once and reassembles the message`, async (t) => {
    const c = await open(t, role);
    c.peer.write(c.frame(1, 'one ', { fin: false }));
    c.peer.write(c.frame(9, 'a'));
    const first = await c.peer.readFrame();
    t.deepEqual([first.opcode, first.payload.toString()], [10, 'a']);
    await delay(50);
    c.peer.write(c.frame(0, 'two ', { fin: false }));
    c.peer.write(c.frame(9, 'b'));
    const second = await c.peer.readFrame();
    t.deepEqual([second.opcode, second.payload.toString()], [10, 'b']);
    t.is(c.seen.messages.length, 0);
    c.peer.write(c.frame(0, 'three'));
    await events(c, 3);
    t.deepEqual(c.seen.events, ['ping:1', 'ping:1', 'message:t:13']);
    t.is(c.seen.messages[0]!.data.toString(), 'one two three');
  });

  test(`${role} accepts non-minimal length encodings`, async (t) => {
    const c = await open(t, role);
    c.peer.write(c.frame(1, 'abcde', { lengthForm: 16 }));
    c.peer.write(c.frame(2, Buffer.alloc(5, 9), { lengthForm: 64 }));
    c.peer.write(c.frame(2, Buffer.alloc(300, 8), { lengthForm: 64 }));
    c.peer.write(c.frame(1, '', { lengthForm: 64 }));
    await events(c, 4);
    t.deepEqual(c.seen.events, ['message:t:5', 'message:b:5', 'message:b:300', 'message:t:0']);
    t.is(c.seen.messages[0]!.data.toString(), 'abcde');
    t.deepEqual(c.seen.messages[2]!.data, Buffer.alloc(300, 8));
    t.is(c.ws.readyState, 1);
  });

  test(`${role} echoes each ping payload byte for byte (empty, text, binary, 125 bytes, 10 back to back)`, async (t) => {
    const c = await open(t, role);
    const payloads = [
      Buffer.alloc(0),
      Buffer.from('hello'),
      Buffer.from([0, 255, 1, 254, 0x80]),
      Buffer.from(Array.from({ length: 125 }, (_, i) => (i * 31 + 7) & 0xff)),
      ...Array.from({ length: 10 }, (_, i) => Buffer.from(`ping-${i}`)),
    ];
    c.peer.write(Buffer.concat(payloads.map((p) => c.frame(9, p))));
    for (const p of payloads) {
      const f = await c.peer.readFrame();
      t.is(f.opcode, 10);
      t.true(f.fin);
      t.is(f.masked, c.ourMask);
      t.deepEqual(f.payload, p);
    }
    await events(c, payloads.length);
    t.deepEqual(c.seen.pings, payloads);
  });

  test(`${role} emits unsolicited pongs and sends nothing back`, async (t) => {
    const c = await open(t, role);
    c.peer.write(Buffer.concat([c.frame(10, 'u1'), c.frame(10, ''), c.frame(9, 'after')]));
    const f = await c.peer.readFrame();
    t.deepEqual([f.opcode, f.payload.toString()], [10, 'after']);
    await events(c, 3);
    t.deepEqual(c.seen.events, ['pong:2', 'pong:0', 'ping:5']);
  });

  test(`${role} ignores frames after a received close frame`, async (t) => {
    const c = await open(t, role);
    c.peer.write(Buffer.concat([c.frame(8, closePayload(1000)), c.frame(1, 'late'), c.frame(9, 'p'), c.frame(2, Buffer.alloc(3)), c.frame(8, closePayload(4000))]));
    const close = await c.peer.readFrame();
    t.deepEqual([close.opcode, close.payload.readUInt16BE(0)], [8, 1000]);
    const rest = await c.peer.readToEnd();
    t.is(rest.length, 0, 'no pong and no second close after the close reply');
    const { code } = await c.seen.closed;
    t.is(code, 1000);
    t.deepEqual(c.seen.events, ['close:1000']);
  });

  test(`${role} reassembles a text message split at every offset across two frames`, async (t) => {
    const c = await open(t, role);
    const text = Buffer.from('aé€😀z\u{10ffff}');
    for (let k = 0; k <= text.length; k++) {
      c.peer.write(Buffer.concat([c.frame(1, text.subarray(0, k), { fin: false }), c.frame(0, text.subarray(k))]));
    }
    await events(c, text.length + 1);
    t.is(c.seen.messages.length, text.length + 1);
    for (const m of c.seen.messages) t.deepEqual(m.data, text);
    t.is(c.seen.errors.length, 0);
  });

  test(`${role} reassembles a text message sent one byte per frame, one frame per TCP write`, async (t) => {
    const c = await open(t, role);
    const text = Buffer.from('€😀 ü');
    const frames = Array.from(text, (_, i) => c.frame(i === 0 ? 1 : 0, text.subarray(i, i + 1), { fin: i === text.length - 1 }));
    await trickle(c.peer.socket, frames, 2);
    await events(c, 1);
    t.deepEqual(c.seen.messages[0]!.data, text);
  });

  test(`${role} accepts empty text frames, empty fragments and the noncharacters U+FFFE and U+FFFF`, async (t) => {
    const c = await open(t, role);
    c.peer.write(Buffer.concat([c.frame(1, ''), c.frame(1, '', { fin: false }), c.frame(0, '', { fin: false }), c.frame(0, 'a'), c.frame(1, Buffer.from('efbfbeefbfbf', 'hex'))]));
    await events(c, 3);
    t.deepEqual(c.seen.events, ['message:t:0', 'message:t:1', 'message:t:6']);
    t.is(c.ws.readyState, 1);
  });
}

// ---- C3/C4: strict UTF-8 — fail on the invalid bytes without waiting for the rest ------------

const UTF8_FAILURE = { status: 1007, code: 'WS_ERR_INVALID_UTF8', message: 'Invalid WebSocket frame: invalid UTF-8 sequence', ctor: Error };

for (const role of ROLES) {
  test(`${role} fails with 1007 on an invalid first fragment without waiting for the next (strict)`, async (t) => {
    const c = await open(t, role);
    const o = await provoke(c, c.frame(1, Buffer.from('cebae1bdb9cf83cebcceb5eda080', 'hex'), { fin: false }), { ms: 3000 });
    checkFailure(t, c, o, UTF8_FAILURE);
  });

  test(`${role} fails with 1007 on a sequence made invalid by the second of three fragments (strict)`, async (t) => {
    const c = await open(t, role);
    const o = await provoke(c, [c.frame(1, Buffer.from('61ed', 'hex'), { fin: false }), c.frame(0, Buffer.from('a080', 'hex'), { fin: false })], { ms: 3000 });
    checkFailure(t, c, o, UTF8_FAILURE);
  });

  test(`${role} fails with 1007 on the first half of a frame holding the invalid byte (strict)`, async (t) => {
    const c = await open(t, role);
    const full = c.frame(1, Buffer.concat([Buffer.from('valid text '), Buffer.from([0xf8]), Buffer.alloc(200, 0x61)]));
    const o = await provoke(c, full.subarray(0, full.length - 150), { ms: 3000 });
    checkFailure(t, c, o, UTF8_FAILURE);
  });
}
