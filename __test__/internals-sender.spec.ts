/**
 * §9 `Sender`: the static `Sender.frame()` byte for byte against ws's own `Sender.frame()` over a
 * matrix of sizes and options (8.22: no extra empty Buffer for a zero-length payload), and a
 * Sender instance writing to a real loopback socket whose bytes a real ws Receiver parses.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { collect, extension, fixedMask, PerMessageDeflate, RealWs, Sender, type WsFrameOptions } from './helpers-internals.ts';

type FrameCase = WsFrameOptions & { label: string };

const SIZES = [0, 1, 125, 126, 65535, 65536];
const variants: FrameCase[] = [
  { label: 'unmasked text fin', opcode: 1, fin: true },
  { label: 'unmasked binary no fin', opcode: 2, fin: false },
  { label: 'unmasked continuation rsv1', opcode: 0, fin: true, rsv1: true },
  { label: 'unmasked readOnly', opcode: 2, fin: true, readOnly: true },
  { label: 'masked (generateMask) readOnly', opcode: 2, fin: true, mask: true, readOnly: true, generateMask: fixedMask([0x12, 0x34, 0x56, 0x78]) },
  { label: 'masked (generateMask) writable', opcode: 1, fin: true, mask: true, readOnly: false, generateMask: fixedMask([0xff, 0x00, 0xa5, 0x5a]) },
  { label: 'masked (generateMask + maskBuffer) rsv1 no fin', opcode: 1, rsv1: true, mask: true, readOnly: true, generateMask: fixedMask([1, 2, 3, 4]) },
  { label: 'masked all-zero key (masking skipped) readOnly', opcode: 2, fin: true, mask: true, readOnly: true, generateMask: fixedMask([0, 0, 0, 0]) },
  { label: 'masked all-zero key writable', opcode: 2, fin: true, mask: true, readOnly: false, generateMask: fixedMask([0, 0, 0, 0]) },
];

function payload(size: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + 7) & 0xff;
  return buf;
}

/** Frames with both implementations (each with its own copy of the input) and returns both results. */
function both(data: Buffer | string, options: WsFrameOptions) {
  const ourInput = typeof data === 'string' ? data : Buffer.from(data);
  const wsInput = typeof data === 'string' ? data : Buffer.from(data);
  const ourOpts = { ...options, maskBuffer: options.maskBuffer ? Buffer.alloc(4) : undefined };
  const wsOpts = { ...options, maskBuffer: options.maskBuffer ? Buffer.alloc(4) : undefined };
  const ours = Sender.frame(ourInput, ourOpts as never);
  const theirs = RealWs.Sender.frame(wsInput, wsOpts);
  return { ours, theirs, ourInput, wsInput };
}

for (const variant of variants) {
  test(`Sender.frame matches ws byte for byte: ${variant.label}, sizes ${SIZES.join('/')}`, (t) => {
    for (const size of SIZES) {
      const options: WsFrameOptions = { ...variant };
      if (variant.label.includes('maskBuffer')) options.maskBuffer = Buffer.alloc(4);
      const { ours, theirs, ourInput, wsInput } = both(payload(size), options);
      t.is(ours.length, theirs.length, `${size} B: same number of Buffers`);
      ours.forEach((part, i) => t.deepEqual(Buffer.from(part), Buffer.from(theirs[i]!), `${size} B: part ${i}`));
      t.deepEqual(ourInput, wsInput, `${size} B: the input is left (or masked in place) the same way`);
    }
  });
}

test('Sender.frame frames strings like ws, masked and unmasked', (t) => {
  for (const text of ['', '€', 'hello', 'x'.repeat(126), 'é'.repeat(40000)]) {
    for (const mask of [false, true]) {
      const options: WsFrameOptions = { opcode: 1, fin: true, mask, generateMask: fixedMask([9, 8, 7, 6]) };
      const { ours, theirs } = both(text, options);
      t.is(ours.length, theirs.length, `${text.length} chars, mask ${mask}`);
      t.deepEqual(Buffer.concat(ours.map((b) => Buffer.from(b))), Buffer.concat(theirs.map((b) => Buffer.from(b))));
    }
  }
  const [head, body] = Sender.frame('€', { opcode: 1, fin: true, mask: false, readOnly: false });
  t.deepEqual(head, Buffer.from('8103', 'hex'));
  t.deepEqual(body, Buffer.from('e282ac', 'hex'));
});

test('Sender.frame of a zero-length payload returns only the header (8.22)', (t) => {
  for (const opcode of [1, 2, 8, 9, 10]) {
    const plain = Sender.frame(Buffer.alloc(0), { opcode, fin: true });
    t.is(plain.length, 1);
    t.deepEqual(plain[0], Buffer.from([0x80 | opcode, 0x00]));
    const masked = Sender.frame(Buffer.alloc(0), { opcode, fin: true, mask: true, generateMask: fixedMask([1, 2, 3, 4]) });
    t.is(masked.length, 1);
    t.deepEqual(masked[0], Buffer.from([0x80 | opcode, 0x80, 1, 2, 3, 4]));
    t.is(Sender.frame('', { opcode, fin: true }).length, 1);
  }
});

