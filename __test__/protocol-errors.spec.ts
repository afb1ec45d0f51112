/**
 * Frame-level protocol errors (ws-api.md §8; bad-inputs.md B1–B8, B10, C1, C5, C6, C8) in both
 * roles: a raw peer sends the offending bytes to our server (masked) or our client (unmasked).
 * The peer must receive a close frame with ws's code followed by our FIN; the application must
 * see exactly one 'error' with ws's class, `code` and message, then 'close' 1006, and nothing
 * from the offending frame or anything after it.
 */
import test, { type ExecutionContext } from 'ava';
import { createRequire } from 'node:module';
import { checkFailure, connect, deflateMessage, frameHeader, provoke, ROLES, type Conn, type Role } from './helpers-protocol.ts';

const require = createRequire(import.meta.url);
const { WebSocket: RealWebSocket } = require('ws') as { WebSocket: unknown };

const P = 'Invalid WebSocket frame: ';

interface Case {
  title: string;
  bytes: (c: Conn) => Buffer | Buffer[];
  status: number;
  code: string;
  message: string;
  ctor?: typeof Error;
  options?: Record<string, unknown>;
  deflate?: boolean;
  pauseMs?: number;
  /** Events the app sees before the error (from valid frames sent first). */
  before?: string[];
}

const RSV = (title: string, bytes: Case['bytes'], rsv: 1 | 2 | 3, deflate = false): Case => ({
  title,
  bytes,
  deflate,
  status: 1002,
  code: rsv === 1 ? 'WS_ERR_UNEXPECTED_RSV_1' : 'WS_ERR_UNEXPECTED_RSV_2_3',
  message: rsv === 1 ? `${P}RSV1 must be clear` : `${P}RSV2 and RSV3 must be clear`,
});
const opcodeError = (title: string, bytes: Case['bytes'], op: number): Case => ({
  title,
  bytes,
  status: 1002,
  code: 'WS_ERR_INVALID_OPCODE',
  message: `${P}invalid opcode ${op}`,
});
const controlLength = (title: string, bytes: Case['bytes'], len: number): Case => ({
  title,
  bytes,
  status: 1002,
  code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
  message: `${P}invalid payload length ${len}`,
});
const expectedFin = (title: string, bytes: Case['bytes']): Case => ({ title, bytes, status: 1002, code: 'WS_ERR_EXPECTED_FIN', message: `${P}FIN must be set` });
const utf8 = (title: string, bytes: Case['bytes'], deflate = false): Case => ({
  title,
  bytes,
  deflate,
  status: 1007,
  code: 'WS_ERR_INVALID_UTF8',
  message: `${P}invalid UTF-8 sequence`,
  ctor: Error,
});
const tooBig = (title: string, bytes: Case['bytes'], options: Record<string, unknown>): Case => ({
  title,
  bytes,
  options,
  status: 1009,
  code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
  message: 'Max payload size exceeded',
});
const hugeLength = (title: string, length: bigint, options: Record<string, unknown> = {}): Case => ({
  title,
  bytes: (c) => frameHeader(c, 2, length),
  options,
  status: 1009,
  code: 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
  message: 'Unsupported WebSocket frame: payload length > 2^53 - 1',
});

const textFrag = (c: Conn): Buffer => c.frame(1, 'ab', { fin: false });
const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');

