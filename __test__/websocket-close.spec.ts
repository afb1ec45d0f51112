/**
 * close(), terminate(), pause()/resume() and `_socket` (ws-api.md §6 W15–W17, W19) and the quirks
 * at the end of §6 — notably that readyState stays OPEN when close() throws (8.22.0). Frames are
 * read by a raw peer so the wire agrees with what the application sees.
 */
import test from 'ava';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { closePayload, frame, listen, next, rawUpgrade, shutdown, WebSocket, type WebSocketT } from './helpers.ts';
import { closed, rawPair, recordEvents, rawServer, until } from './helpers-client.ts';

const BAD_CODE = 'First argument must be a valid error code number';
const ABORTED = 'WebSocket was closed before the connection was established';

const NO_ERROR_LISTENER = fileURLToPath(new URL('./fixtures/no-error-listener.cjs', import.meta.url));

async function serverSide(t: { teardown(fn: () => unknown): void }) {
  const { wss, port } = await listen();
  t.teardown(() => shutdown(wss));
  const conn = next<[WebSocketT]>(wss, 'connection');
  const { peer } = await rawUpgrade(port);
  const [ws] = await conn;
  return { ws, peer, port };
}

test('close() with an invalid code throws TypeError and readyState stays OPEN', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, NaN, '1000', null]) {
    t.throws(() => p.ws.close(code as number), { instanceOf: TypeError, message: BAD_CODE }, String(code));
    t.is(p.ws.readyState, WebSocket.OPEN, String(code));
  }
  p.ws.send('still usable');
  t.is((await p.conn.peer.readFrame()).payload.toString(), 'still usable');
});

test('close() accepts every valid code range and puts it on the wire', async (t) => {
  for (const code of [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999]) {
    const p = await rawPair();
    t.teardown(p.close);
    p.ws.close(code);
    t.is(p.ws.readyState, WebSocket.CLOSING);
    t.deepEqual(await p.conn.peer.readClose(), { code, reason: '' });
  }
});

test('close() reason: 123 bytes pass; 124 bytes throw RangeError and leave the socket OPEN', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  const message = 'The message must not be greater than 123 bytes';
  t.throws(() => p.ws.close(1000, 'x'.repeat(124)), { instanceOf: RangeError, message });
  t.throws(() => p.ws.close(1000, 'é'.repeat(62)), { instanceOf: RangeError, message }, '124 UTF-8 bytes');
  t.throws(() => p.ws.close(1000, Buffer.alloc(124)), { instanceOf: RangeError, message });
  t.is(p.ws.readyState, WebSocket.OPEN);
  p.ws.close(1000, 'y'.repeat(123));
  t.deepEqual(await p.conn.peer.readClose(), { code: 1000, reason: 'y'.repeat(123) });
});

test('close() reason: a non-Uint8 typed array throws TypeError (8.20.1); a Uint8Array view is used as is', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  const message = 'Second argument must be a string or a Uint8Array';
  for (const reason of [new Uint16Array([0x4142]), new Float64Array(1), new Int8Array(3), new Uint8ClampedArray(2)]) {
    t.throws(() => p.ws.close(1000, reason as never), { instanceOf: TypeError, message });
    t.is(p.ws.readyState, WebSocket.OPEN);
  }
  t.throws(() => p.ws.close(1000, [1, 2] as never), { instanceOf: TypeError });
  t.is(p.ws.readyState, WebSocket.OPEN);
  const backing = Buffer.from('..why..');
  p.ws.close(4000, new Uint8Array(backing.buffer, backing.byteOffset + 2, 3));
  t.deepEqual(await p.conn.peer.readClose(), { code: 4000, reason: 'why' });
});

test('close() reason without a length (number, object, boolean, ArrayBuffer, DataView) is ignored as ws does: code only', async (t) => {
  for (const reason of [42, {}, true, new ArrayBuffer(2), new DataView(new ArrayBuffer(2))]) {
    const p = await rawPair();
    t.teardown(p.close);
    t.notThrows(() => p.ws.close(4001, reason as never), String(reason));
    t.deepEqual(await p.conn.peer.readClose(), { code: 4001, reason: '' });
  }
});

