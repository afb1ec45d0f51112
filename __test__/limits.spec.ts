/**
 * Resource exhaustion (bad-inputs.md §E) in both roles against a raw peer: size and part limits
 * decided before data is buffered, decompression bombs, corrupt deflate data, ping floods from a
 * peer that never reads, a slow consumer, and pause() backpressure. Memory checks are serial so
 * that no other test of this file runs meanwhile; the bounds are generous but each is well below
 * what the unbounded behaviour would cost (noted next to it).
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { delay } from './helpers.ts';
import { checkFailure, connect, deflateMessage, frameHeader, memory, MiB, provoke, ROLES, rssSampler, type Conn, type Role } from './helpers-protocol.ts';
import { isNative } from './helpers-transports.ts';

async function open(t: ExecutionContext, role: Role, options: Record<string, unknown> = {}, deflate: boolean | string = false, keepData = true, tls = false): Promise<Conn> {
  const c = await connect(role, { options, deflate, keepData, tls });
  t.teardown(c.close);
  return c;
}

/** Opens on the native transport, or on the JS transport (FERROWS_NO_NATIVE, serial tests only). */
async function openOn(t: ExecutionContext, role: Role, js: boolean, keepData = true): Promise<Conn> {
  if (js) process.env['FERROWS_NO_NATIVE'] = '1';
  try {
    const c = await open(t, role, {}, false, keepData);
    t.is((c.ws as unknown as { _transport: { isNative: boolean } })._transport.isNative, !js);
    return c;
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
  }
}

const TRANSPORTS = [
  ['', false],
  [' on the JS transport', true],
] as const;

/** Plain TCP (native driver), then TLS (https.Server or `wss:`, JS-owned sockets). */
const OVER = [
  ['', false],
  [' over TLS', true],
] as const;