const CASES: Case[] = [
  // B1/B2: reserved bits.
  RSV('RSV1 on a text frame without permessage-deflate', (c) => c.frame(1, 'hi', { rsv: 4 }), 1),
  RSV('RSV1 on a ping without permessage-deflate', (c) => c.frame(9, 'hi', { rsv: 4 }), 1),
  RSV('RSV2 on a text frame', (c) => c.frame(1, 'hi', { rsv: 2 }), 2),
  RSV('RSV3 on a binary frame', (c) => c.frame(2, 'hi', { rsv: 1 }), 3),
  RSV('RSV2 on a ping', (c) => c.frame(9, 'hi', { rsv: 2 }), 2),
  RSV('RSV3 on a close frame', (c) => c.frame(8, Buffer.from([3, 232]), { rsv: 1 }), 3),
  RSV('RSV2 and RSV3 on a continuation', (c) => [textFrag(c), c.frame(0, 'c', { rsv: 3 })], 2),
  RSV('RSV1 on a ping with permessage-deflate', (c) => c.frame(9, 'x', { rsv: 4 }), 1, true),
  RSV('RSV1 on a close frame with permessage-deflate', (c) => c.frame(8, Buffer.from([3, 232]), { rsv: 4 }), 1, true),
  RSV(
    'RSV1 on a continuation with permessage-deflate',
    (c) => [c.frame(1, deflateMessage(Buffer.from('abc')), { rsv: 4, fin: false }), c.frame(0, 'x', { rsv: 4 })],
    1,
    true,
  ),
  // B3: reserved opcodes.
  ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((op) => opcodeError(`reserved opcode 0x${op.toString(16)}`, (c) => c.frame(op, 'x'), op)),
  // B7/B8: continuation sequence errors.
  opcodeError('a continuation frame with no message open (FIN=1)', (c) => c.frame(0, 'x'), 0),
  opcodeError('a continuation frame with no message open (FIN=0)', (c) => c.frame(0, 'x', { fin: false }), 0),
  opcodeError('a text frame inside a fragmented text message', (c) => [textFrag(c), c.frame(1, 'x')], 1),
  opcodeError('a binary frame inside a fragmented text message', (c) => [textFrag(c), c.frame(2, 'x')], 2),
  { ...opcodeError('a text frame after a ping inside a fragmented message', (c) => [textFrag(c), c.frame(9, 'p'), c.frame(1, 'x', { fin: false })], 1), before: ['ping:1'] },
  // B5/B6: control frames.
  controlLength('a ping of 126 bytes', (c) => c.frame(9, Buffer.alloc(126, 1)), 126),
  controlLength('a pong of 126 bytes', (c) => c.frame(10, Buffer.alloc(126, 1)), 126),
  // ws reports the 7-bit length field (126), not the 16-bit length that follows it.
  controlLength('a ping of 200 bytes (16-bit length)', (c) => c.frame(9, Buffer.alloc(200, 1)), 126),
  expectedFin('a ping with FIN=0', (c) => c.frame(9, 'x', { fin: false })),
  expectedFin('a pong with FIN=0', (c) => c.frame(10, 'x', { fin: false })),
  expectedFin('a close frame with FIN=0', (c) => c.frame(8, Buffer.from([3, 232]), { fin: false })),
  // C1/C5/C6/C8: UTF-8.
  utf8('invalid UTF-8 in a single text frame', (c) => c.frame(1, hex('cebae1bdb9cf83cebcceb5eda080656469746564'))),
  utf8('invalid UTF-8 in the last fragment of a text message', (c) => [textFrag(c), c.frame(0, hex('61ff'))]),
  utf8('a text message ending in a truncated sequence', (c) => c.frame(1, hex('61e282'))),
  utf8('an overlong encoding (C0 80)', (c) => c.frame(1, hex('c080'))),
  utf8('an overlong encoding (E0 80 80)', (c) => c.frame(1, hex('e08080'))),
  utf8('a UTF-16 surrogate (ED A0 80)', (c) => c.frame(1, hex('eda080'))),
  utf8('a code point above U+10FFFF (F4 90 80 80)', (c) => c.frame(1, hex('f4908080'))),
  utf8('the byte F5', (c) => c.frame(1, hex('61f5'))),
  utf8('invalid UTF-8 inside a compressed text message', (c) => c.frame(1, deflateMessage(hex('61ff62')), { rsv: 4 }), true),
  // B10 and limits.
  tooBig('a frame longer than maxPayload', (c) => c.frame(2, Buffer.alloc(20)), { maxPayload: 10 }),
  tooBig('a text message longer than maxPayload over two fragments', (c) => [c.frame(1, 'abcdef', { fin: false }), c.frame(0, 'ghijkl')], { maxPayload: 10 }),
  hugeLength('a 64-bit length of 2^53', 2n ** 53n),
  hugeLength('a 64-bit length of 2^53 with maxPayload 0', 2n ** 53n, { maxPayload: 0 }),
  hugeLength('a 64-bit length with the MSB set', 2n ** 63n),
  {
    title: 'more fragments than maxFragments',
    bytes: (c) => [c.frame(2, 'a', { fin: false }), c.frame(0, 'b', { fin: false }), c.frame(0, 'c', { fin: false }), c.frame(0, 'd')],
    options: { maxFragments: 2 },
    status: 1008,
    code: 'WS_ERR_TOO_MANY_BUFFERED_PARTS',
    message: 'Too many message fragments',
  },
  {
    title: 'more empty fragments than maxFragments',
    bytes: (c) => [c.frame(2, '', { fin: false }), c.frame(0, '', { fin: false }), c.frame(0, '', { fin: false }), c.frame(0, '')],
    options: { maxFragments: 3 },
    status: 1008,
    code: 'WS_ERR_TOO_MANY_BUFFERED_PARTS',
    message: 'Too many message fragments',
  },
  {
    title: 'an incomplete frame arriving in more reads than maxBufferedChunks',
    bytes: (c) => {
      const f = c.frame(2, Buffer.alloc(400, 7));
      return Array.from({ length: Math.ceil(f.length / 10) }, (_, i) => f.subarray(i * 10, i * 10 + 10));
    },
    options: { maxBufferedChunks: 3 },
    pauseMs: 15,
    status: 1008,
    code: 'WS_ERR_TOO_MANY_BUFFERED_PARTS',
    message: 'Too many buffered chunks',
  },
];

