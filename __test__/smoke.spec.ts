/**
 * The napi build is wired end to end: the addon loads, the CPU probe picked a masking kernel,
 * and a message crosses a Rust-owned socket in Node's loop and a JS-owned socket both ways.
 */
import test from 'ava';
import { createRequire } from 'node:module';
import { listen, messages, next, shutdown, WebSocket, type WebSocketT } from './helpers.ts';

const require = createRequire(import.meta.url);
const { native } = require('../dist/lib/native.js') as { native: { maskKernel(): string; acceptKey(key: string): string } };

test('the addon loads and reports a masking kernel', (t) => {
  t.regex(native.maskKernel(), /^(avx512bw|avx2|sse2|neon|scalar)$/);
  t.is(native.acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test.serial('an echo crosses native sockets on both ends', async (t) => {
  const { wss, url } = await listen();
  let serverSide: WebSocketT | undefined;
  wss.on('connection', (ws: WebSocketT) => {
    serverSide = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  const ws = new WebSocket(url);
  await next(ws, 'open');
  const received = messages(ws, 2);
  ws.send('héllo');
  ws.send(Buffer.from([0, 1, 2, 255]));
  const [[text, textBinary], [bin, binBinary]] = await received;
  t.is(text.toString(), 'héllo');
  t.false(textBinary);
  t.deepEqual([...bin], [0, 1, 2, 255]);
  t.true(binBinary);
  t.true((ws as unknown as { _transport: { isNative: boolean } })._transport.isNative);
  t.true((serverSide as unknown as { _transport: { isNative: boolean } })._transport.isNative);
  ws.close(1000, 'done');
  const [code, reason] = await next<[number, Buffer]>(ws, 'close');
  t.is(code, 1000);
  t.is(reason.toString(), 'done');
  await shutdown(wss);
});

test.serial('FERROWS_NO_NATIVE keeps sockets in JavaScript with the same behaviour', async (t) => {
  process.env['FERROWS_NO_NATIVE'] = '1';
  try {
    const { wss, url } = await listen();
    wss.on('connection', (ws: WebSocketT) => ws.on('message', (d: Buffer, b: boolean) => ws.send(d, { binary: b })));
    const ws = new WebSocket(url);
    await next(ws, 'open');
    t.false((ws as unknown as { _transport: { isNative: boolean } })._transport.isNative);
    const received = messages(ws, 1);
    ws.send('via js');
    t.is((await received)[0]![0].toString(), 'via js');
    ws.close();
    await next(ws, 'close');
    await shutdown(wss);
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
  }
});