const TOO_BIG = { status: 1009, code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', message: 'Max payload size exceeded', ctor: RangeError };
const TOO_MANY = { status: 1008, code: 'WS_ERR_TOO_MANY_BUFFERED_PARTS', message: 'Too many message fragments', ctor: RangeError };
const mb = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

/** Writes `bytes`, waiting for 'drain' when the socket asks; false if no drain came within `ms`. */
async function write(c: Conn, bytes: Buffer, ms = 5000): Promise<boolean> {
  if (c.peer.socket.write(bytes)) return true;
  return Promise.race([once(c.peer.socket, 'drain').then(() => true), delay(ms).then(() => false)]);
}

for (const role of ROLES) {
  // E1: decided from the header; the payload is never sent.
  test(`${role} fails with 1009 on a frame header declaring more than maxPayload, before any payload`, async (t) => {
    const c = await open(t, role, { maxPayload: MiB });
    checkFailure(t, c, await provoke(c, frameHeader(c, 2, 2 * MiB)), TOO_BIG);
  });

  test(`${role} fails with 1009 on a 16-bit length above a small maxPayload, before any payload`, async (t) => {
    const c = await open(t, role, { maxPayload: 100 });
    checkFailure(t, c, await provoke(c, frameHeader(c, 1, 200)), TOO_BIG);
  });

  // E2
  test(`${role} fails with 1009 at the header of the fragment that crosses maxPayload`, async (t) => {
    const c = await open(t, role, { maxPayload: 100 });
    const o = await provoke(c, [c.frame(2, Buffer.alloc(60), { fin: false }), frameHeader(c, 0, 60)]);
    checkFailure(t, c, o, TOO_BIG);
  });

  // E3 with the default limits (maxFragments 16384).
  test(`${role} fails with 1008 on a flood of 1-byte fragments under the default limits`, async (t) => {
    const c = await open(t, role);
    const frames = [c.frame(1, 'a', { fin: false }), ...Array.from({ length: 20000 }, () => c.frame(0, 'b', { fin: false }))];
    checkFailure(t, c, await provoke(c, Buffer.concat(frames)), TOO_MANY);
  });

  for (const [over, secure] of OVER) {
    test(`${role} inflates a normal message then fails with 1009 on a bomb without context takeover${over}`, async (t) => {
      const c = await open(t, role, { maxPayload: MiB }, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover', true, secure);
      t.is(c.ws.extensions, 'permessage-deflate');
      t.is(isNative(c.ws), !secure);
      const o = await provoke(c, [c.frame(1, deflateMessage(Buffer.from('fine')), { rsv: 4 }), c.frame(2, deflateMessage(Buffer.alloc(4 * MiB)), { rsv: 4 })]);
      checkFailure(t, c, o, { ...TOO_BIG, before: ['message:t:4'] });
      t.is(c.seen.messages[0]!.data.toString(), 'fine');
    });
  }

  // E6
  for (const [what, bytes] of [
    ['a corrupt deflate stream', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])],
    ['a stored block with a bad length', Buffer.from([0x00, 0x05, 0x00, 0x00, 0x00, 0x61])],
    ['trailing garbage after a valid stream', Buffer.concat([deflateMessage(Buffer.from('hello')), Buffer.from([1, 2, 3, 4, 5, 6])])],
  ] as const) {
    test(`${role} fails with 1007 Z_DATA_ERROR on ${what} and keeps serving`, async (t) => {
      const c = await open(t, role, {}, true);
      const o = await provoke(c, c.frame(1, bytes, { rsv: 4 }));
      t.is(o.wireCode, 1007);
      t.true(o.ourFinFirst);
      const err = o.error as Error & { code?: string };
      t.is(err.constructor, Error);
      t.is(err.code, 'Z_DATA_ERROR');
      t.true(err.message.length > 0);
      t.deepEqual(o.events, ['error:Z_DATA_ERROR', 'close:1006']);
      const again = await open(t, role, {}, true);
      again.peer.write(again.frame(1, deflateMessage(Buffer.from('still fine')), { rsv: 4 }));
      while (again.seen.messages.length === 0) await delay(5);
      t.is(again.seen.messages[0]!.data.toString(), 'still fine');
    });
  }

  test(`${role} reports corrupt deflate data with errno -3 like Node's zlib (as ws does)`, async (t) => {
    const c = await open(t, role, {}, true);
    const o = await provoke(c, c.frame(1, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv: 4 }));
    t.is((o.error as Error & { errno?: number }).errno, -3);
  });

  // E6: the "BFINAL" form ws accepts (a final block, with or without the 00 00 ff ff trailer).
  test(`${role} accepts a compressed message that ends with a final deflate block`, async (t) => {
    const c = await open(t, role, {}, true);
    const { deflateRawSync } = await import('node:zlib');
    c.peer.write(c.frame(1, deflateRawSync(Buffer.from('final block')), { rsv: 4 }));
    c.peer.write(c.frame(1, deflateMessage(Buffer.from('next')), { rsv: 4 }));
    while (c.seen.messages.length < 2 && c.seen.closeCount() === 0) await delay(5);
    t.deepEqual(c.seen.messages.map((m) => m.data.toString()), ['final block', 'next']);
  });

  // E7
  test(`${role} terminates a peer that floods pings and never reads`, async (t) => {
    const c = await open(t, role);
    c.peer.socket.pause();
    const batch = Buffer.concat(Array.from({ length: 20 }, () => c.frame(9, Buffer.alloc(125, 7))));
    for (let i = 0; i < 5000 && c.seen.closeCount() === 0; i++) {
      await write(c, batch, 1000);
      await delay(1);
    }
    const { code } = await c.seen.closed;
    t.is(code, 1006);
    t.is(c.seen.errors.length, 0, 'terminated without an error event');
    t.true(c.seen.pings.length >= 60);
    c.peer.socket.resume();
    await c.peer.waitClosed();
  });

  test(`${role} with maxPendingAutoPongs 0 does not terminate a pinging peer that never reads`, async (t) => {
    const c = await open(t, role, { maxPendingAutoPongs: 0 });
    c.peer.socket.pause();
    const batch = Buffer.concat(Array.from({ length: 20 }, () => c.frame(9, Buffer.alloc(125, 7))));
    // Three times what terminates a non-reading peer under the default limit (above).
    for (let i = 0; i < 200; i++) {
      t.true(await write(c, batch, 2000));
      await delay(1);
    }
    for (let i = 0; i < 500 && c.seen.pings.length < 4000; i++) await delay(5);
    t.is(c.seen.pings.length, 4000);
    t.is(c.ws.readyState, 1);
    t.is(c.seen.closeCount(), 0);
  });

  test(`${role} keeps answering a steady ping stream from a peer that reads`, async (t) => {
    const c = await open(t, role);
    let pongs = 0;
    const counter = (async () => {
      while (pongs < 1000) if ((await c.peer.readFrame()).opcode === 10) pongs++;
    })();
    for (let i = 0; i < 100; i++) {
      c.peer.write(Buffer.concat(Array.from({ length: 10 }, () => c.frame(9, Buffer.alloc(125, 7)))));
      await delay(1);
    }
    await counter;
    t.is(pongs, 1000);
    t.is(c.ws.readyState, 1);
  });

}