async function run(role: Role, k: Case, t: ExecutionContext): Promise<Conn> {
  const c = await connect(role, { options: k.options ?? {}, deflate: k.deflate ?? false });
  t.teardown(c.close);
  const o = await provoke(c, k.bytes(c), k.pauseMs === undefined ? {} : { pauseMs: k.pauseMs });
  checkFailure(t, c, o, { status: k.status, code: k.code, message: k.message, ctor: k.ctor ?? RangeError, before: k.before ?? [] });
  return c;
}

for (const k of CASES) {
  for (const role of ROLES) {
    test(`${role} fails with ${k.status} ${k.code} on ${k.title}`, async (t) => {
      const c = await run(role, k, t);
      t.true((c.ws as unknown as { _transport: { isNative: boolean } })._transport.isNative);
      await c.close();
    });
  }
}

// B4: a frame with the wrong masking is rejected before its payload (or a later frame) is delivered.
for (const role of ROLES) {
  const code = role === 'server' ? 'WS_ERR_EXPECTED_MASK' : 'WS_ERR_UNEXPECTED_MASK';
  const message = `${P}MASK must be ${role === 'server' ? 'set' : 'clear'}`;
  for (const [what, op, payload] of [
    ['text', 1, 'secret'],
    ['binary', 2, Buffer.from([1, 2, 3])],
    ['ping', 9, 'p'],
    ['empty text', 1, ''],
  ] as const) {
    test(`${role} fails with 1002 ${code} on a ${what} frame with the wrong masking and never delivers it`, async (t) => {
      const c = await connect(role);
      t.teardown(c.close);
      const o = await provoke(c, [c.badMaskFrame(op, payload), c.frame(1, 'after')]);
      checkFailure(t, c, o, { status: 1002, code, message, ctor: RangeError });
      t.is(c.seen.messages.length, 0);
      t.is(c.seen.pings.length, 0);
      await c.close();
    });
  }
}

// The same failures on the JavaScript-owned transport (FERROWS_NO_NATIVE), for a representative subset.
const JS_SUBSET = ['RSV2 on a text frame', 'reserved opcode 0xb', 'a ping with FIN=0', 'invalid UTF-8 in a single text frame', 'invalid UTF-8 inside a compressed text message', 'a frame longer than maxPayload', 'a 64-bit length of 2^53', 'more fragments than maxFragments'];
for (const k of CASES.filter((x) => JS_SUBSET.includes(x.title))) {
  for (const role of ROLES) {
    test.serial(`${role} on the JS transport fails with ${k.status} ${k.code} on ${k.title}`, async (t) => {
      process.env['FERROWS_NO_NATIVE'] = '1';
      let c: Conn;
      try {
        c = await connect(role, { options: k.options ?? {}, deflate: k.deflate ?? false });
      } finally {
        delete process.env['FERROWS_NO_NATIVE'];
      }
      t.teardown(c.close);
      t.false((c.ws as unknown as { _transport: { isNative: boolean } })._transport.isNative);
      const o = await provoke(c, k.bytes(c));
      checkFailure(t, c, o, { status: k.status, code: k.code, message: k.message, ctor: k.ctor ?? RangeError, before: k.before ?? [] });
      await c.close();
    });
  }
}

// The expectations above are ws's: spot-check that the real ws agrees, so the table cannot drift.
for (const title of ['RSV1 on a text frame without permessage-deflate', 'a 64-bit length with the MSB set', 'a text frame after a ping inside a fragmented message', 'more empty fragments than maxFragments']) {
  const k = CASES.find((x) => x.title === title)!;
  test(`the real ws also fails with ${k.status} ${k.code} on ${k.title}`, async (t) => {
    const c = await connect('server', { options: k.options ?? {}, impl: RealWebSocket as never });
    t.teardown(c.close);
    const o = await provoke(c, k.bytes(c));
    checkFailure(t, c, o, { status: k.status, code: k.code, message: k.message, ctor: k.ctor ?? RangeError, before: k.before ?? [] });
    await c.close();
  });
}
