/**
 * The closing handshake (bad-inputs.md §D, C9; ws-api.md §8 WS_ERR_INVALID_CLOSE_CODE) in both
 * roles against a raw peer: the close frame the peer receives and who ends TCP first, and the
 * code, reason and event sequence the application sees.
 */
import test, { type ExecutionContext } from 'ava';
import { closePayload, delay } from './helpers.ts';
import { checkFailure, connect, provoke, ROLES, type Conn, type Role } from './helpers-protocol.ts';

const P = 'Invalid WebSocket frame: ';

async function open(t: ExecutionContext, role: Role, options: Record<string, unknown> = {}): Promise<Conn> {
  const c = await connect(role, { options });
  t.teardown(c.close);
  return c;
}

/** Whether the peer sees our FIN within `ms` while it sends nothing more itself. */
async function ourFin(c: Conn, ms = 3000): Promise<boolean> {
  return c.peer.waitClosed(ms).then(
    () => true,
    () => false,
  );
}

type Close = { code: number | undefined; reason: string };

/**
 * The peer sends a close frame (`payload`) and waits: our side must reply with one of `replies`
 * (ws sends the first), end TCP first, and report `code`/`reason` to the app with no error.
 */
async function peerCloses(t: ExecutionContext, c: Conn, payload: Buffer, replies: Close[], app: { code: number; reason: string }): Promise<void> {
  c.peer.write(c.frame(8, payload));
  const f = await c.peer.readFrame();
  t.is(f.opcode, 8);
  t.is(f.masked, c.ourMask);
  const got = { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : undefined, reason: f.payload.subarray(2).toString() };
  t.true(replies.some((r) => r.code === got.code && r.reason === got.reason), `the close reply ${JSON.stringify(got)}`);
  t.true(await ourFin(c), 'our side ends TCP after the closing handshake, before the peer does');
  const { code, reason } = await c.seen.closed;
  t.is(code, app.code);
  t.is(reason.toString(), app.reason);
  t.true(Buffer.isBuffer(reason));
  t.deepEqual(c.seen.events, [`close:${app.code}`]);
  t.is(c.ws.readyState, 3);
}

