/**
 * Backpressure you can use (issue 13 item 5): `'drain'`, and the opt-in `maxBufferedAmount` cap
 * with its two policies, on the native transport and on the JS transport (FERROWS_NO_NATIVE while
 * connecting). A server sends to a peer that reads and to a raw peer whose socket is paused: the
 * paused peer's bytes stay queued (one copy, counted exactly by `bufferedAmount`), the reading peer
 * is served as fast as without it, and with the cap the queue (and RSS) stays bounded.
 *
 * The two peers of the memory tests run in a child process, so that only the server's memory is
 * measured; the server still sends in ticks (one batch per `setImmediate`), as a server pushing
 * updates does. Memory checks are serial so that no other test of this file runs meanwhile.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { delay, listen, next, shutdown, type WebSocketT } from './helpers.ts';
import { connect, memory, MiB, ROLES, type Conn, type Role } from './helpers-protocol.ts';

/**
 * The reading peer's worst per-tick delay. A reader held back behind the stalled peer never gets
 * all its bytes (`readerGot` fails outright); this bound only catches gross delays, and is loose
 * because `npm test` runs Chromium and other files beside this one on two cores (1.2 s was seen).
 */
const MAX_LAG = 5000;

const TRANSPORTS = [
  ['', false],
  [' on the JS transport', true],
] as const;

const mb = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
const isNative = (ws: WebSocketT): boolean => (ws as unknown as { _transport: { isNative: boolean } })._transport.isNative;

/** Runs `open` with the native transport disabled when `js` (serial tests only: it sets an env var). */
async function on<T>(js: boolean, open: () => Promise<T>): Promise<T> {
  if (js) process.env['FERROWS_NO_NATIVE'] = '1';
  try {
    return await open();
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
  }
}

async function openOn(t: ExecutionContext, role: Role, js: boolean, options: Record<string, unknown> = {}): Promise<Conn> {
  const c = await on(js, () => connect(role, { options, keepData: false }));
  t.teardown(c.close);
  t.is(isNative(c.ws), !js);
  return c;
}

/**
 * Memory once garbage is collected and the finalizers of collected native buffers have run (Node
 * runs them after the collection, from the loop): written output is not counted as queued.
 */
async function settled(): Promise<ReturnType<typeof memory>> {
  for (let i = 0; i < 3; i++) {
    memory();
    await delay(10);
  }
  return memory();
}

/** Wire size of an unmasked frame carrying `n` payload bytes. */
const wire = (n: number): number => n + (n < 126 ? 2 : n < 65536 ? 4 : 10);

/** Resolves true when `ws` emits 'drain' within `ms`, else false. */
function drainWithin(ws: WebSocketT, ms: number): Promise<boolean> {
  return Promise.race([once(ws, 'drain').then(() => true), delay(ms).then(() => false)]);
}

/**
 * What the reading peer got: `marks` are (bytes sent to it so far, when) after each tick of
 * {@link broadcast}; `maxLag` is the longest any tick's bytes took to arrive.
 */
interface Reader {
  bytes: number;
  marks: { bytes: number; at: number }[];
  maxLag: number;
}

/** A clock both processes share (ms since the epoch, sub-millisecond). */
const clock = (): number => performance.timeOrigin + performance.now();

/**
 * The two peers, in a child process so that what they receive does not count in this process's
 * RSS: the first upgrade reads everything and reports its byte count as it goes; the second stays
 * paused until told to resume, then reports the code of the close frame it finds.
 */
