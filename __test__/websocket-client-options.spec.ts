/**
 * Client options with an observable effect (ws-api.md §3 CO1–CO16), each checked on the wire
 * against a raw server or the real `ws` server: what the request carried, which frames the peer
 * received (masks included), and which errors and close codes the application saw.
 */
import test from 'ava';
import { closePayload, delay, frame, next, WebSocket, type WebSocketT } from './helpers.ts';
import { answer101, closed, rawPair, rawServer, realServer, recordEvents } from './helpers-client.ts';

type Err = Error & { code?: string };

test('closeTimeout destroys the socket when the peer never answers the close frame', async (t) => {
  const p = await rawPair({ closeTimeout: 300 });
  t.teardown(p.close);
  const started = Date.now();
  p.ws.close(1000, 'bye');
  t.deepEqual(await p.conn.peer.readClose(), { code: 1000, reason: 'bye' });
  const [code] = await next<[number]>(p.ws, 'close', 5000);
  t.is(code, 1006);
  t.true(Date.now() - started >= 250, 'not before the timeout');
  await p.conn.peer.waitClosed();
});

test.serial('closeTimeout applies on the JavaScript transport too', async (t) => {
  process.env['FERROWS_NO_NATIVE'] = '1';
  try {
    const p = await rawPair({ closeTimeout: 300 });
    t.teardown(p.close);
    t.false((p.ws as unknown as { _transport: { isNative: boolean } })._transport.isNative);
    p.ws.close();
    await p.conn.peer.readClose();
    const [code] = await next<[number]>(p.ws, 'close', 5000);
    t.is(code, 1006);
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
  }
});

test('finishRequest receives the request and the WebSocket, and a header it sets reaches the server', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  let seen: unknown[] = [];
  const ws: WebSocketT = new WebSocket(srv.url, {
    finishRequest(req: { setHeader(n: string, v: string): void; end(): void }, socket: unknown) {
      seen = [typeof req.setHeader, socket];
      req.setHeader('X-Finished-By', 'finishRequest');
      req.end();
    },
  } as never);
  await next(ws, 'open');
  t.is(seen[0], 'function');
  t.is(seen[1], ws);
  t.is(srv.requests[0]!['x-finished-by'], 'finishRequest');
  ws.close();
  await next(ws, 'close');
});

test('finishRequest that never ends the request leaves the handshake unsent', async (t) => {
  const srv = await rawServer((c) => answer101(c));
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url, { finishRequest() {} } as never);
  await t.throwsAsync(srv.nextConn(400));
  t.is(ws.readyState, WebSocket.CONNECTING);
  const log = recordEvents(ws, ['error', 'close']);
  ws.terminate();
  await closed(ws);
  t.deepEqual(log, ['error:WebSocket was closed before the connection was established', 'close:1006']);
});

/** Decodes the raw header of each client frame after the request head: opcode and mask key. */
function rawFrames(wire: Buffer): { opcode: number; key: Buffer }[] {
  let at = wire.indexOf('\r\n\r\n') + 4;
  const out: { opcode: number; key: Buffer }[] = [];
  while (at + 2 <= wire.length) {
    const opcode = wire[at]! & 0x0f;
    let len = wire[at + 1]! & 0x7f;
    let h = at + 2;
    if (len === 126) {
      len = wire.readUInt16BE(h);
      h += 2;
    }
    const key = wire.subarray(h, h + 4);
    out.push({ opcode, key: Buffer.from(key) });
    at = h + 4 + len;
  }
  return out;
}

test('generateMask fills the masking key of every data frame, once per message', async (t) => {
  let calls = 0;
  const p = await rawPair({
    generateMask(mask: Buffer) {
      calls++;
      mask.set([0x11, 0x22, 0x33, 0x44]);
    },
  });
  t.teardown(p.close);
  p.ws.send('hello');
  p.ws.send(Buffer.alloc(300, 7));
  const a = await p.conn.peer.readFrame();
  const b = await p.conn.peer.readFrame();
  t.is(a.payload.toString(), 'hello');
  t.true(a.masked);
  t.deepEqual(b.payload, Buffer.alloc(300, 7));
  t.is(calls, 2);
  const frames = rawFrames(p.conn.wire());
  t.deepEqual(
    frames.map((f) => [f.opcode, [...f.key]]),
    [
      [1, [0x11, 0x22, 0x33, 0x44]],
      [2, [0x11, 0x22, 0x33, 0x44]],
    ],
  );
});