test('close() without a code sends an empty close frame; the echo gives 1005', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.close();
  t.deepEqual(await p.conn.peer.readClose(), { code: undefined, reason: '' });
  p.conn.peer.write(frame(8, Buffer.alloc(0), { mask: false }));
  const [code, reason] = await closed(p.ws);
  t.is(code, 1005);
  t.is(reason.length, 0);
  await p.conn.peer.waitClosed();
});

test('the close code reported is the one the peer sent back', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.close(4000, 'mine');
  await p.conn.peer.readClose();
  p.conn.peer.write(frame(8, closePayload(4002, 'theirs'), { mask: false }));
  const [code, reason] = await closed(p.ws);
  t.is(code, 4002);
  t.is(reason.toString(), 'theirs');
});

test('close() twice sends one close frame; close() in CLOSED is a no-op', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  p.ws.close(1000, 'once');
  t.notThrows(() => p.ws.close(1001, 'twice'));
  t.notThrows(() => p.ws.close(999 as number), 'no validation in CLOSING');
  t.deepEqual(await p.conn.peer.readClose(), { code: 1000, reason: 'once' });
  p.conn.peer.write(frame(8, closePayload(1000), { mask: false }));
  await closed(p.ws);
  const rest = await p.conn.peer.readToEnd();
  t.is(rest.length, 0, 'nothing after the first close frame');
  t.notThrows(() => p.ws.close(1000));
  t.is(p.ws.readyState, WebSocket.CLOSED);
});

test('close() while CONNECTING aborts with error then close 1006', async (t) => {
  const srv = await rawServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  const log = recordEvents(ws, ['open', 'error', 'close']);
  ws.close();
  t.is(ws.readyState, WebSocket.CLOSING);
  t.deepEqual(log, [], 'events come on a later tick');
  await closed(ws);
  t.deepEqual(log, [`error:${ABORTED}`, 'close:1006']);
  t.is(ws.readyState, WebSocket.CLOSED);
});

test('server side: close() sends an unmasked close frame and waits for the echo', async (t) => {
  const { ws, peer } = await serverSide(t);
  ws.close(1001, 'going');
  const f = await peer.readFrame();
  t.deepEqual([f.opcode, f.masked, f.payload.readUInt16BE(0), f.payload.subarray(2).toString()], [8, false, 1001, 'going']);
  t.is(ws.readyState, WebSocket.CLOSING);
  peer.write(frame(8, closePayload(1001)));
  const [code] = await closed(ws);
  t.is(code, 1001);
  await peer.waitClosed();
});

test('terminate() drops the connection without a close frame; close is 1006', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  const log = recordEvents(p.ws, ['error', 'close']);
  p.ws.terminate();
  t.is(p.ws.readyState, WebSocket.CLOSING);
  await closed(p.ws);
  const rest = await p.conn.peer.readToEnd();
  t.is(rest.length, 0);
  t.deepEqual(log, ['close:1006']);
  t.notThrows(() => p.ws.terminate());
});

test('server side: terminate() closes the TCP connection at once', async (t) => {
  const { ws, peer } = await serverSide(t);
  const done = closed(ws);
  ws.terminate();
  await peer.waitClosed();
  t.is((await done)[0], 1006);
});

test('terminate() while CONNECTING aborts with error then close 1006', async (t) => {
  const srv = await rawServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  const log = recordEvents(ws, ['open', 'error', 'close']);
  await srv.nextConn();
  ws.terminate();
  await closed(ws);
  t.deepEqual(log, [`error:${ABORTED}`, 'close:1006']);
});

test('pause() holds back messages until resume() delivers them in order', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  const got: string[] = [];
  p.ws.on('message', (d: Buffer) => got.push(d.toString()));
  p.ws.pause();
  p.conn.peer.write(Buffer.concat(['a', 'b', 'c'].map((m) => frame(1, m, { mask: false }))));
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(got, []);
  p.ws.resume();
  await until(() => got.length === 3);
  t.deepEqual(got, ['a', 'b', 'c']);
});

test('server side: pause() also holds back pings and close frames', async (t) => {
  const { ws, peer } = await serverSide(t);
  const log = recordEvents(ws, ['message', 'ping', 'close']);
  ws.pause();
  peer.write(Buffer.concat([frame(9, 'p'), frame(1, 'm'), frame(8, closePayload(1000))]));
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(log, []);
  t.is(ws.readyState, WebSocket.OPEN);
  ws.resume();
  await closed(ws);
  t.deepEqual(log, ['ping', 'message', 'close:1000']);
});