const PEERS = `
const net = require('node:net');
const crypto = require('node:crypto');
const port = Number(process.argv[1]);
const clock = () => performance.timeOrigin + performance.now();
function upgrade() {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const key = crypto.randomBytes(16).toString('base64');
      s.write('GET / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n' +
        'Sec-WebSocket-Key: ' + key + '\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n');
    });
    let head = Buffer.alloc(0);
    const onData = (c) => {
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\\r\\n\\r\\n');
      if (end < 0) return;
      s.removeListener('data', onData);
      s.pause();
      if (!head.subarray(0, end).toString().startsWith('HTTP/1.1 101')) return reject(new Error(head.toString()));
      resolve({ s, rest: head.subarray(end + 4) });
    };
    s.on('data', onData);
    s.on('error', reject);
  });
}
(async () => {
  const reader = await upgrade();
  const stalled = await upgrade();
  let bytes = reader.rest.length;
  // One report per loop turn, with the time of its last read (so lags are never understated).
  let at = 0;
  let scheduled = false;
  const report = () => {
    scheduled = false;
    process.send({ bytes, at });
  };
  reader.s.on('data', (c) => {
    bytes += c.length;
    at = clock();
    if (!scheduled) {
      scheduled = true;
      setImmediate(report);
    }
  });
  reader.s.resume();
  process.on('message', (m) => {
    if (m !== 'resume') return;
    let buf = stalled.rest;
    stalled.s.on('data', (c) => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1] & 127;
        let at = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); at = 10; }
        if (buf.length < at + len) return;
        if ((buf[0] & 15) === 8) {
          // Answer with the same close frame (masked with a zero key), then FIN.
          stalled.s.end(Buffer.concat([Buffer.from([0x88, 0x80 | len, 0, 0, 0, 0]), buf.subarray(at, at + len)]));
          process.send({ close: len >= 2 ? buf.readUInt16BE(at) : 1005 });
          return;
        }
        buf = buf.subarray(at + len);
      }
    });
    stalled.s.resume();
  });
  process.send({ ready: true });
})().catch((err) => { console.error(err); process.exit(1); });
`;

/** A server with the two peers of {@link PEERS}: `toReader` and `toStalled` are its ends. */
async function twoPeers(t: ExecutionContext, js: boolean, options: Record<string, unknown> = {}) {
  const { wss, port } = await listen(options);
  const connected: WebSocketT[] = [];
  wss.on('connection', (ws: WebSocketT) => connected.push(ws));
  if (js) process.env['FERROWS_NO_NATIVE'] = '1';
  const child = spawn(process.execPath, ['-e', PEERS, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  t.teardown(async () => {
    child.kill();
    await shutdown(wss);
  });
  const reader: Reader = { bytes: 0, marks: [], maxLag: 0 };
  let closeCode: (code: number) => void = () => {};
  const stalledClose = new Promise<number>((resolve) => (closeCode = resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: { ready?: boolean; bytes?: number; at?: number; close?: number }) => {
        if (m.ready) resolve();
        if (m.close !== undefined) closeCode(m.close);
        if (m.bytes === undefined) return;
        reader.bytes = m.bytes;
        while (reader.marks.length > 0 && m.bytes >= reader.marks[0]!.bytes) {
          reader.maxLag = Math.max(reader.maxLag, m.at! - reader.marks.shift()!.at);
        }
      });
      child.once('exit', (code) => reject(new Error(`the peers exited with ${code}`)));
    });
    for (let i = 0; i < 100 && connected.length < 2; i++) await delay(5);
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
  }
  const [toReader, toStalled] = connected as [WebSocketT, WebSocketT];
  t.is(isNative(toReader), !js);
  t.is(isNative(toStalled), !js);
  toReader.on('error', () => {});
  toStalled.on('error', () => {});
  /** Lets the stalled peer read; resolves with the code of the close frame it then finds. */
  const resumeStalled = (): Promise<number> => {
    child.send('resume');
    return stalledClose;
  };
  return { wss, toReader, toStalled, reader, resumeStalled };
}

/**
 * Sends `count` messages of `chunk` to every target, `perTick` per millisecond (a server pushing
 * about 200 MB/s to each client), without looking at their bufferedAmount; marks in `reader` when
 * each tick's bytes were sent.
 */
async function broadcast(targets: WebSocketT[], reader: Reader, chunk: Buffer, count: number, perTick: number, cb?: (ws: WebSocketT, err?: Error | null) => void): Promise<void> {
  let sent = reader.marks.at(-1)?.bytes ?? reader.bytes;
  for (let i = 0; i < count; ) {
    for (let j = 0; j < perTick && i < count; j++, i++) {
      for (const ws of targets) ws.send(chunk, cb && ((err?: Error | null) => cb(ws, err)));
      sent += wire(chunk.length);
    }
    reader.marks.push({ bytes: sent, at: clock() });
    await delay(1);
  }
}

/** Whether the reader got `total` bytes within `ms` (a deadline only: `maxLag` judges promptness). */
async function readerGot(reader: { bytes: number }, total: number, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (reader.bytes < total && Date.now() < deadline) await delay(2);
  return reader.bytes >= total;
}

