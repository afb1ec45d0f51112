/**
 * WebSocket properties and the EventTarget emulation (ws-api.md §6 W1–W12): the ready-state
 * constants, getters (readyState, binaryType, bufferedAmount, extensions, isPaused, protocol, url),
 * on-handlers, addEventListener/removeEventListener, and the event objects they receive.
 */
import test from 'ava';
import { frame, listen, next, shutdown, WebSocket, type WebSocketT } from './helpers.ts';
import { closed, rawPair, RealWs, realServer, until } from './helpers-client.ts';

type Ev = { type: string; target: unknown; data?: unknown; code?: number; reason?: unknown; wasClean?: boolean; error?: unknown; message?: string };
type Any = Record<string, unknown>;

/** Our client connected to the real ws server; `peer` is the server-side ws instance. */
async function pair(t: { teardown(fn: () => unknown): void }, serverOptions: Record<string, unknown> = {}) {
  const srv = await realServer(serverOptions);
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  const [[peer]] = await Promise.all([next<[InstanceType<typeof RealWs>]>(srv.wss, 'connection'), next(ws, 'open')]);
  return { ws, peer };
}

test('ready-state constants are 0..3, enumerable, on the class and the prototype', (t) => {
  const names = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;
  names.forEach((name, value) => {
    for (const target of [WebSocket, WebSocket.prototype]) {
      const d = Object.getOwnPropertyDescriptor(target, name);
      t.is(d?.value, value, name);
      t.true(d?.enumerable, name);
    }
  });
  t.true(Object.keys(WebSocket).includes('OPEN'));
  const ws = new WebSocket('ws://127.0.0.1:1');
  ws.on('error', () => {});
  t.is(ws.CLOSED, 3);
  t.false(Object.prototype.hasOwnProperty.call(ws, 'OPEN'));
  ws.terminate();
});

test('the public getters are enumerable prototype accessors', (t) => {
  for (const name of ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url']) {
    const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, name);
    t.is(typeof d?.get, 'function', name);
    t.true(d?.enumerable, name);
  }
  for (const name of ['onopen', 'onmessage', 'onclose', 'onerror']) {
    const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, name);
    t.is(typeof d?.get, 'function', name);
    t.is(typeof d?.set, 'function', name);
    t.true(d?.enumerable, name);
  }
});

test('readyState moves CONNECTING → OPEN → CLOSING → CLOSED', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  const seen = [ws.readyState];
  ws.on('open', () => seen.push(ws.readyState));
  ws.on('close', () => seen.push(ws.readyState));
  await next(ws, 'open');
  ws.close();
  seen.push(ws.readyState);
  await closed(ws);
  t.deepEqual(seen, [0, 1, 2, 3]);
});

test('binaryType defaults to nodebuffer and converts binary messages', async (t) => {
  const { ws, peer } = await pair(t);
  t.is(ws.binaryType, 'nodebuffer');
  const receive = async (type: string): Promise<unknown> => {
    (ws as unknown as Any)['binaryType'] = type;
    const got = next<[unknown, boolean]>(ws, 'message');
    peer.send(Buffer.from('bin'));
    return (await got)[0];
  };
  const nb = await receive('nodebuffer');
  t.true(Buffer.isBuffer(nb));
  const ab = await receive('arraybuffer');
  t.true(ab instanceof ArrayBuffer);
  t.is(Buffer.from(ab as ArrayBuffer).toString(), 'bin');
  const fr = await receive('fragments');
  t.true(Array.isArray(fr) && (fr as unknown[]).every((b) => Buffer.isBuffer(b)));
  t.is(Buffer.concat(fr as Buffer[]).toString(), 'bin');
  const bl = await receive('blob');
  t.true(bl instanceof Blob);
  t.is(await (bl as Blob).text(), 'bin');
  ws.terminate();
});

test('binaryType: text stays a Buffer whatever the type', async (t) => {
  const { ws, peer } = await pair(t);
  ws.binaryType = 'arraybuffer';
  peer.send('txt');
  const [data, isBinary] = await next<[unknown, boolean]>(ws, 'message');
  t.true(Buffer.isBuffer(data));
  t.false(isBinary);
  ws.terminate();
});

test('binaryType: an invalid value is silently ignored', (t) => {
  const ws = new WebSocket('ws://127.0.0.1:1');
  ws.on('error', () => {});
  ws.binaryType = 'arraybuffer';
  for (const bad of ['string', 'Blob', '', undefined, 42]) {
    (ws as unknown as Any)['binaryType'] = bad;
    t.is(ws.binaryType, 'arraybuffer');
  }
  ws.terminate();
});

