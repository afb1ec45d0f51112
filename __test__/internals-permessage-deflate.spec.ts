/**
 * §9 `PerMessageDeflate` (exported since ws 8.20): constructor forms, `extensionName`, `offer()`,
 * `accept()` as server and client with ws's validation messages, and compress/decompress
 * (round trips, context takeover, fragments, maxPayload, corrupt input), checked against ws.
 */
import test from 'ava';
import { extension, PerMessageDeflate, pmdCall, RealWs, statusCodeOf } from './helpers-internals.ts';

type Opts = Record<string, unknown>;
const ours = (options?: Opts) => new PerMessageDeflate(options as never);
const theirs = (options?: Opts) => new RealWs.PerMessageDeflate(options);
const offers = (header: string) => extension.parse(header)['permessage-deflate']!;
const FULL = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11';

test('PerMessageDeflate.extensionName is "permessage-deflate"', (t) => {
  t.is(PerMessageDeflate.extensionName, 'permessage-deflate');
  t.is(PerMessageDeflate.extensionName as string, (RealWs.PerMessageDeflate as unknown as { extensionName: string }).extensionName);
});

test('offer() with no options offers client_max_window_bits without a value', (t) => {
  t.deepEqual(ours().offer(), { client_max_window_bits: true });
  t.deepEqual(ours({}).offer(), { client_max_window_bits: true });
});

test('offer() reflects every configuration option as ws does', (t) => {
  const matrix: Opts[] = [
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 },
    { clientMaxWindowBits: true },
    { clientMaxWindowBits: false },
    { clientMaxWindowBits: 9, serverMaxWindowBits: false },
    { serverNoContextTakeover: false, clientNoContextTakeover: false },
    { serverMaxWindowBits: true, threshold: 0, zlibDeflateOptions: { level: 1 } },
  ];
  for (const options of matrix) t.deepEqual(ours(options).offer(), theirs(options).offer(), JSON.stringify(options));
  t.deepEqual(ours(matrix[0]).offer(), {
    server_no_context_takeover: true,
    client_no_context_takeover: true,
    server_max_window_bits: 10,
    client_max_window_bits: 11,
  });
  t.deepEqual(ours({ clientMaxWindowBits: false }).offer(), {});
});