for (const role of ROLES) {
  // D1
  test(`${role} answers an empty close frame with an empty close and the app sees 1005`, async (t) => {
    const c = await open(t, role);
    await peerCloses(t, c, Buffer.alloc(0), [{ code: undefined, reason: '' }, { code: 1000, reason: '' }], { code: 1005, reason: '' });
  });

  // D3
  test(`${role} accepts a 123-byte close reason and echoes it`, async (t) => {
    const c = await open(t, role);
    const reason = 'r'.repeat(120) + 'end';
    await peerCloses(t, c, closePayload(4001, reason), [{ code: 4001, reason }, { code: 1000, reason: '' }], { code: 4001, reason });
  });

  // D5: the app sees the real code (uWS reports 1006 for some of these). ws echoes code and reason.
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
    test(`${role} reports close code ${code} to the app and echoes it`, async (t) => {
      const c = await open(t, role);
      await peerCloses(t, c, closePayload(code, `c${code}`), [{ code, reason: `c${code}` }, { code: 1000, reason: '' }], { code, reason: `c${code}` });
    });
  }

  // D6/D7
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
    test(`${role} fails with 1002 WS_ERR_INVALID_CLOSE_CODE on close code ${code}`, async (t) => {
      const c = await open(t, role);
      const o = await provoke(c, c.frame(8, closePayload(code, 'x')));
      checkFailure(t, c, o, { status: 1002, code: 'WS_ERR_INVALID_CLOSE_CODE', message: `${P}invalid status code ${code}`, ctor: RangeError });
    });
  }

  // D2
  test(`${role} fails with 1002 WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH on a 1-byte close payload`, async (t) => {
    const c = await open(t, role);
    const o = await provoke(c, c.frame(8, Buffer.from([0x03])));
    checkFailure(t, c, o, { status: 1002, code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', message: `${P}invalid payload length 1`, ctor: RangeError });
  });

  // D4
  test(`${role} fails with 1002 WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH on a 124-byte close reason`, async (t) => {
    const c = await open(t, role);
    const o = await provoke(c, c.frame(8, closePayload(1000, 'x'.repeat(124))));
    checkFailure(t, c, o, { status: 1002, code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', message: `${P}invalid payload length 126`, ctor: RangeError });
  });

  // C9
  test(`${role} fails with 1007 WS_ERR_INVALID_UTF8 (plain Error) on invalid UTF-8 in a close reason`, async (t) => {
    const c = await open(t, role);
    const o = await provoke(c, c.frame(8, Buffer.concat([closePayload(1000), Buffer.from('ok\xff', 'latin1')])));
    checkFailure(t, c, o, { status: 1007, code: 'WS_ERR_INVALID_UTF8', message: `${P}invalid UTF-8 sequence`, ctor: Error });
  });

  // D8
  test(`${role} echoes a close arriving inside a fragmented message (not 1002)`, async (t) => {
    const c = await open(t, role);
    c.peer.write(c.frame(1, 'part', { fin: false }));
    await peerCloses(t, c, closePayload(1000), [{ code: 1000, reason: '' }], { code: 1000, reason: '' });
    t.is(c.seen.messages.length, 0);
  });

  // D9
  test(`${role} answers two close frames once and emits one 'close'`, async (t) => {
    const c = await open(t, role);
    c.peer.write(Buffer.concat([c.frame(8, closePayload(1000, 'a')), c.frame(8, closePayload(4000, 'b'))]));
    const all = await c.peer.readToEnd();
    const f = reframe(all);
    t.deepEqual(f, [{ code: 1000, reason: 'a' }]);
    await c.seen.closed;
    await delay(50);
    t.is(c.seen.closeCount(), 1);
    t.deepEqual(c.seen.events, ['close:1000']);
  });

  test(`${role} emits one 'close' when a local close() races the peer's close`, async (t) => {
    const c = await open(t, role);
    c.peer.write(c.frame(8, closePayload(1000, 'peer')));
    c.ws.close(4000, 'local');
    const frames = reframe(await c.peer.readToEnd());
    t.deepEqual(frames, [{ code: 4000, reason: 'local' }], 'exactly one close frame from us, then FIN');
    const { code, reason } = await c.seen.closed;
    t.is(code, 1000);
    t.is(reason.toString(), 'peer');
    await delay(50);
    t.is(c.seen.closeCount(), 1);
    t.deepEqual(c.seen.events, ['close:1000']);
  });

  test(`${role} emits one 'close' for close(), close() again and terminate()`, async (t) => {
    const c = await open(t, role);
    c.ws.close(1000, 'one');
    c.ws.close(1001, 'two');
    const f = await c.peer.readFrame();
    t.deepEqual([f.opcode, f.payload.readUInt16BE(0), f.payload.subarray(2).toString()], [8, 1000, 'one']);
    c.ws.terminate();
    await c.seen.closed;
    c.ws.close();
    c.ws.terminate();
    await delay(50);
    t.is(c.seen.closeCount(), 1);
    t.deepEqual(c.seen.events, ['close:1006']);
  });

  // Our side starts the handshake: after the peer's reply, our side ends TCP first.
  test(`${role} ends TCP first after a closing handshake it started`, async (t) => {
    const c = await open(t, role);
    c.ws.close(1000, 'bye');
    const f = await c.peer.readFrame();
    t.deepEqual([f.opcode, f.masked, f.payload.readUInt16BE(0), f.payload.subarray(2).toString()], [8, c.ourMask, 1000, 'bye']);
    t.is(c.ws.readyState, 2);
    c.peer.write(c.frame(8, closePayload(1000, 'ok')));
    t.true(await ourFin(c), 'FIN from our side while the peer has not sent its own');
    const { code, reason } = await c.seen.closed;
    t.deepEqual([code, reason.toString()], [1000, 'ok']);
    t.deepEqual(c.seen.events, ['close:1000']);
  });

  // D10
  test(`${role} destroys the socket after closeTimeout when the peer never answers its close`, async (t) => {
    const c = await open(t, role, { closeTimeout: 1000 });
    const started = Date.now();
    c.ws.close(1000);
    const f = await c.peer.readFrame();
    t.is(f.opcode, 8);
    await delay(100);
    t.false(c.peer.ended, 'the connection stays open while the close timer runs');
    t.is(c.ws.readyState, 2);
    t.true(await ourFin(c, 5000), 'the socket is closed after closeTimeout');
    t.true(Date.now() - started >= 900, 'not before closeTimeout');
    const { code } = await c.seen.closed;
    t.is(code, 1006);
    t.deepEqual(c.seen.events, ['close:1006']);
  });

  // The native driver counted the close timer from the loop's cached time, which is that of the
  // start of the loop iteration: after long synchronous work (or the process being descheduled
  // on a loaded machine) it fired early. Serial: the spin would delay the other tests.
  for (const [on, js] of [['', false], [' on the JS transport', true]] as const) {
    test.serial(`${role}${on} counts closeTimeout from close(), even after long synchronous work`, async (t) => {
      if (js) process.env['FERROWS_NO_NATIVE'] = '1';
      let c: Conn;
      try {
        c = await open(t, role, { closeTimeout: 1000 });
      } finally {
        delete process.env['FERROWS_NO_NATIVE'];
      }
      t.is((c.ws as unknown as { _transport: { isNative: boolean } })._transport.isNative, !js);
      const spin = Date.now();
      while (Date.now() - spin < 600); // the loop's cached time is now ~600 ms old
      const started = Date.now();
      c.ws.close(1000);
      t.is((await c.peer.readFrame()).opcode, 8);
      t.true(await ourFin(c, 5000), 'the socket is closed after closeTimeout');
      const after = Date.now() - started;
      t.true(after >= 900, `our FIN came ${after} ms after close(), before closeTimeout (1000 ms)`);
      t.is((await c.seen.closed).code, 1006);
    });
  }

  test.serial(`${role} on the JS transport destroys the socket after closeTimeout`, async (t) => {
    process.env['FERROWS_NO_NATIVE'] = '1';
    let c: Conn;
    try {
      c = await open(t, role, { closeTimeout: 1000 });
    } finally {
      delete process.env['FERROWS_NO_NATIVE'];
    }
    t.false((c.ws as unknown as { _transport: { isNative: boolean } })._transport.isNative);
    c.ws.close(1000);
    await c.peer.readFrame();
    await delay(100);
    t.false(c.peer.ended);
    t.true(await ourFin(c, 5000));
    t.is((await c.seen.closed).code, 1006);
  });
}

/** Decodes the close frames in `bytes` (what the peer received). */
function reframe(bytes: Buffer): { code: number | undefined; reason: string }[] {
  const out: { code: number | undefined; reason: string }[] = [];
  let at = 0;
  while (at < bytes.length) {
    const masked = (bytes[at + 1]! & 0x80) !== 0;
    const len = bytes[at + 1]! & 0x7f;
    const start = at + 2 + (masked ? 4 : 0);
    const payload = Buffer.from(bytes.subarray(start, start + len));
    if (masked) for (let i = 0; i < len; i++) payload[i]! ^= bytes[at + 2 + (i & 3)]!;
    if ((bytes[at]! & 0x0f) === 8) out.push({ code: len >= 2 ? payload.readUInt16BE(0) : undefined, reason: payload.subarray(2).toString() });
    at = start + len;
  }
  return out;
}