/**
 * After a broadcast of `total` bytes: checks that the reader got them all, then returns its worst
 * tick and what the server's RSS and external memory grew by since `before`.
 */
async function served(t: ExecutionContext, reader: Reader, total: number, before: ReturnType<typeof memory>): Promise<{ lag: number; grown: number; external: number }> {
  t.true(await readerGot(reader, total), `the reader got ${mb(reader.bytes)} of ${mb(total)}`);
  const lag = reader.maxLag;
  await delay(20);
  const after = await settled();
  return { lag, grown: after.rss - before.rss, external: after.external - before.external };
}

for (const [label, js] of TRANSPORTS) {
  test.serial(`server${label}: a paused peer queues one copy of what it is sent, and the reading peer is served promptly`, async (t) => {
    const { toReader, toStalled, reader } = await twoPeers(t, js);
    const chunk = Buffer.alloc(60_000, 3);
    const COUNT = 512; // 29 MiB to each peer
    const total = COUNT * wire(chunk.length);
    // Baseline: the reading peer alone.
    await broadcast([toReader], reader, chunk, COUNT / 4, 4);
    t.true(await readerGot(reader, total / 4));
    const alone = reader.maxLag;
    reader.maxLag = 0;
    const base = reader.bytes;
    const before = await settled();
    await broadcast([toReader, toStalled], reader, chunk, COUNT, 4);
    t.true(await readerGot(reader, base + total), `the reader got ${mb(reader.bytes - base)} of ${mb(total)}`);
    const lag = reader.maxLag;
    await delay(50);
    const queued = toStalled.bufferedAmount;
    const after = await settled();
    const grown = after.rss - before.rss;
    t.log(`external +${mb(after.external - before.external)}, heap +${mb(after.heap - before.heap)}`);
    t.log(`reader's worst tick ${lag.toFixed(1)} ms (alone: ${alone.toFixed(1)} ms); stalled peer queued ${mb(queued)} of ${mb(total)}; rss +${mb(grown)}`);
    t.true(lag < MAX_LAG, `the reading peer got each tick's messages within ${lag.toFixed(0)} ms`);
    t.true(queued <= total, 'bufferedAmount never counts more than was sent');
    // What is not queued went to the kernel (loopback takes a few MiB, both socket buffers).
    t.true(total - queued < 12 * MiB, `bufferedAmount ${mb(queued)} is what was sent (${mb(total)}) minus the kernel's share`);
    // One copy. The native queue is in Rust's heap and nothing of it stays in JavaScript; the JS
    // transport's queue is the engine's output Buffers in the socket, once. RSS allows for the
    // allocator: with the JS transport, the reading peer's freed output interleaves with the queued
    // buffers and is not returned (about +13 MiB measured); a second copy would add another 25 MiB.
    const external = after.external - before.external;
    if (js) t.true(external < queued + 2 * MiB, `external grew by ${mb(external)} for ${mb(queued)} queued`);
    else t.true(external < 2 * MiB, `external grew by ${mb(external)}: the native queue holds no JavaScript copy`);
    t.true(grown < queued + (js ? 20 : 12) * MiB, `rss grew by ${mb(grown)} for ${mb(queued)} queued`);
    t.is(toReader.bufferedAmount, 0);
  });

  test.serial(`server${label}: maxBufferedAmount with 'close' closes the stalled peer with 1008 and memory stays flat`, async (t) => {
    const CAP = 4 * MiB;
    const { toReader, toStalled, reader, resumeStalled } = await twoPeers(t, js, { maxBufferedAmount: CAP });
    const chunk = Buffer.alloc(60_000, 4);
    const COUNT = 512; // 29 MiB attempted to each peer
    const total = COUNT * wire(chunk.length);
    const errors = new Map<WebSocketT, string[]>([[toReader, []], [toStalled, []]]);
    const closed = next<[number, Buffer]>(toStalled, 'close', 9000);
    const before = await settled();
    await broadcast([toReader, toStalled], reader, chunk, COUNT, 4, (ws, err) => {
      if (err) errors.get(ws)!.push((err as Error & { code?: string }).code ?? err.message);
    });
    const { lag, grown, external } = await served(t, reader, total, before);
    t.log(`reader's worst tick ${lag.toFixed(1)} ms; rss +${mb(grown)}, external +${mb(external)} (attempted ${mb(total)} to the stalled peer); stalled errors: ${errors.get(toStalled)!.length}`);
    t.is(errors.get(toReader)!.length, 0, 'the reading peer never hit the cap');
    t.true(lag < MAX_LAG, `the reading peer got each tick's messages within ${lag.toFixed(0)} ms`);
    t.is(toStalled.readyState, toStalled.CLOSING, 'the stalled peer is being closed');
    // What is queued (the transport's queue; ws also counts refused sends after close) stays under
    // the cap plus the close frame.
    const queued = (toStalled as unknown as { _transport: { bufferedAmount(): number } })._transport.bufferedAmount();
    t.true(queued <= CAP + 127, `the queue holds ${queued} bytes, under the cap ${CAP}`);
    t.is(errors.get(toStalled)![0], 'ERR_WS_BACKPRESSURE', 'the send past the cap failed with the backpressure error');
    // RSS allows for the allocator (see the test above); JavaScript memory is exact.
    t.true(grown < CAP + (js ? 16 : 12) * MiB, `rss grew by ${mb(grown)}, bounded by the cap, not by the ${mb(total)} attempted`);
    t.true(external < CAP + 2 * MiB, `external grew by ${mb(external)}`);
    // The close frame follows the queued bytes: the peer sees 1008 once it reads them.
    t.is(await resumeStalled(), 1008);
    t.deepEqual(await closed, [1008, Buffer.from('send queue full')]);
  });

  test.serial(`server${label}: maxBufferedAmount with 'drop' refuses sends past the cap and keeps the connection`, async (t) => {
    const CAP = 4 * MiB;
    const { toReader, toStalled, reader } = await twoPeers(t, js, { maxBufferedAmount: CAP, backpressurePolicy: 'drop' });
    const chunk = Buffer.alloc(60_000, 5);
    const COUNT = 512;
    const total = COUNT * wire(chunk.length);
    const refused = { reader: 0, stalled: 0, other: [] as string[] };
    let maxQueued = 0;
    const before = await settled();
    await broadcast([toReader, toStalled], reader, chunk, COUNT, 4, (ws, err) => {
      if (ws === toStalled) maxQueued = Math.max(maxQueued, toStalled.bufferedAmount);
      if (!err) return;
      const code = (err as Error & { code?: string }).code;
      if (code !== 'ERR_WS_BACKPRESSURE') refused.other.push(err.message);
      else if (ws === toReader) refused.reader++;
      else refused.stalled++;
    });
    maxQueued = Math.max(maxQueued, toStalled.bufferedAmount);
    const { lag, grown, external } = await served(t, reader, total, before);
    t.log(`reader's worst tick ${lag.toFixed(1)} ms; stalled: ${refused.stalled} of ${COUNT} refused, max bufferedAmount ${maxQueued}; rss +${mb(grown)}, external +${mb(external)}`);
    t.deepEqual(refused.other, []);
    t.is(refused.reader, 0, 'the reading peer never hit the cap');
    t.true(lag < MAX_LAG, `the reading peer got each tick's messages within ${lag.toFixed(0)} ms`);
    t.true(refused.stalled > COUNT / 2, 'most sends to the stalled peer were refused');
    t.true(maxQueued <= CAP, `bufferedAmount (max ${maxQueued}) never exceeded the cap ${CAP}`);
    t.true(toStalled.bufferedAmount <= CAP);
    t.is(toStalled.readyState, toStalled.OPEN, "'drop' keeps the connection open");
    t.true(grown < CAP + (js ? 16 : 12) * MiB, `rss grew by ${mb(grown)}`);
    t.true(external < CAP + 2 * MiB, `external grew by ${mb(external)}`);
  });
}