// [options, header, expected class, expected message]
const rejections: [Opts, string, 'Error' | 'TypeError', string][] = [
  [{}, 'permessage-deflate; server_no_context_takeover; server_no_context_takeover', 'Error', 'Parameter "server_no_context_takeover" must have only a single value'],
  [{}, 'permessage-deflate;foo', 'Error', 'Unknown parameter "foo"'],
  [{ isServer: true }, 'permessage-deflate, permessage-deflate; foo=1', 'Error', 'Unknown parameter "foo"'],
  [{}, 'permessage-deflate; client_no_context_takeover=10', 'TypeError', 'Invalid value for parameter "client_no_context_takeover": 10'],
  [{}, 'permessage-deflate; server_no_context_takeover=10', 'TypeError', 'Invalid value for parameter "server_no_context_takeover": 10'],
  [{}, 'permessage-deflate; server_max_window_bits=7', 'TypeError', 'Invalid value for parameter "server_max_window_bits": 7'],
  [{}, 'permessage-deflate; server_max_window_bits', 'TypeError', 'Invalid value for parameter "server_max_window_bits": true'],
  [{ isServer: true }, 'permessage-deflate; server_max_window_bits=1.5e1x', 'TypeError', 'Invalid value for parameter "server_max_window_bits": 1.5e1x'],
  [{ isServer: true, serverNoContextTakeover: false }, 'permessage-deflate; server_no_context_takeover', 'Error', 'None of the extension offers can be accepted'],
  [{ isServer: true, serverMaxWindowBits: false }, 'permessage-deflate; server_max_window_bits=10', 'Error', 'None of the extension offers can be accepted'],
  [{ isServer: true, serverMaxWindowBits: 11 }, 'permessage-deflate; server_max_window_bits=10', 'Error', 'None of the extension offers can be accepted'],
  [{ isServer: true, clientMaxWindowBits: 10 }, 'permessage-deflate', 'Error', 'None of the extension offers can be accepted'],
  [{ isServer: true, clientMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits=9', 'Error', 'None of the extension offers can be accepted'],
  [{ isServer: true }, 'permessage-deflate; client_max_window_bits=16', 'TypeError', 'Invalid value for parameter "client_max_window_bits": 16'],
  [{ clientNoContextTakeover: false }, 'permessage-deflate; client_no_context_takeover', 'Error', 'Unexpected parameter "client_no_context_takeover"'],
  [{ clientMaxWindowBits: false }, 'permessage-deflate; client_max_window_bits=10', 'Error', 'Unexpected or invalid parameter "client_max_window_bits"'],
  [{ clientMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits=11', 'Error', 'Unexpected or invalid parameter "client_max_window_bits"'],
  [{}, 'permessage-deflate; client_max_window_bits=16', 'TypeError', 'Invalid value for parameter "client_max_window_bits": 16'],
  [{}, 'permessage-deflate; client_max_window_bits', 'TypeError', 'Invalid value for parameter "client_max_window_bits": true'],
];

test('accept() throws ws\'s error class and message for each invalid offer or response', (t) => {
  for (const [options, header, cls, message] of rejections) {
    const label = `${JSON.stringify(options)} ${header}`;
    const err = t.throws(() => ours(options).accept(offers(header)), undefined, label);
    t.is(err?.constructor.name, cls, label);
    t.is(err?.message, message, label);
    t.throws(() => theirs(options).accept(offers(header)), { message }, `oracle: ${label}`);
  }
});

test('accept() as server takes an offer with no parameters', (t) => {
  const pmd = ours({ isServer: true });
  t.deepEqual(pmd.accept([{}]), {});
  t.deepEqual(pmd.params, {});
});

test('accept() as server echoes the offered parameters', (t) => {
  t.deepEqual(ours({ isServer: true }).accept(offers(FULL)), {
    server_no_context_takeover: true,
    client_no_context_takeover: true,
    server_max_window_bits: 10,
    client_max_window_bits: 11,
  });
});

test('accept() as server prefers its configuration and drops a bare client_max_window_bits', (t) => {
  const configured = ours({ isServer: true, serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 11 });
  t.deepEqual(configured.accept(offers('permessage-deflate; server_max_window_bits=14; client_max_window_bits=13')), {
    server_no_context_takeover: true,
    client_no_context_takeover: true,
    server_max_window_bits: 12,
    client_max_window_bits: 11,
  });
  t.deepEqual(ours({ isServer: true }).accept(offers('permessage-deflate; client_max_window_bits')), {});
});

test('accept() as server picks the first acceptable offer and returns that object', (t) => {
  const list = offers('permessage-deflate; server_max_window_bits=10, permessage-deflate');
  const accepted = ours({ isServer: true, serverMaxWindowBits: 11 }).accept(list);
  t.deepEqual(accepted, { server_max_window_bits: 11 });
  t.is(accepted as unknown, list[1] as unknown, 'the chosen configuration object itself, as ws returns it');
  t.is(Object.getPrototypeOf(accepted), null);
});

test('accept() as client takes the response, fills in its configured window size, and sets params', (t) => {
  const pmd = ours({});
  const response = offers(FULL);
  const accepted = pmd.accept(response);
  t.deepEqual(accepted, { server_no_context_takeover: true, client_no_context_takeover: true, server_max_window_bits: 10, client_max_window_bits: 11 });
  t.is(accepted as unknown, response[0] as unknown);
  t.is(pmd.params as unknown, accepted as unknown);
  t.deepEqual(ours({ clientMaxWindowBits: 10 }).accept([{}]), { client_max_window_bits: 10 });
  t.deepEqual(ours({}).accept([{}]), {});
});

test('the options object form and the old positional form both set isServer', (t) => {
  // A bare client_max_window_bits is valid only in an offer (the server's view).
  t.deepEqual(ours({ isServer: true }).accept(offers('permessage-deflate; client_max_window_bits')), {});
  t.deepEqual(new PerMessageDeflate({}, true).accept(offers('permessage-deflate; client_max_window_bits')), {});
  t.throws(() => ours({ isServer: false }).accept(offers('permessage-deflate; client_max_window_bits')), { instanceOf: TypeError });
  t.throws(() => new PerMessageDeflate({}, false).accept(offers('permessage-deflate; client_max_window_bits')), { instanceOf: TypeError });
});

test('compress/decompress round-trip an unfragmented message', async (t) => {
  const pmd = ours();
  pmd.accept([{}]);
  const input = Buffer.from([1, 2, 3]);
  const compressed = await pmdCall(pmd, 'compress', input, true);
  t.deepEqual(await pmdCall(pmd, 'decompress', compressed, true), input);
  const text = await pmdCall(pmd, 'compress', 'héllo' as unknown as Buffer, true);
  t.is((await pmdCall(pmd, 'decompress', text, true)).toString(), 'héllo');
});

test('compress/decompress round-trip a message in fin=false fragments', async (t) => {
  const pmd = ours();
  pmd.accept([{}]);
  const input = Buffer.from([1, 2, 3, 4]);
  const c1 = await pmdCall(pmd, 'compress', input.subarray(0, 2), false);
  const c2 = await pmdCall(pmd, 'compress', input.subarray(2), true);
  const d1 = await pmdCall(pmd, 'decompress', c1, false);
  const d2 = await pmdCall(pmd, 'decompress', c2, true);
  t.deepEqual(Buffer.concat([d1, d2]), input);
});

test('a final fragment ends without the 00 00 ff ff trailer; a non-final one keeps it', async (t) => {
  const pmd = ours();
  pmd.accept([{}]);
  const partial = await pmdCall(pmd, 'compress', Buffer.from('abc'), false);
  t.deepEqual([...partial.subarray(-4)], [0, 0, 0xff, 0xff]);
  const last = await pmdCall(pmd, 'compress', Buffer.from('abc'), true);
  t.notDeepEqual([...last.subarray(-4)], [0, 0, 0xff, 0xff]);
});

test('compressed output is readable by ws and ws output is readable by ours, with negotiated window sizes', async (t) => {
  const input = Buffer.from("Some compressible data, it's compressible. ".repeat(50));
  for (const header of ['permessage-deflate', FULL]) {
    const a = ours({ zlibDeflateOptions: { memLevel: 5, level: 9 } });
    const b = theirs({ isServer: true });
    a.accept(offers(header));
    b.accept(offers(header));
    for (let i = 0; i < 3; i++) {
      const fromUs = await pmdCall(a, 'compress', input, true);
      t.deepEqual(await pmdCall(b, 'decompress', fromUs, true), input, `ws reads ours (${header}, #${i})`);
      const fromWs = await pmdCall(b, 'compress', input, true);
      t.deepEqual(await pmdCall(a, 'decompress', fromWs, true), input, `ours reads ws (${header}, #${i})`);
    }
  }
});

test('zlibDeflateOptions.level is honoured (level 0 grows, level 9 shrinks)', async (t) => {
  const input = Buffer.from("Some compressible data, it's compressible.");
  const lev0 = ours({ zlibDeflateOptions: { level: 0 } });
  const lev9 = ours({ zlibDeflateOptions: { level: 9 } });
  lev0.accept(offers(FULL));
  lev9.accept(offers(FULL));
  const c0 = await pmdCall(lev0, 'compress', input, true);
  const c9 = await pmdCall(lev9, 'compress', input, true);
  t.true(c0.length > input.length);
  t.true(c9.length < input.length);
  t.deepEqual(await pmdCall(lev0, 'decompress', c0, true), input);
  t.deepEqual(await pmdCall(lev9, 'decompress', c9, true), input);
});

test('without context takeover a repeated message compresses to the same size', async (t) => {
  const pmd = ours({ isServer: true });
  pmd.accept(offers('permessage-deflate;server_no_context_takeover'));
  const input = Buffer.from('foofoo');
  const first = await pmdCall(pmd, 'compress', input, true);
  const second = await pmdCall(pmd, 'compress', input, true);
  t.is(second.length, first.length);
  t.deepEqual(second, first);
});

test('with context takeover a repeated message compresses smaller the second time', async (t) => {
  const pmd = ours({ isServer: true });
  pmd.accept(offers('permessage-deflate'));
  const input = Buffer.from('foofoo');
  const first = await pmdCall(pmd, 'compress', input, true);
  const second = await pmdCall(pmd, 'compress', input, true);
  t.true(second.length < first.length);
  const reader = theirs({});
  reader.accept([{}]);
  t.deepEqual(await pmdCall(reader, 'decompress', first, true), input);
  t.deepEqual(await pmdCall(reader, 'decompress', second, true), input);
});

test('decompress of corrupt data fails with Z_DATA_ERROR, errno -3 and status 1007', async (t) => {
  const pmd = ours();
  pmd.accept([{}]);
  const err = await t.throwsAsync(pmdCall(pmd, 'decompress', Buffer.from('something invalid'), true));
  t.true(err instanceof Error);
  t.is((err as Error & { code?: string }).code, 'Z_DATA_ERROR');
  t.is((err as Error & { errno?: number }).errno, -3);
  t.is(statusCodeOf(err), 1007);
});

for (const [form, make] of [
  ['options object', () => ours({ isServer: false, maxPayload: 25 })],
  ['positional', () => new PerMessageDeflate({}, false, 25)],
] as const) {
  for (const size of [50, 1024 * 1024]) {
    test(`decompress over maxPayload (${form} form, ${size} B) fails with WS_ERR_UNSUPPORTED_MESSAGE_LENGTH`, async (t) => {
      const pmd = make();
      pmd.accept([{}]);
      const compressed = await pmdCall(pmd, 'compress', Buffer.alloc(size, 'A'), true);
      const err = await t.throwsAsync(pmdCall(pmd, 'decompress', compressed, true));
      t.true(err instanceof RangeError);
      t.is(err?.message, 'Max payload size exceeded');
      t.is((err as Error & { code?: string }).code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
      t.is(statusCodeOf(err), 1009);
    });
  }
}

test('decompress at exactly maxPayload succeeds', async (t) => {
  const pmd = ours({ maxPayload: 25 });
  pmd.accept([{}]);
  const compressed = await pmdCall(pmd, 'compress', Buffer.alloc(25, 'A'), true);
  t.is((await pmdCall(pmd, 'decompress', compressed, true)).length, 25);
});

test('decompress keeps working after a stream that ended with a final block', async (t) => {
  const pmd = ours();
  pmd.accept(offers('permessage-deflate; client_no_context_takeover; server_no_context_takeover'));
  const finalBlock = Buffer.from('33343236313533b7000000', 'hex');
  t.is((await pmdCall(pmd, 'decompress', finalBlock, true)).toString(), '12345678');
  t.is((await pmdCall(pmd, 'decompress', finalBlock, true)).toString(), '12345678');
});

test('cleanup() during a compression calls back with ws\'s error', async (t) => {
  const pmd = ours();
  pmd.accept([{}]);
  const pending = pmdCall(pmd, 'compress', Buffer.from('A'.repeat(50)), true);
  process.nextTick(() => pmd.cleanup());
  await t.throwsAsync(pending, { message: 'The deflate stream was closed while data was being processed' });
  const after = await pmdCall(pmd, 'compress', Buffer.from('again'), true);
  t.is((await pmdCall(pmd, 'decompress', after, true)).toString(), 'again');
});

test('callbacks are asynchronous and keep call order', async (t) => {
  const pmd = ours();
  pmd.accept([{}]);
  const order: number[] = [];
  let sync = true;
  const done = new Promise<void>((resolve) => {
    for (let i = 0; i < 5; i++) {
      pmd.compress(Buffer.from(`message ${i}`), true, (err) => {
        t.false(sync);
        t.is(err, null);
        order.push(i);
        if (order.length === 5) resolve();
      });
    }
  });
  sync = false;
  await done;
  t.deepEqual(order, [0, 1, 2, 3, 4]);
});