// Serial (memory-measuring) tests run first, in this order: the part flood and the bombs, then the
// slow consumer, then pause(), so that large buffers freed by one test cannot hide growth in the next.
for (const role of ROLES) {
  // E3 with the count limit off: memory must follow bytes, not the number of parts.
  test.serial(`${role} keeps memory bounded over 300k 1-byte fragments with maxFragments 0`, async (t) => {
    const c = await open(t, role, { maxFragments: 0, maxPayload: MiB });
    const batch = Buffer.concat(Array.from({ length: 10000 }, () => c.frame(0, 'x', { fin: false })));
    const before = memory();
    t.true(await write(c, c.frame(2, 'a', { fin: false })));
    for (let i = 0; i < 30; i++) t.true(await write(c, batch));
    await delay(300);
    const during = memory();
    t.log(`rss +${mb(during.rss - before.rss)}, external +${mb(during.external - before.external)}, heap +${mb(during.heap - before.heap)}`);
    // One object per part (ws 8.23) costs ~56 MiB of RSS here; one contiguous buffer costs ~0.3 MiB.
    t.true(during.rss - before.rss < 24 * MiB, `rss grew by ${mb(during.rss - before.rss)}`);
    t.true(during.external - before.external < 8 * MiB);
    t.true(during.heap - before.heap < 8 * MiB);
    c.peer.write(c.frame(0, 'z'));
    while (c.seen.messages.length === 0 && c.seen.closeCount() === 0) await delay(10);
    t.deepEqual(c.seen.events, ['message:b:300002']);
    const data = c.seen.messages[0]!.data;
    t.is(data.subarray(0, 2).toString() + data.subarray(-2).toString(), 'axxz');
  });

  // E5: decompression bombs.
  for (const [over, secure] of OVER) {
    test.serial(`${role} fails with 1009 on a 10 MB deflate bomb against maxPayload 1 MiB with bounded memory${over}`, async (t) => {
      const payload = deflateMessage(Buffer.alloc(10_000_000));
      const c = await open(t, role, { maxPayload: MiB }, true, true, secure);
      t.is(isNative(c.ws), !secure);
      const sampler = await rssSampler();
      const before = memory();
      const o = await provoke(c, c.frame(2, payload, { rsv: 4 }));
      const peak = sampler.peak() - before.rss;
      await sampler.stop();
      checkFailure(t, c, o, TOO_BIG);
      t.log(`compressed ${payload.length} B, peak rss +${mb(peak)}`);
      t.true(peak < 8 * MiB, `peak rss grew by ${mb(peak)} (full inflation would be ~10 MB)`);
    });

    test.serial(`${role} fails with 1009 on a 256 MiB deflate bomb in three fragments with bounded peak memory${over}`, async (t) => {
      const payload = deflateMessage(Buffer.alloc(256 * MiB));
      const c = await open(t, role, { maxPayload: MiB }, true, true, secure);
      t.is(isNative(c.ws), !secure);
      const third = Math.floor(payload.length / 3);
      const frames = [
        c.frame(2, payload.subarray(0, third), { rsv: 4, fin: false }),
        c.frame(0, payload.subarray(third, 2 * third), { fin: false }),
        c.frame(0, payload.subarray(2 * third)),
      ];
      const sampler = await rssSampler();
      const before = memory();
      const o = await provoke(c, frames);
      const peak = sampler.peak() - before.rss;
      await sampler.stop();
      checkFailure(t, c, o, TOO_BIG);
      t.log(`compressed ${payload.length} B, peak rss +${mb(peak)}`);
      t.true(peak < 32 * MiB, `peak rss grew by ${mb(peak)}`);
    });
  }

}