test('Sender.frame does not touch a readOnly input and masks a writable one in place', (t) => {
  const readOnly = Buffer.from([1, 2, 3, 4, 5]);
  const [merged] = Sender.frame(readOnly, { opcode: 2, fin: true, mask: true, readOnly: true });
  t.deepEqual(readOnly, Buffer.from([1, 2, 3, 4, 5]));
  t.is(merged!.length, 2 + 4 + 5, 'header, key and payload in one Buffer');
  const writable = Buffer.from([1, 2, 3, 4, 5]);
  const [head, body] = Sender.frame(writable, { opcode: 2, fin: true, mask: true, readOnly: false, generateMask: fixedMask([1, 1, 1, 1]) });
  t.is(body, writable, 'the payload Buffer itself is returned');
  t.deepEqual(writable, Buffer.from([0, 3, 2, 5, 4]));
  t.deepEqual(head, Buffer.from([0x82, 0x85, 1, 1, 1, 1]));
});

test('Sender.frame fills a given maskBuffer with a random key and uses it', (t) => {
  const maskBuffer = Buffer.alloc(4);
  const data = Buffer.from('random mask please');
  const keys = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const [frame] = Sender.frame(data, { opcode: 1, fin: true, mask: true, maskBuffer, readOnly: true });
    t.deepEqual(frame!.subarray(2, 6), maskBuffer, 'the key in the header is the one written to maskBuffer');
    const body = Buffer.from(frame!.subarray(6));
    for (let j = 0; j < body.length; j++) body[j]! ^= maskBuffer[j & 3]!;
    t.deepEqual(body, data);
    keys.add(maskBuffer.toString('hex'));
  }
  t.true(keys.size > 1, 'keys change between frames');
});

test('Sender.frame sets FIN only when fin is true and RSV1 only when rsv1 is true', (t) => {
  t.is(Sender.frame(Buffer.from('a'), { opcode: 1 })[0]![0], 0x01);
  t.is(Sender.frame(Buffer.from('a'), { opcode: 1, fin: true })[0]![0], 0x81);
  t.is(Sender.frame(Buffer.alloc(0), { opcode: 1, fin: true, rsv1: true })[0]![0], 0xc1);
  t.is(Sender.frame(Buffer.alloc(0), { opcode: 2, rsv1: true })[0]![0], 0x42);
});

/** A Sender on one end of a loopback TCP pair; the other end feeds a real ws Receiver. */
async function wire(t: ExecutionContext, options: { masked: boolean; extensions?: Record<string, unknown>; wsExtensions?: Record<string, unknown>; generateMask?: (m: Buffer) => void }) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [[peer]] = await Promise.all([once(server, 'connection') as Promise<[net.Socket]>, once(client, 'connect')]);
  const raw: Buffer[] = [];
  // Copied: ws's Receiver unmasks the chunks it is given in place.
  peer.on('data', (chunk: Buffer) => raw.push(Buffer.from(chunk)));
  const receiver = new RealWs.Receiver({ isServer: options.masked, extensions: options.wsExtensions ?? {} });
  peer.pipe(receiver);
  const sender = new Sender(client, (options.extensions ?? {}) as never, options.generateMask);
  const close = async () => {
    client.destroy();
    peer.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  t.teardown(close);
  return { sender, receiver, raw, close };
}

for (const masked of [false, true]) {
  test(`a Sender instance (${masked ? 'masked, client' : 'unmasked, server'}) writes messages, pings, pongs and a close a ws Receiver parses`, async (t) => {
    const { sender, receiver, close } = await wire(t, { masked });
    const messages = collect<[Buffer, boolean]>(receiver, 'message', 3);
    const pings = collect<[Buffer]>(receiver, 'ping', 2);
    const pongs = collect<[Buffer]>(receiver, 'pong', 1);
    const concluded = collect<[number, Buffer]>(receiver, 'conclude', 1);
    const written: string[] = [];
    sender.send('héllo', { fin: true, mask: masked }, () => written.push('text'));
    sender.send(new Uint8Array([1, 2, 3]), { binary: true, fin: true, mask: masked }, () => written.push('binary'));
    sender.send('frag', { fin: false, mask: masked });
    sender.ping('', masked);
    sender.send(Buffer.from('mented'), { fin: true, mask: masked });
    sender.ping(new Uint8Array([7, 7]).buffer, masked, () => written.push('ping'));
    sender.pong('pong data', masked);
    sender.close(4000, 'bye', masked, () => written.push('close'));
    const got = await messages;
    t.deepEqual(got.map(([d, b]) => [d.toString('hex'), b]), [
      [Buffer.from('héllo').toString('hex'), false],
      ['010203', true],
      [Buffer.from('fragmented').toString('hex'), false],
    ]);
    t.deepEqual((await pings).map(([d]) => [...d]), [[], [7, 7]]);
    t.is((await pongs)[0]![0].toString(), 'pong data');
    const [[code, reason]] = await concluded;
    t.is(code, 4000);
    t.is(reason.toString(), 'bye');
    await new Promise((resolve) => setImmediate(resolve));
    t.deepEqual(written, ['text', 'binary', 'ping', 'close']);
    await close();
  });
}

