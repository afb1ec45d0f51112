/**
 * Backpressure you can use (issue 13 item 5): `'drain'`, and the opt-in `maxBufferedAmount` cap
 * with its two policies, on the native transport and on the JS transport (FERROWS_NO_NATIVE while
 * connecting). A server sends to a peer that reads and to a raw peer whose socket is paused: the
 * paused peer's bytes stay queued (one copy, counted exactly by `bufferedAmount`), the reading peer
 * is served as fast as without it, and with the cap the queue (and RSS) stays bounded.
 *
 * Both peers live in this process, so the server sends in ticks (one batch per `setImmediate`)
 * rather than in one synchronous loop, which would keep the reading peer from reading at all.
 * Memory checks are serial so that no other test of this file runs meanwhile.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { delay, listen, rawUpgrade, shutdown, type WebSocketT } from './helpers.ts';
import { connect, memory, MiB, ROLES, type Conn, type Role } from './helpers-protocol.ts';

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

/** Wire size of an unmasked frame carrying `n` payload bytes. */
const wire = (n: number): number => n + (n < 126 ? 2 : n < 65536 ? 4 : 10);

/** Resolves true when `ws` emits 'drain' within `ms`, else false. */
function drainWithin(ws: WebSocketT, ms: number): Promise<boolean> {
  return Promise.race([once(ws, 'drain').then(() => true), delay(ms).then(() => false)]);
}

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

/**
 * What the reading peer got: `marks` are (bytes sent to it so far, when) after each tick of
 * {@link broadcast}; `maxLag` is the longest any tick's bytes took to arrive.
 */
interface Reader {
  bytes: number;
  marks: { bytes: number; at: number }[];
  maxLag: number;
}

/** A server with two raw peers: `reader` counts what it reads (and when); `stalled` is paused. */
async function twoPeers(t: ExecutionContext, js: boolean, options: Record<string, unknown> = {}) {
  const { wss, port } = await listen(options);
  const peers = await on(js, async () => {
    const connected: WebSocketT[] = [];
    wss.on('connection', (ws: WebSocketT) => connected.push(ws));
    const a = await rawUpgrade(port);
    const b = await rawUpgrade(port);
    for (let i = 0; i < 100 && connected.length < 2; i++) await delay(5);
    return { a, b, connected };
  });
  const [toReader, toStalled] = peers.connected as [WebSocketT, WebSocketT];
  t.teardown(async () => {
    peers.a.peer.socket.destroy();
    peers.b.peer.socket.destroy();
    await shutdown(wss);
  });
  t.is(isNative(toReader), !js);
  t.is(isNative(toStalled), !js);
  const reader: Reader = { bytes: 0, marks: [], maxLag: 0 };
  peers.a.peer.socket.removeAllListeners('data');
  peers.a.peer.socket.on('data', (chunk: Buffer) => {
    reader.bytes += chunk.length;
    const now = performance.now();
    while (reader.marks.length > 0 && reader.bytes >= reader.marks[0]!.bytes) {
      reader.maxLag = Math.max(reader.maxLag, now - reader.marks.shift()!.at);
    }
  });
  const stalled = peers.b.peer;
  stalled.socket.pause();
  toReader.on('error', () => {});
  toStalled.on('error', () => {});
  return { wss, toReader, toStalled, reader, stalled };
}

/**
 * Sends `count` messages of `chunk` to every target, `perTick` per `setImmediate`, without looking
 * at their bufferedAmount; marks in `reader` when each tick's bytes were sent.
 */
async function broadcast(targets: WebSocketT[], reader: Reader, chunk: Buffer, count: number, perTick: number, cb?: (ws: WebSocketT, err?: Error | null) => void): Promise<void> {
  let sent = reader.marks.at(-1)?.bytes ?? reader.bytes;
  for (let i = 0; i < count; ) {
    for (let j = 0; j < perTick && i < count; j++, i++) {
      for (const ws of targets) ws.send(chunk, cb && ((err?: Error | null) => cb(ws, err)));
      sent += wire(chunk.length);
    }
    reader.marks.push({ bytes: sent, at: performance.now() });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

async function readerGot(reader: { bytes: number }, total: number, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (reader.bytes < total && Date.now() < deadline) await delay(2);
  return reader.bytes >= total;
}

for (const [label, js] of TRANSPORTS) {
  test.serial(`server${label}: a paused peer queues one copy of what it is sent, and the reading peer is served promptly`, async (t) => {
    const { toReader, toStalled, reader } = await twoPeers(t, js);
    const chunk = Buffer.alloc(60_000, 3);
    const COUNT = 512; // 29 MiB to each peer
    const total = COUNT * wire(chunk.length);
    // Baseline: the reading peer alone.
    await broadcast([toReader], reader, chunk, COUNT / 4, 8);
    t.true(await readerGot(reader, total / 4));
    const alone = reader.maxLag;
    reader.maxLag = 0;
    const base = reader.bytes;
    const before = memory();
    await broadcast([toReader, toStalled], reader, chunk, COUNT, 8);
    t.true(await readerGot(reader, base + total), `the reader got ${mb(reader.bytes - base)} of ${mb(total)}`);
    const lag = reader.maxLag;
    await delay(50);
    const queued = toStalled.bufferedAmount;
    const grown = memory().rss - before.rss;
    t.log(`reader's worst tick ${lag.toFixed(1)} ms (alone: ${alone.toFixed(1)} ms); stalled peer queued ${mb(queued)} of ${mb(total)}; rss +${mb(grown)}`);
    t.true(lag < 1000, `the reading peer got each tick's messages within ${lag.toFixed(0)} ms`);
    t.true(queued <= total, 'bufferedAmount never counts more than was sent');
    // What is not queued went to the kernel (loopback takes a few MiB, both socket buffers).
    t.true(total - queued < 12 * MiB, `bufferedAmount ${mb(queued)} is what was sent (${mb(total)}) minus the kernel's share`);
    // One copy: the queue holds the bytes once (a second copy would add another ~20-29 MiB).
    t.true(grown < queued + 12 * MiB, `rss grew by ${mb(grown)} for ${mb(queued)} queued`);
    t.is(toReader.bufferedAmount, 0);
  });
}