test('generateMask also supplies the key of ping and close frames', async (t) => {
  const p = await rawPair({ generateMask: (mask: Buffer) => mask.fill(0xab) });
  t.teardown(p.close);
  p.ws.ping('p');
  t.is((await p.conn.peer.readFrame()).opcode, 9);
  p.ws.close(1000);
  await p.conn.peer.readClose();
  const frames = rawFrames(p.conn.wire());
  t.deepEqual(
    frames.map((f) => [f.opcode, f.key.toString('hex')]),
    [
      [9, 'abababab'],
      [8, 'abababab'],
    ],
  );
});

test('handshakeTimeout fails a handshake the server never answers', async (t) => {
  const srv = await rawServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url, { handshakeTimeout: 200 });
  const log = recordEvents(ws, ['open', 'error', 'close']);
  await srv.nextConn();
  await closed(ws);
  t.deepEqual(log, ['error:Opening handshake has timed out', 'close:1006']);
  t.is(ws.readyState, WebSocket.CLOSED);
});

test('client maxPayload: a message one byte over the limit fails with 1009', async (t) => {
  const p = await rawPair({ maxPayload: 10 });
  t.teardown(p.close);
  const errored = next<[Err]>(p.ws, 'error');
  p.conn.peer.write(frame(2, Buffer.alloc(10), { mask: false }));
  const [data] = await next<[Buffer]>(p.ws, 'message');
  t.is(data.length, 10);
  p.conn.peer.write(frame(2, Buffer.alloc(11), { mask: false }));
  const [err] = await errored;
  t.true(err instanceof RangeError);
  t.is(err.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  t.is((await p.conn.peer.readClose()).code, 1009);
});

test('origin is sent as Origin with version 13 and as Sec-WebSocket-Origin with version 8', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  const a = new WebSocket(srv.url, { origin: 'https://app.example' });
  await next(a, 'open');
  const b = new WebSocket(srv.url, { origin: 'https://old.example', protocolVersion: 8 });
  await next(b, 'open');
  t.is(srv.requests[0]!['origin'], 'https://app.example');
  t.is(srv.requests[0]!['sec-websocket-origin'], undefined);
  t.is(srv.requests[1]!['sec-websocket-origin'], 'https://old.example');
  t.is(srv.requests[1]!['origin'], undefined);
  t.is(srv.requests[1]!['sec-websocket-version'], '8');
  a.close();
  b.close();
  await Promise.all([next(a, 'close'), next(b, 'close')]);
});

test('perMessageDeflate is offered by default and negotiated with a deflate server', async (t) => {
  const srv = await realServer({ perMessageDeflate: true });
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  await next(ws, 'open');
  t.is(srv.requests[0]!['sec-websocket-extensions'], 'permessage-deflate; client_max_window_bits');
  t.is(ws.extensions, 'permessage-deflate');
  ws.close();
  await next(ws, 'close');
});

test('perMessageDeflate false sends no extension offer', async (t) => {
  const srv = await realServer({ perMessageDeflate: true });
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url, { perMessageDeflate: false });
  await next(ws, 'open');
  t.is(srv.requests[0]!['sec-websocket-extensions'], undefined);
  t.is(ws.extensions, '');
  ws.close();
  await next(ws, 'close');
});

test('perMessageDeflate object options shape the offer', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url, { perMessageDeflate: { serverNoContextTakeover: true, clientMaxWindowBits: 10 } });
  await next(ws, 'open');
  const offer = srv.requests[0]!['sec-websocket-extensions'] as string;
  t.regex(offer, /^permessage-deflate;/);
  t.regex(offer, /server_no_context_takeover/);
  t.regex(offer, /client_max_window_bits=10/);
  t.is(ws.extensions, '', 'a server without deflate declines');
  ws.close();
  await next(ws, 'close');
});

test('protocolVersion other than 8 or 13 throws RangeError', (t) => {
  for (const v of [7, 0, 12, 14]) {
    t.throws(() => new WebSocket('ws://127.0.0.1:1', { protocolVersion: v }), {
      instanceOf: RangeError,
      message: `Unsupported protocol version: ${v} (supported versions: 8, 13)`,
    });
  }
});

