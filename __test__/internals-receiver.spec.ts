/**
 * §9 `Receiver` (a Writable): frames built with ws's own `Sender.frame` go in; 'message', 'ping',
 * 'pong', 'conclude' and 'error' (class, message, `code`, close status) come out, with the options
 * maxPayload, maxFragments, maxBufferedChunks, isServer masking, skipUTF8Validation, binaryType and
 * allowSynchronousEvents. Error cases are also run through ws's Receiver as the oracle.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { collect, nextError, PerMessageDeflate, pmdCall, RealWs, Receiver, statusCodeOf, wsFrame } from './helpers-internals.ts';

const hex = (s: string) => Buffer.from(s, 'hex');
const masked = (data: Buffer | string, opcode: number, fin = true) => wsFrame(data, { opcode, fin, mask: true });
const plain = (data: Buffer | string, opcode: number, fin = true) => wsFrame(data, { opcode, fin });

function deflated(): InstanceType<typeof PerMessageDeflate> {
  const pmd = new PerMessageDeflate();
  pmd.accept([{}]);
  return pmd;
}

test('parses an unmasked text message as a Buffer with isBinary false', async (t) => {
  const receiver = new Receiver();
  const got = collect<[Buffer, boolean]>(receiver, 'message', 1);
  receiver.write(hex('810548656c6c6f'));
  const [[data, isBinary]] = await got;
  t.true(Buffer.isBuffer(data));
  t.deepEqual(data, Buffer.from('Hello'));
  t.false(isBinary);
});

test('parses an empty close frame as conclude(1005, empty Buffer)', async (t) => {
  const receiver = new Receiver();
  const got = collect<[number, Buffer]>(receiver, 'conclude', 1);
  receiver.write(hex('8800'));
  const [[code, reason]] = await got;
  t.is(code, 1005);
  t.true(Buffer.isBuffer(reason));
  t.is(reason.length, 0);
});

test('parses a close frame spanning two writes', async (t) => {
  const receiver = new Receiver();
  const got = collect<[number, Buffer]>(receiver, 'conclude', 1);
  receiver.write(hex('8806'));
  receiver.write(hex('03e8444F4E45'));
  const [[code, reason]] = await got;
  t.is(code, 1000);
  t.deepEqual(reason, Buffer.from('DONE'));
});

test('parses masked text in server mode, including a 200 B frame split across ticks and a 64 KiB frame', async (t) => {
  const receiver = new Receiver({ isServer: true });
  const got = collect<[Buffer, boolean]>(receiver, 'message', 3);
  receiver.write(hex('81933483a86801b992524fa1c60959e68a5216e6cb005ba1d5'));
  const split = masked('A'.repeat(200), 1);
  receiver.write(split.subarray(0, 2));
  await new Promise((resolve) => setImmediate(resolve));
  receiver.write(split.subarray(2));
  receiver.write(masked('A'.repeat(64 * 1024), 1));
  const messages = await got;
  t.deepEqual(messages.map(([d, b]) => [d.toString(), b]), [
    ['5:::{"name":"echo"}', false],
    ['A'.repeat(200), false],
    ['A'.repeat(64 * 1024), false],
  ]);
});

test('reassembles a fragmented masked text message with a ping in the middle, fed in halves', async (t) => {
  const receiver = new Receiver({ isServer: true });
  const events: string[] = [];
  receiver.on('ping', (data: Buffer) => events.push(`ping:${data.toString()}`));
  const got = collect<[Buffer, boolean]>(receiver, 'message', 1);
  receiver.on('message', () => events.push('message'));
  const msg = 'A'.repeat(300);
  for (const frame of [masked(msg.slice(0, 150), 1, false), masked('Hello', 9), masked(msg.slice(150), 0)]) {
    const half = Math.floor(frame.length / 2);
    receiver.write(frame.subarray(0, half));
    receiver.write(frame.subarray(half));
  }
  const [[data, isBinary]] = await got;
  t.is(data.toString(), msg);
  t.false(isBinary);
  t.deepEqual(events, ['ping:Hello', 'message']);
});

test('parses binary messages of 100 B, 256 B and 200 KiB, masked and unmasked', async (t) => {
  for (const size of [100, 256, 200 * 1024]) {
    for (const isServer of [true, false]) {
      const receiver = new Receiver({ isServer });
      const msg = randomBytes(size);
      const got = collect<[Buffer, boolean]>(receiver, 'message', 1);
      receiver.write(isServer ? masked(msg, 2) : plain(msg, 2));
      const [[data, isBinary]] = await got;
      t.deepEqual(data, msg, `${size} B, server ${isServer}`);
      t.true(isBinary);
    }
  }
});

test('parses an empty ping and pong as empty Buffers', async (t) => {
  const receiver = new Receiver();
  const pings = collect<[Buffer]>(receiver, 'ping', 1);
  const pongs = collect<[Buffer]>(receiver, 'pong', 1);
  receiver.write(hex('89008a00'));
  t.is((await pings)[0]![0].length, 0);
  t.true(Buffer.isBuffer((await pongs)[0]![0]));
});

test('parses a compressed message and a compressed fragmented message with permessage-deflate', async (t) => {
  const pmd = deflated();
  const receiver = new Receiver({ extensions: { 'permessage-deflate': pmd } });
  const got = collect<[Buffer, boolean]>(receiver, 'message', 2);
  const whole = await pmdCall(pmd, 'compress', Buffer.from('Hello'), true);
  receiver.write(Buffer.from([0xc1, whole.length]));
  receiver.write(whole);
  const part1 = await pmdCall(pmd, 'compress', Buffer.from('foo'), false);
  receiver.write(Buffer.concat([Buffer.from([0x41, part1.length]), part1]));
  const part2 = await pmdCall(pmd, 'compress', Buffer.from('bar'), true);
  receiver.write(Buffer.concat([Buffer.from([0x80, part2.length]), part2]));
  t.deepEqual((await got).map(([d, b]) => [d.toString(), b]), [
    ['Hello', false],
    ['foobar', false],
  ]);
});

test('parses a buffer holding 20000 frames', async (t) => {
  const buf = Buffer.alloc(40000);
  for (let i = 0; i < buf.length; i += 2) buf[i] = 0x81;
  const receiver = new Receiver();
  const got = collect<[Buffer, boolean]>(receiver, 'message', 20000, 20000);
  receiver.write(buf);
  const messages = await got;
  t.true(messages.every(([d, b]) => d.length === 0 && b === false));
});

test('emits earlier messages of a chunk before the error a later frame causes', async (t) => {
  const receiver = new Receiver();
  const events: string[] = [];
  receiver.on('message', (d: Buffer) => events.push(`message:${d.toString()}`));
  const error = nextError(receiver);
  receiver.write(Buffer.concat([plain('ok', 1), hex('8300'), plain('after', 1)]));
  const err = await error;
  t.is(err.code, 'WS_ERR_INVALID_OPCODE');
  t.deepEqual(events, ['message:ok']);
});

test('stops at a close frame: conclude then finish, later frames ignored', async (t) => {
  const receiver = new Receiver();
  const results: unknown[] = [];
  receiver.on('message', (d: Buffer, b: boolean) => results.push('message', d.toString(), b));
  receiver.on('conclude', (code: number, reason: Buffer) => results.push('conclude', code, reason.length));
  receiver.on('error', () => {});
  const finished = collect(receiver, 'finish', 1);
  receiver.write(Buffer.concat([plain('a', 1), hex('8800'), plain('b', 1)]));
  await finished;
  t.deepEqual(results, ['message', 'a', false, 'conclude', 1005, 0]);
});

test('message Buffers stay intact after later writes reuse memory', async (t) => {
  const receiver = new Receiver();
  const kept: Buffer[] = [];
  receiver.on('message', (d: Buffer) => kept.push(d));
  const payloads = ['first', 'second', 'x'.repeat(300), 'y'.repeat(70000), 'last'];
  for (const p of payloads) receiver.write(plain(p, 1));
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(kept.map(String), payloads);
});

// [title, options, chunks, deflate?] — every case must end in an error equal to ws's.
type ErrorCase = [string, Record<string, unknown>, Buffer[], boolean?];
const errorCases: ErrorCase[] = [
  ['RSV1 without permessage-deflate', {}, [hex('c2800000000000')]],
  ['RSV1 on a continuation frame', {}, [hex('4000')], true],
  ['RSV1 on a control frame', {}, [hex('c900')], true],
  ['RSV2 set', {}, [hex('a200')]],
  ['RSV3 set', {}, [hex('9200')]],
  ['a continuation frame with nothing to continue', {}, [hex('0000')]],
  ['opcode 1 inside a fragmented message', {}, [hex('0100'), hex('0100')]],
  ['opcode 2 inside a fragmented message', {}, [hex('0100'), hex('0200')]],
  ['reserved data opcode 3', {}, [hex('8300')]],
  ['reserved control opcode 0xB', {}, [hex('8b00')]],
  ['a ping without FIN', {}, [hex('0900')]],
  ['an unmasked frame in server mode', { isServer: true }, [hex('81026869')]],
  ['a masked frame in client mode', {}, [hex('8182563aac803e53')]],
  ['a ping longer than 125 B', {}, [hex('897e')]],
  ['a 64-bit length above 2^53 - 1', {}, [hex('827f'), hex('0020000000000000')]],
  ['invalid UTF-8 in a text frame', {}, [hex('8104cebae1bd')]],
  ['a 1-byte close payload', {}, [hex('8801')]],
  ['close code 0', {}, [hex('88020000')]],
  ['close code 1005', {}, [hex('880203ed')]],
  ['close code 1006', {}, [hex('880203ee')]],
  ['close code 2999', {}, [hex('88020bb7')]],
  ['close code 5000', {}, [hex('88021388')]],
  ['invalid UTF-8 in a close reason', {}, [hex('880603efcebae1bd')]],
  ['a frame over maxPayload', { isServer: true, maxPayload: 20 * 1024 }, [masked(randomBytes(200 * 1024), 2)]],
  ['fragments whose sum exceeds maxPayload', { maxPayload: 10 }, [hex('01056868686868'), hex('8006686868686868')]],
  ['a third fragment over maxFragments 2 in one write', { maxFragments: 2 }, [hex('020161000162000163')]],
  ['empty fragments over maxFragments 2', { maxFragments: 2 }, [hex('0200'), hex('0000'), hex('0000')]],
  ['a chunk over maxBufferedChunks 2', { maxBufferedChunks: 2 }, [hex('8205'), hex('61'), hex('62'), hex('63')]],
];

async function errorOf(make: (o: Record<string, unknown>) => Writable, options: Record<string, unknown>, chunks: Buffer[]) {
  const receiver = make(options);
  const error = nextError(receiver);
  for (const chunk of chunks) receiver.write(Buffer.from(chunk));
  const err = await error;
  return { cls: err.constructor.name, message: err.message, code: err.code, status: statusCodeOf(err) };
}

for (const [title, options, chunks, withDeflate] of errorCases) {
  test(`Receiver errors on ${title} exactly as ws does`, async (t) => {
    const ours = await errorOf((o) => new Receiver({ ...o, ...(withDeflate ? { extensions: { 'permessage-deflate': deflated() } } : {}) }), options, chunks);
    const wsPmd = new RealWs.PerMessageDeflate();
    wsPmd.accept([{}]);
    const theirs = await errorOf((o) => new RealWs.Receiver({ ...o, ...(withDeflate ? { extensions: { 'permessage-deflate': wsPmd } } : {}) }), options, chunks);
    t.deepEqual(ours, theirs);
    t.truthy(ours.code?.startsWith('WS_ERR_'));
  });
}

test('Receiver error details match the documented codes and close statuses', async (t) => {
  const expect = async (chunks: Buffer[], options: Record<string, unknown>, cls: string, message: string, code: string, status: number) => {
    t.deepEqual(await errorOf((o) => new Receiver(o), options, chunks), { cls, message, code, status }, message);
  };
  await expect([hex('a200')], {}, 'RangeError', 'Invalid WebSocket frame: RSV2 and RSV3 must be clear', 'WS_ERR_UNEXPECTED_RSV_2_3', 1002);
  await expect([hex('0900')], {}, 'RangeError', 'Invalid WebSocket frame: FIN must be set', 'WS_ERR_EXPECTED_FIN', 1002);
  await expect([hex('81026869')], { isServer: true }, 'RangeError', 'Invalid WebSocket frame: MASK must be set', 'WS_ERR_EXPECTED_MASK', 1002);
  await expect([hex('8104cebae1bd')], {}, 'Error', 'Invalid WebSocket frame: invalid UTF-8 sequence', 'WS_ERR_INVALID_UTF8', 1007);
  await expect([hex('897e')], {}, 'RangeError', 'Invalid WebSocket frame: invalid payload length 126', 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002);
  await expect([hex('88020000')], {}, 'RangeError', 'Invalid WebSocket frame: invalid status code 0', 'WS_ERR_INVALID_CLOSE_CODE', 1002);
  await expect([hex('827f'), hex('0020000000000000')], {}, 'RangeError', 'Unsupported WebSocket frame: payload length > 2^53 - 1', 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 1009);
  await expect([hex('820b' + '00'.repeat(11))], { maxPayload: 10 }, 'RangeError', 'Max payload size exceeded', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009);
  await expect([hex('0200'), hex('0000')], { maxFragments: 1 }, 'RangeError', 'Too many message fragments', 'WS_ERR_TOO_MANY_BUFFERED_PARTS', 1008);
});

test('Receiver errors when the inflated message exceeds maxPayload or is invalid UTF-8', async (t) => {
  const big = new PerMessageDeflate({ isServer: false, maxPayload: 25 });
  big.accept([{}]);
  const receiver = new Receiver({ extensions: { 'permessage-deflate': big }, maxPayload: 25 });
  const error = nextError(receiver);
  const data = await pmdCall(big, 'compress', Buffer.from('A'.repeat(50)), true);
  receiver.write(Buffer.concat([Buffer.from([0xc1, data.length]), data]));
  const err = await error;
  t.true(err instanceof RangeError);
  t.is(err.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  t.is(statusCodeOf(err), 1009);

  const pmd = deflated();
  const utf8 = new Receiver({ extensions: { 'permessage-deflate': pmd } });
  const utf8Error = nextError(utf8);
  const bad = await pmdCall(pmd, 'compress', hex('cebae1bd'), true);
  utf8.write(Buffer.concat([Buffer.from([0xc1, bad.length]), bad]));
  const err2 = await utf8Error;
  t.is(err2.code, 'WS_ERR_INVALID_UTF8');
  t.is(statusCodeOf(err2), 1007);
});

function fragmentsOf(frags: Buffer[]): Buffer[] {
  return frags.map((frag, i) => wsFrame(frag, { opcode: i === 0 ? 2 : 0, fin: i === frags.length - 1, readOnly: true }));
}

test("binaryType 'nodebuffer' (default) and 'arraybuffer' deliver the reassembled message", async (t) => {
  const frags = [randomBytes(7321), randomBytes(137), randomBytes(285787), randomBytes(3)];
  const nodebuffer = new Receiver();
  const arraybuffer = new Receiver({ binaryType: 'arraybuffer' });
  const a = collect<[Buffer, boolean]>(nodebuffer, 'message', 1);
  const b = collect<[ArrayBuffer, boolean]>(arraybuffer, 'message', 1);
  for (const frame of fragmentsOf(frags)) {
    nodebuffer.write(frame);
    arraybuffer.write(frame);
  }
  const [[buf, binA]] = await a;
  t.true(Buffer.isBuffer(buf));
  t.deepEqual(buf, Buffer.concat(frags));
  t.true(binA);
  const [[ab, binB]] = await b;
  t.true(ab instanceof ArrayBuffer);
  t.deepEqual(Buffer.from(ab), Buffer.concat(frags));
  t.true(binB);
});

test("binaryType 'fragments' delivers one Buffer per received fragment, as ws does", async (t) => {
  const frags = [randomBytes(17), randomBytes(419872), randomBytes(83), randomBytes(9928), randomBytes(1)];
  const receiver = new Receiver({ binaryType: 'fragments' });
  const got = collect<[Buffer[], boolean]>(receiver, 'message', 1);
  for (const frame of fragmentsOf(frags)) receiver.write(frame);
  const [[data, isBinary]] = await got;
  t.true(Array.isArray(data));
  t.true(isBinary);
  t.deepEqual(Buffer.concat(data), Buffer.concat(frags), 'the bytes are complete');
  t.deepEqual(
    data.map((b) => b.length),
    frags.map((b) => b.length),
    'the fragment boundaries are kept',
  );
});

test("binaryType 'blob' delivers a Blob", async (t) => {
  const frags = [randomBytes(75688), randomBytes(2688), randomBytes(46753)];
  const receiver = new Receiver({ binaryType: 'blob' });
  const got = collect<[Blob, boolean]>(receiver, 'message', 1);
  for (const frame of fragmentsOf(frags)) receiver.write(frame);
  const [[blob, isBinary]] = await got;
  t.true(blob instanceof Blob);
  t.true(isBinary);
  t.deepEqual(Buffer.from(await blob.arrayBuffer()), Buffer.concat(frags));
});

test('skipUTF8Validation accepts invalid UTF-8 in text and in a close reason', async (t) => {
  const text = new Receiver({ skipUTF8Validation: true });
  const got = collect<[Buffer, boolean]>(text, 'message', 1);
  text.write(Buffer.from([0x81, 0x01, 0xf8]));
  t.deepEqual((await got)[0]![0], Buffer.from([0xf8]));
  const close = new Receiver({ skipUTF8Validation: true });
  const concluded = collect<[number, Buffer]>(close, 'conclude', 1);
  close.write(Buffer.from([0x88, 0x03, 0x03, 0xe8, 0xf8]));
  const [[code, reason]] = await concluded;
  t.is(code, 1000);
  t.deepEqual(reason, Buffer.from([0xf8]));
});

/** Records each event plus two microtask hops after it. */
function microtaskTrace(receiver: Writable, total: number): Promise<string[]> {
  const actual: string[] = [];
  return new Promise((resolve) => {
    const listener = (data: Buffer) => {
      const m = data.toString();
      actual.push(m);
      void Promise.resolve().then(() => {
        actual.push(`- ${m}`);
        void Promise.resolve().then(() => {
          actual.push(`-- ${m}`);
          if (actual.length === total) resolve(actual);
        });
      });
    };
    for (const event of ['message', 'ping', 'pong']) receiver.on(event, listener);
  });
}