test('binaryType fragments: a fragmented binary message arrives as its parts', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.binaryType = 'fragments';
  p.conn.peer.write(Buffer.concat([frame(2, 'ab', { mask: false, fin: false }), frame(0, 'cd', { mask: false })]));
  const [data] = await next<[Buffer[]]>(p.ws, 'message');
  t.true(Array.isArray(data));
  t.is(Buffer.concat(data).toString(), 'abcd');
});

test('bufferedAmount is 0 when idle and after a send callback', async (t) => {
  const { ws } = await pair(t);
  t.is(typeof ws.bufferedAmount, 'number');
  t.is(ws.bufferedAmount, 0);
  await new Promise<void>((resolve, reject) => ws.send(Buffer.alloc(64 * 1024), (err?: Error) => (err ? reject(err) : resolve())));
  await until(() => ws.bufferedAmount === 0);
  t.is(ws.bufferedAmount, 0);
  ws.terminate();
});

test('bufferedAmount grows for sends in CLOSING and CLOSED', async (t) => {
  const { ws } = await pair(t);
  ws.close();
  t.is(ws.readyState, WebSocket.CLOSING);
  const before = ws.bufferedAmount;
  ws.send('abcd');
  ws.ping(Buffer.alloc(5));
  t.is(ws.bufferedAmount, before + 9);
  await closed(ws);
  const after = ws.bufferedAmount;
  ws.send(Buffer.alloc(10));
  ws.pong('xy');
  t.is(ws.bufferedAmount, after + 12);
});

test('bufferedAmount counts sends after a failed handshake (no socket)', async (t) => {
  const ws = new WebSocket('ws://127.0.0.1:1');
  ws.on('error', () => {});
  await closed(ws);
  t.is(ws.bufferedAmount, 0);
  ws.send('hello');
  ws.send(12345);
  t.is(ws.bufferedAmount, 10);
});

test('extensions is a string on both ends', async (t) => {
  const { wss, url } = await listen({ perMessageDeflate: true });
  t.teardown(() => shutdown(wss));
  const a = new WebSocket(url);
  const b = new WebSocket(url, { perMessageDeflate: false });
  const [[sa], [sb]] = [await next<[WebSocketT]>(wss, 'connection'), await next<[WebSocketT]>(wss, 'connection')];
  await Promise.all([a.readyState === 1 || next(a, 'open'), b.readyState === 1 || next(b, 'open')]);
  t.is(typeof a.extensions, 'string');
  t.deepEqual([a.extensions, b.extensions].sort(), ['', 'permessage-deflate']);
  t.deepEqual([sa.extensions, sb.extensions].sort(), ['', 'permessage-deflate']);
  a.terminate();
  b.terminate();
});

test('isPaused follows pause/resume and is a no-op while CONNECTING', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  ws.pause();
  t.false(ws.isPaused);
  await next(ws, 'open');
  t.false(ws.isPaused);
  ws.pause();
  t.true(ws.isPaused);
  ws.resume();
  t.false(ws.isPaused);
  ws.terminate();
  await closed(ws);
  ws.pause();
  t.false(ws.isPaused, 'no-op in CLOSED');
});

test('protocol is "" by default and the selected subprotocol on both ends; url is undefined server-side', async (t) => {
  const { wss, url } = await listen();
  t.teardown(() => shutdown(wss));
  const plain = new WebSocket(url);
  const [sPlain] = await next<[WebSocketT]>(wss, 'connection');
  const chat = new WebSocket(`${url}/x`, ['chat', 'other']);
  const [sChat] = await next<[WebSocketT]>(wss, 'connection');
  if (chat.readyState !== WebSocket.OPEN) await next(chat, 'open');
  t.is(plain.protocol, '');
  t.is(sPlain.protocol, '');
  t.is(chat.protocol, 'chat');
  t.is(sChat.protocol, 'chat');
  t.is(chat.url, `${url}/x`);
  t.is(sChat.url, undefined);
  plain.terminate();
  chat.terminate();
});

test('on-handlers default to null, replace each other, and receive Event objects', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  t.is(ws.onopen, null);
  t.is(ws.onmessage, null);
  t.is(ws.onclose, null);
  t.is(ws.onerror, null);
  const calls: string[] = [];
  const first = () => calls.push('first');
  const second = (e: unknown) => calls.push(`second:${(e as Ev).type}:${(e as Ev).target === ws}`);
  ws.onopen = first;
  ws.onopen = second;
  t.is(ws.onopen, second);
  t.is(ws.listenerCount('open'), 1);
  await next(ws, 'open');
  t.deepEqual(calls, ['second:open:true']);
  ws.onopen = null;
  t.is(ws.onopen, null);
  t.is(ws.listenerCount('open'), 0);
  (ws as unknown as Any)['onclose'] = 'not a function';
  t.is(ws.onclose, null);
  ws.terminate();
  await closed(ws);
});