test('skipUTF8Validation delivers invalid UTF-8 text; the default fails with 1007', async (t) => {
  const bad = Buffer.from([0x68, 0xff, 0xfe, 0x69]);
  const skip = await rawPair({ skipUTF8Validation: true });
  t.teardown(skip.close);
  skip.conn.peer.write(frame(1, bad, { mask: false }));
  const [data, isBinary] = await next<[Buffer, boolean]>(skip.ws, 'message');
  t.deepEqual(data, bad);
  t.false(isBinary);

  const strict = await rawPair();

  t.teardown(strict.close);
  const errored = next<[Err]>(strict.ws, 'error');
  strict.conn.peer.write(frame(1, bad, { mask: false }));
  const [err] = await errored;
  t.is(err.code, 'WS_ERR_INVALID_UTF8');
  t.is((await strict.conn.peer.readClose()).code, 1007);
});

test('autoPong (default) answers a ping before the ping event is emitted', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.on('ping', (data: Buffer) => p.ws.send(`after ${data.toString()}`));
  p.conn.peer.write(frame(9, 'pp', { mask: false }));
  const first = await p.conn.peer.readFrame();
  const second = await p.conn.peer.readFrame();
  t.is(first.opcode, 10);
  t.is(first.payload.toString(), 'pp');
  t.is(second.opcode, 1);
  t.is(second.payload.toString(), 'after pp');
});

test('autoPong false emits ping without answering it', async (t) => {
  const p = await rawPair({ autoPong: false });
  t.teardown(p.close);
  p.conn.peer.write(frame(9, 'quiet', { mask: false }));
  const [data] = await next<[Buffer]>(p.ws, 'ping');
  t.is(data.toString(), 'quiet');
  p.ws.send('marker');
  const f = await p.conn.peer.readFrame();
  t.is(f.opcode, 1, 'no pong before the marker');
  t.is(f.payload.toString(), 'marker');
});

test('allowSynchronousEvents false spreads messages over separate ticks', async (t) => {
  const order = async (allowSynchronousEvents: boolean): Promise<string[]> => {
    const p = await rawPair({ allowSynchronousEvents });
    t.teardown(p.close);
    const log: string[] = [];
    const done = new Promise<void>((resolve) => {
      p.ws.on('message', (d: Buffer) => {
        log.push(d.toString());
        queueMicrotask(() => log.push(`micro-${d.toString()}`));
        if (d.toString() === 'b') setTimeout(resolve, 20);
      });
    });
    p.conn.peer.write(Buffer.concat([frame(1, 'a', { mask: false }), frame(1, 'b', { mask: false })]));
    await done;
    return log;
  };
  t.deepEqual(await order(true), ['a', 'b', 'micro-a', 'micro-b']);
  t.deepEqual(await order(false), ['a', 'micro-a', 'b', 'micro-b']);
});

test('client maxFragments: one fragment too many fails with 1008', async (t) => {
  const p = await rawPair({ maxFragments: 2 });
  t.teardown(p.close);
  const errored = next<[Err]>(p.ws, 'error');
  p.conn.peer.write(
    Buffer.concat([
      frame(1, 'a', { mask: false, fin: false }),
      frame(0, 'b', { mask: false, fin: false }),
      frame(0, 'c', { mask: false }),
    ]),
  );
  const [err] = await errored;
  t.is(err.code, 'WS_ERR_TOO_MANY_BUFFERED_PARTS');
  t.is((await p.conn.peer.readClose()).code, 1008);
});

test('a close frame from the server without a code closes with 1005 and an empty reason', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.conn.peer.write(frame(8, Buffer.alloc(0), { mask: false }));
  const [code, reason] = await next<[number, Buffer]>(p.ws, 'close');
  t.is(code, 1005);
  t.true(Buffer.isBuffer(reason));
  t.is(reason.length, 0);
  t.deepEqual(await p.conn.peer.readClose(), { code: undefined, reason: '' });
  await delay(0);
});

test('a reason sent by the server arrives as a Buffer with its code', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.conn.peer.write(frame(8, closePayload(4001, 'gone'), { mask: false }));
  const [code, reason] = await next<[number, Buffer]>(p.ws, 'close');
  t.is(code, 4001);
  t.true(Buffer.isBuffer(reason));
  t.is(reason.toString(), 'gone');
  t.deepEqual(await p.conn.peer.readClose(), { code: 4001, reason: 'gone' });
});