for (const [label, js] of TRANSPORTS) {
  // The long run: for 60 s the server sends to both peers without looking (16 KB a millisecond,
  // about 16 MB/s each); with the cap, memory stays flat and the reading peer keeps up throughout.
  test.serial(`server${label}: for 60 s with maxBufferedAmount, memory stays flat and the reading peer keeps up`, async (t) => {
    t.timeout(150_000);
    const CAP = 4 * MiB;
    const { toReader, toStalled, reader } = await twoPeers(t, js, { maxBufferedAmount: CAP, backpressurePolicy: 'drop' });
    const chunk = Buffer.alloc(16_000, 6);
    const samples: number[] = [];
    const refused = { reader: 0, stalled: 0 };
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 60_000) {
      await broadcast([toReader, toStalled], reader, chunk, 250, 1, (ws, err) => {
        if (err) refused[ws === toReader ? 'reader' : 'stalled']++;
      });
      sent += 250 * wire(chunk.length);
      if (samples.length * 5000 < Date.now() - started) samples.push((await settled()).rss);
    }
    t.true(await readerGot(reader, sent, 10_000), `the reader got ${mb(reader.bytes)} of ${mb(sent)}`);
    const steady = samples.slice(2);
    const spread = Math.max(...steady) - Math.min(...steady);
    t.log(`${mb(sent)} sent to each peer in 60 s; reader's worst tick ${reader.maxLag.toFixed(1)} ms; ` +
      `stalled: ${refused.stalled} sends refused, bufferedAmount ${mb(toStalled.bufferedAmount)}; ` +
      `rss every 5 s (MiB): ${samples.map((r) => (r / MiB).toFixed(0)).join(' ')}`);
    t.is(refused.reader, 0, 'the reading peer never hit the cap');
    t.true(refused.stalled > 0);
    t.true(reader.maxLag < MAX_LAG, `the reading peer got each tick's messages within ${reader.maxLag.toFixed(0)} ms`);
    t.true(toStalled.bufferedAmount <= CAP);
    t.is(toStalled.readyState, toStalled.OPEN);
    // Flat: from 10 s on, RSS moves by less than the cap (an uncapped queue grows 16 MB a second).
    t.true(spread < CAP + 8 * MiB, `rss moved by ${mb(spread)} after the first 10 s`);
  });
}