test('addEventListener ignores types other than open/message/close/error', (t) => {
  const ws = new WebSocket('ws://127.0.0.1:1');
  ws.on('error', () => {});
  const add = ws.addEventListener as unknown as (type: string, l: () => void) => void;
  for (const type of ['ping', 'pong', 'upgrade', 'redirect', 'foo']) add.call(ws, type, () => {});
  for (const type of ['ping', 'pong', 'upgrade', 'redirect', 'foo']) t.is(ws.listenerCount(type), 0, type);
  for (const type of ['open', 'message', 'close', 'error']) add.call(ws, type, () => {});
  t.is(ws.listenerCount('open') + ws.listenerCount('message') + ws.listenerCount('close'), 3);
  t.is(ws.listenerCount('error'), 2);
  ws.terminate();
});

test('addEventListener: handleEvent objects, dedupe, once, and a wrapper in listeners(type)', async (t) => {
  const { ws, peer } = await pair(t);
  const log: string[] = [];
  const fn = (e: unknown) => log.push(`fn:${(e as Ev).data}`);
  const obj = {
    handleEvent(this: unknown, e: unknown) {
      log.push(`obj:${(e as Ev).data}:${this === obj}`);
    },
  };
  const onceFn = (e: unknown) => log.push(`once:${(e as Ev).data}`);
  ws.addEventListener('message', fn);
  ws.addEventListener('message', fn);
  ws.addEventListener('message', obj as never);
  ws.addEventListener('message', onceFn, { once: true });
  const listeners = ws.listeners('message');
  t.is(listeners.length, 3);
  t.false(listeners.includes(fn), 'the EventEmitter list holds a wrapper');
  peer.send('1');
  await next(ws, 'message');
  peer.send('2');
  await next(ws, 'message');
  t.deepEqual(log, ['fn:1', 'obj:1:true', 'once:1', 'fn:2', 'obj:2:true']);
  t.is(ws.listenerCount('message'), 2);
  ws.removeEventListener('message', fn);
  ws.removeEventListener('message', obj as never);
  t.is(ws.listenerCount('message'), 0);
  ws.terminate();
});

test('removeEventListener does not remove on-handlers or plain EventEmitter listeners', async (t) => {
  const ws = new WebSocket('ws://127.0.0.1:1');
  const handler = () => {};
  const plain = () => {};
  ws.onerror = handler;
  ws.on('error', plain);
  ws.removeEventListener('error', handler);
  ws.removeEventListener('error', plain);
  t.is(ws.onerror, handler);
  t.is(ws.listenerCount('error'), 2);
  await closed(ws);
});

test('MessageEvent.data is a string for text and follows binaryType for binary', async (t) => {
  const { ws, peer } = await pair(t);
  const events: Ev[] = [];
  ws.addEventListener('message', (e) => events.push(e as unknown as Ev));
  peer.send('héllo');
  await next(ws, 'message');
  peer.send(Buffer.from([1, 2]));
  await next(ws, 'message');
  ws.binaryType = 'arraybuffer';
  peer.send(Buffer.from([3]));
  await next(ws, 'message');
  t.is(events[0]!.type, 'message');
  t.is(events[0]!.target, ws);
  t.is(events[0]!.data, 'héllo');
  t.true(Buffer.isBuffer(events[1]!.data));
  t.true(events[2]!.data instanceof ArrayBuffer);
  ws.terminate();
});

test('CloseEvent has code, string reason and wasClean', async (t) => {
  const { ws } = await pair(t);
  let clean: Ev | undefined;
  ws.onclose = (e) => (clean = e as unknown as Ev);
  ws.close(4001, 'reason');
  await closed(ws);
  t.like(clean, { type: 'close', code: 4001, reason: 'reason', wasClean: true });
  t.is(clean?.target, ws);

  const other = await pair(t);
  let dirty: Ev | undefined;
  other.ws.addEventListener('close', (e) => (dirty = e as unknown as Ev));
  other.peer.terminate();
  await closed(other.ws);
  t.like(dirty, { code: 1006, reason: '', wasClean: false });
});

test('ErrorEvent has the error and its message', async (t) => {
  const ws = new WebSocket('ws://127.0.0.1:1');
  let event: Ev | undefined;
  ws.onerror = (e) => (event = e as unknown as Ev);
  await closed(ws);
  t.is(event?.type, 'error');
  t.true(event?.error instanceof Error);
  t.is(event?.message, (event?.error as Error).message);
  t.is(event?.target, ws);
});