for (const [on, js] of TRANSPORTS) for (const role of ROLES) {
  // E8
  test.serial(`${role}${on} bufferedAmount rises and reflects queued bytes while the peer stops reading`, async (t) => {
    const c = await openOn(t, role, js);
    c.peer.socket.pause();
    // Queue 32 MiB behind a peer that does not read: the loop sends while bufferedAmount is under
    // HIGH, then waits until it stops moving. Loopback kernel buffers take about 4 MiB of it.
    const HIGH = 32 * MiB;
    const chunk = Buffer.alloc(64 * 1024, 1);
    const before = memory();
    let sent = 0;
    let last = -1;
    let still = Date.now();
    while (sent < 128 * MiB) {
      if (c.ws.bufferedAmount < HIGH) {
        c.ws.send(chunk);
        sent += chunk.length;
        continue;
      }
      if (c.ws.bufferedAmount !== last) [last, still] = [c.ws.bufferedAmount, Date.now()];
      if (Date.now() - still > 300) break;
      await delay(10);
    }
    const stalled = c.ws.bufferedAmount;
    const grown = memory().rss - before.rss;
    t.log(`stalled after ${mb(sent)} with bufferedAmount ${stalled}; rss +${mb(grown)}`);
    t.true(stalled >= HIGH, 'the peer stopped reading, so bytes stayed queued');
    t.true(sent < 64 * MiB, `the peer stopped reading, so the sender stalled (sent ${mb(sent)})`);
    // With framing, stalled exceeds the payload queued; what is missing went to the kernel.
    t.true(sent - stalled < 16 * MiB, `bufferedAmount ${mb(stalled)} accounts for all but the kernel's share of ${mb(sent)}`);
    // The queue holds at most one copy of the queued bytes (the native transport and the masking
    // client copy, about 26-32 MiB; the JS server queues references to the one chunk); a second
    // copy adds another 32 MiB and fails this on the paths that copy.
    t.true(grown < stalled + 16 * MiB, `rss grew by ${mb(grown)} for ${mb(stalled)} queued`);
    // ws counts framing bytes too (ws-api.md W4). Both a small send and a large one (they may take
    // different paths inside the transport).
    const mask = c.ourMask ? 4 : 0;
    const extra = Buffer.alloc(10000, 9);
    c.ws.send(extra);
    t.is(c.ws.bufferedAmount - stalled, extra.length + 4 + mask, 'a 10000-byte send adds payload, 16-bit header and mask key');
    const big = Buffer.alloc(100000, 8);
    c.ws.send(big);
    t.is(c.ws.bufferedAmount - stalled, extra.length + 4 + mask + big.length + 10 + mask, 'a 100000-byte send adds payload, 64-bit header and mask key');
    c.peer.socket.resume();
    let received = 0;
    let lastFrame: Buffer | undefined;
    while (received < sent + extra.length + big.length) {
      const f = await c.read(20_000);
      received += f.payload.length;
      lastFrame = f.payload;
    }
    t.is(received, sent + extra.length + big.length);
    t.deepEqual(lastFrame, big);
    for (let i = 0; i < 200 && c.ws.bufferedAmount > 0; i++) await delay(5);
    t.is(c.ws.bufferedAmount, 0);
  });

}

for (const [on, js] of TRANSPORTS) for (const role of ROLES) {
  // E9
  test.serial(`${role}${on} pause() stops reading so a flooding peer is backpressured, and resume() delivers everything`, async (t) => {
    const c = await openOn(t, role, js, false);
    c.ws.pause();
    t.true(c.ws.isPaused);
    const TOTAL = 96;
    const payload = Buffer.alloc(MiB);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const f = c.frame(2, payload);
    let intact = 0;
    c.ws.on('message', (data: Buffer) => {
      if (data.equals(payload)) intact++;
    });
    const before = memory();
    let written = 0;
    while (written < TOTAL) {
      written++;
      if (!(await write(c, f, 500))) break;
    }
    const during = memory();
    t.log(`peer wrote ${written} MiB before TCP pushed back; rss +${mb(during.rss - before.rss)}`);
    t.true(written < TOTAL, 'the peer was backpressured by TCP');
    t.true(c.seen.messages.length <= 2, 'at most already-buffered data is delivered while paused');
    t.true(during.rss - before.rss < 48 * MiB, `rss grew by ${mb(during.rss - before.rss)}`);
    c.ws.resume();
    t.false(c.ws.isPaused);
    while (written < TOTAL) {
      written++;
      t.true(await write(c, f));
    }
    for (let i = 0; i < 1000 && c.seen.messages.length < TOTAL; i++) await delay(10);
    t.is(c.seen.messages.length, TOTAL);
    t.is(intact, TOTAL, 'every message arrives intact');
    t.true(c.seen.messages.every((m) => m.isBinary));
  });
}

for (const [on, js] of TRANSPORTS) for (const role of ROLES) {
  // Found by the receive fuzz target: the claimed length was reserved up front, and with
  // maxPayload off a claim of 2^49 bytes was an allocation failure, which aborts the process.
  test.serial(`${role}${on} with maxPayload 0, a header claiming 2^49 bytes costs only what arrives`, async (t) => {
    if (js) process.env['FERROWS_NO_NATIVE'] = '1';
    const c = await open(t, role, { maxPayload: 0 }, false, false).finally(() => delete process.env['FERROWS_NO_NATIVE']);
    t.is(isNative(c.ws), !js);
    const before = memory();
    t.true(await write(c, frameHeader(c, 2, 2n ** 49n)));
    for (let i = 0; i < 16; i++) t.true(await write(c, Buffer.alloc(64 * 1024)));
    await delay(100);
    const grew = memory().rss - before.rss;
    t.log(`1 MiB of a 2^49-byte claim: rss +${mb(grew)}`);
    t.true(grew < 32 * MiB, `rss grew by ${mb(grew)}`);
    t.is(c.seen.messages.length + c.seen.errors.length, 0);
    c.ws.send('still alive');
    t.is(String((await c.read()).payload), 'still alive');
  });
}