test('pause()/resume() are no-ops while CONNECTING and in CLOSED', async (t) => {
  const srv = await rawServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  ws.on('error', () => {});
  t.notThrows(() => ws.pause());
  t.notThrows(() => ws.resume());
  t.false(ws.isPaused);
  ws.terminate();
  await closed(ws);
  t.notThrows(() => ws.pause());
  t.false(ws.isPaused);
});

/** Checks that both ends' `_socket` address fields describe the same TCP connection. */
async function checkAddresses(t: { is(a: unknown, b: unknown, m?: string): void }) {
  const { wss, port } = await listen();
  try {
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const [server] = await next<[WebSocketT]>(wss, 'connection');
    if (client.readyState !== WebSocket.OPEN) await once(client, 'open');
    type Addr = { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number };
    const s = (server as unknown as { _socket: Addr })._socket;
    const c = (client as unknown as { _socket: Addr })._socket;
    t.is(s.remoteAddress, '127.0.0.1', 'server remoteAddress');
    t.is(s.localAddress, '127.0.0.1', 'server localAddress');
    t.is(s.localPort, port, 'server localPort');
    t.is(c.remotePort, port, 'client remotePort');
    t.is(c.remoteAddress, '127.0.0.1', 'client remoteAddress');
    t.is(typeof c.localPort, 'number');
    t.is(s.remotePort, c.localPort, 'the two ends agree on the client port');
    const done = closed(server);
    client.close();
    await done;
    t.is(s.remoteAddress, '127.0.0.1', 'still readable after close');
  } finally {
    await shutdown(wss);
  }
}

test('_socket exposes remote/local address and port on both ends', async (t) => {
  await checkAddresses(t);
});

test.serial('_socket exposes addresses on the JavaScript transport too', async (t) => {
  process.env['FERROWS_NO_NATIVE'] = '1';
  try {
    await checkAddresses(t);
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
  }
});

/**
 * Runs fixtures/no-error-listener.cjs: a WebSocket with NO 'error' listener, whose peer sends part
 * of a message and vanishes. A crash (an uncaught exception or an 'error' emitted with nobody
 * listening) kills the child; the parent sees the exit code and stderr.
 */
function vanishChild(impl: 'ferrows' | 'ws', role: 'server' | 'client', name: 'vanish-end' | 'vanish-reset', js = false): Promise<{ exitCode: number | null; stderr: string; messages: unknown[] }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['FERROWS_NO_NATIVE'];
    if (js) env['FERROWS_NO_NATIVE'] = '1';
    const child = fork(NO_ERROR_LISTENER, [impl, role, name], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [], env });
    let stderr = '';
    const messages: unknown[] = [];
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('message', (m) => messages.push(m));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stderr, messages }));
  });
}

// ws: a socket error never reaches the WebSocket (socketOnError destroys the socket and swallows
// it), and a receiver left with half a frame at 'end' raises nothing: 'close' 1006, no 'error'.
for (const name of ['vanish-end', 'vanish-reset'] as const) {
  const how = name === 'vanish-end' ? 'vanishes (FIN)' : 'resets the connection (RST)';
  test(`with no 'error' listener the process survives a peer that ${how} mid-message, as with ws`, async (t) => {
    const runs = await Promise.all([
      vanishChild('ws', 'server', name),
      vanishChild('ws', 'client', name),
      vanishChild('ferrows', 'server', name),
      vanishChild('ferrows', 'client', name),
      vanishChild('ferrows', 'server', name, true),
      vanishChild('ferrows', 'client', name, true),
    ]);
    const [wsServer, wsClient, ...ours] = runs;
    for (const theirs of [wsServer!, wsClient!]) {
      t.is(theirs.exitCode, 0, `ws survives (stderr: ${theirs.stderr.slice(0, 300)})`);
      t.deepEqual(theirs.messages, [{ event: 'close', code: 1006 }, { event: 'survived' }]);
    }
    const expected = [true, true, false, false];
    ours.forEach((run, i) => {
      t.is(run.exitCode, 0, `ferrows survives (stderr: ${run.stderr.slice(0, 300)})`);
      t.is(run.stderr, '');
      t.deepEqual(run.messages, [{ event: 'close', code: 1006, native: expected[i] }, { event: 'survived' }], 'close 1006 and no error, as ws');
    });
  });
}