test('a Sender instance uses its generateMask for every frame', async (t) => {
  const { sender, raw, receiver, close } = await wire(t, { masked: true, generateMask: fixedMask([0xde, 0xad, 0xbe, 0xef]) });
  const concluded = collect(receiver, 'conclude', 1);
  sender.send('ab', { fin: true, mask: true });
  sender.close(undefined, undefined, true);
  const [[code]] = (await concluded) as [[number]];
  t.is(code, 1005, 'an empty close frame concludes with 1005');
  const bytes = Buffer.concat(raw);
  t.deepEqual(bytes.subarray(0, 8), Buffer.from([0x81, 0x82, 0xde, 0xad, 0xbe, 0xef, 0x61 ^ 0xde, 0x62 ^ 0xad]));
  t.deepEqual(bytes.subarray(8), Buffer.from([0x88, 0x80, 0xde, 0xad, 0xbe, 0xef]));
  await close();
});

test('Sender#close validates its arguments with ws\'s errors', (t) => {
  const sender = new Sender(new net.Socket(), {});
  t.throws(() => sender.close('error' as never, undefined, false), { instanceOf: TypeError, message: 'First argument must be a valid error code number' });
  for (const code of [999, 1004, 1005, 1006, 1015, 2999, 5000]) {
    t.throws(() => sender.close(code, undefined, false), { instanceOf: TypeError, message: 'First argument must be a valid error code number' }, String(code));
  }
  t.throws(() => sender.close(1000, new Float32Array(20) as never, false), { instanceOf: TypeError, message: 'Second argument must be a string or a Uint8Array' });
  t.throws(() => sender.close(1000, 'a'.repeat(124), false), { instanceOf: RangeError, message: 'The message must not be greater than 123 bytes' });
  t.throws(() => sender.close(1000, 'é'.repeat(62), false), { instanceOf: RangeError, message: 'The message must not be greater than 123 bytes' });
  t.throws(() => sender.ping(Buffer.alloc(126), false), { instanceOf: RangeError, message: 'The data size must not be greater than 125 bytes' });
  t.throws(() => sender.pong('x'.repeat(126), false), { instanceOf: RangeError, message: 'The data size must not be greater than 125 bytes' });
});

test('a Sender with permessage-deflate compresses, keeps call order across compressed and plain sends, and ws inflates it', async (t) => {
  const ourPmd = new PerMessageDeflate({ threshold: 0 });
  ourPmd.accept(extension.parse('permessage-deflate')['permessage-deflate']!);
  const wsPmd = new RealWs.PerMessageDeflate({ isServer: true });
  wsPmd.accept([{}]);
  const { sender, receiver, raw, close } = await wire(t, { masked: true, extensions: { 'permessage-deflate': ourPmd }, wsExtensions: { 'permessage-deflate': wsPmd } });
  const messages = collect<[Buffer, boolean]>(receiver, 'message', 4);
  const order: string[] = [];
  sender.send('compressed one '.repeat(20), { compress: true, fin: true, mask: true }, () => order.push('1'));
  sender.send('plain two', { compress: false, fin: true, mask: true }, () => order.push('2'));
  sender.send(Buffer.from('compressed three'), { compress: true, fin: true, mask: true }, () => order.push('3'));
  sender.send(new Blob(['blob four']), { binary: true, fin: true, mask: true }, () => order.push('4'));
  const got = await messages;
  t.deepEqual(got.map(([d]) => d.toString()), ['compressed one '.repeat(20), 'plain two', 'compressed three', 'blob four']);
  t.is(Buffer.concat(raw)[0]! & 0x40, 0x40, 'the first frame has RSV1 set');
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(order, ['1', '2', '3', '4']);
  sender.close(1000, undefined, true);
  await close();
});

test('a Sender applies the threshold only to the first fragment when context takeover is off', async (t) => {
  for (const [first, second, compressed] of [
    ['123', '12', true],
    ['12', '123', false],
  ] as const) {
    const pmd = new PerMessageDeflate({ threshold: 3 });
    pmd.accept(extension.parse('permessage-deflate; client_no_context_takeover')['permessage-deflate']!);
    const wsPmd = new RealWs.PerMessageDeflate({ isServer: true });
    wsPmd.accept(extension.parse('permessage-deflate; client_no_context_takeover')['permessage-deflate']!);
    const { sender, receiver, raw, close } = await wire(t, { masked: true, extensions: { 'permessage-deflate': pmd }, wsExtensions: { 'permessage-deflate': wsPmd } });
    const message = collect<[Buffer]>(receiver, 'message', 1);
    sender.send(first, { compress: true, fin: false, mask: true });
    sender.send(second, { compress: true, fin: true, mask: true });
    t.is((await message)[0]![0].toString(), first + second);
    t.is((Buffer.concat(raw)[0]! & 0x40) === 0x40, compressed, `${first}+${second}`);
    await close();
  }
});