// After the memory tests, whose baseline is best taken in a fresh process.
for (const [label, js] of TRANSPORTS) for (const role of ROLES) {
  test.serial(`${role}${label}: 'drain' fires once when bufferedAmount returns to 0 after a paused peer resumes`, async (t) => {
    const c = await openOn(t, role, js);
    c.peer.socket.pause();
    let drains = 0;
    c.ws.on('drain', () => drains++);
    const chunk = Buffer.alloc(60_000, 7);
    let sent = 0;
    // Queue 8 MiB beyond what the kernel takes: stop once bufferedAmount stays above 8 MiB.
    while (sent < 64 * MiB) {
      c.ws.send(chunk);
      sent += chunk.length;
      if (c.ws.bufferedAmount > 8 * MiB) break;
      if (sent % (2 * MiB) < chunk.length) await delay(5);
    }
    t.true(c.ws.bufferedAmount > 8 * MiB, `queued ${mb(c.ws.bufferedAmount)}`);
    // While filling, the kernel took whole batches, so the queue may have emptied (and 'drain'
    // fired) before it filled up; count from here.
    drains = 0;
    t.false(await drainWithin(c.ws, 200), "no 'drain' while the peer does not read");
    t.is(drains, 0);
    const drained = drainWithin(c.ws, 8000);
    c.peer.socket.resume();
    let received = 0;
    while (received < sent) received += (await c.read(8000)).payload.length;
    t.true(await drained, "'drain' came once the peer read everything");
    t.is(c.ws.bufferedAmount, 0);
    await delay(100);
    t.is(drains, 1, "'drain' fires once per time the queue empties");
  });

  test.serial(`${role}${label}: no 'drain' when nothing was queued`, async (t) => {
    const c = await openOn(t, role, js);
    let drains = 0;
    c.ws.on('drain', () => drains++);
    t.is(c.ws.bufferedAmount, 0);
    await delay(100);
    t.is(drains, 0);
  });
}

test('a client refuses sends past maxBufferedAmount with the same error', async (t) => {
  const c = await openOn(t, 'client', false, { maxBufferedAmount: 1000, backpressurePolicy: 'drop' });
  const err = await new Promise<Error | null | undefined>((resolve) => c.ws.send(Buffer.alloc(2000), resolve));
  t.is((err as Error & { code?: string }).code, 'ERR_WS_BACKPRESSURE');
  t.is(c.ws.readyState, c.ws.OPEN);
  const ok = await new Promise<Error | null | undefined>((resolve) => c.ws.send(Buffer.alloc(100), resolve));
  t.falsy(ok);
});