test('allowSynchronousEvents false emits one message/ping/pong per macrotask', async (t) => {
  const receiver = new Receiver({ allowSynchronousEvents: false });
  const trace = microtaskTrace(receiver, 12);
  receiver.write(hex('8101318901328a0133820134'));
  t.deepEqual(await trace, ['1', '- 1', '-- 1', '2', '- 2', '-- 2', '3', '- 3', '-- 3', '4', '- 4', '-- 4']);
});

test('allowSynchronousEvents true (default) emits all events of a chunk in the same tick', async (t) => {
  const receiver = new Receiver();
  const trace = microtaskTrace(receiver, 12);
  receiver.write(hex('8101318901328a0133820134'));
  t.deepEqual((await trace).slice(0, 4), ['1', '2', '3', '4']);
});

test('the Receiver is a Writable with ws\'s defaults', (t) => {
  const receiver = new Receiver() as unknown as Writable & Record<string, unknown>;
  t.is(typeof receiver.write, 'function');
  t.true(receiver.writable);
  t.is(receiver['_binaryType'], 'nodebuffer');
  t.is(receiver['_isServer'], false);
  t.is(receiver['_maxPayload'], 0);
  t.is(receiver['_allowSynchronousEvents'], true);
  const configured = new Receiver({ maxPayload: 2 ** 32 + 5, isServer: true, binaryType: 'arraybuffer' }) as unknown as Record<string, unknown>;
  t.is(configured['_maxPayload'], 5, 'maxPayload is coerced to int32 like ws');
  t.is(configured['_isServer'], true);
});
