/**
 * Process and binding safety (bad-inputs.md §F).
 * - F1: every protocol error with no 'error' listener, run in child processes (a crash cannot take
 *   the test run down) for ferrows and for the real ws side by side. ws emits 'error' with no
 *   listener, so EventEmitter throws and the process dies (mercurius #939). ferrows' documented
 *   choice (`WebSocket#_emitError`) is to survive: the peer still gets the close frame and the
 *   app still gets 'close' 1006.
 * - F2 (a panic in the Rust core becomes 1011): panics.spec.ts, with a fault-injection build.
 * - F3: buffers handed to send/ping/pong/close are copied: mutating them right after the call, even
 *   while the data is still queued behind a slow peer, does not change what the peer receives.
 */
import test, { type ExecutionContext } from 'ava';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { delay } from './helpers.ts';
import { connect, ROLES, type Conn, type Role } from './helpers-protocol.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/no-error-listener.cjs', import.meta.url));

interface ChildOutcome {
  exitCode: number | null;
  stderr: string;
  messages: { event: string; code?: number | null; native?: boolean }[];
}

let running = 0;
const queue: (() => void)[] = [];

/** Runs the fixture (at most two children at a time). */
async function runChild(impl: 'ferrows' | 'ws', role: Role, name: string, js = false): Promise<ChildOutcome> {
  if (running >= 2) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await new Promise<ChildOutcome>((resolve, reject) => {
      const env = { ...process.env };
      delete env['FERROWS_NO_NATIVE'];
      if (js) env['FERROWS_NO_NATIVE'] = '1';
      const child = fork(FIXTURE, [impl, role, name], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [], env });
      let stderr = '';
      const messages: ChildOutcome['messages'] = [];
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('message', (m) => messages.push(m as ChildOutcome['messages'][number]));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ exitCode, stderr, messages }));
    });
  } finally {
    running--;
    queue.shift()?.();
  }
}

/** Case → [close code on the wire, the class and `code` of the error ws throws]. */
const F1: [string, number, string, string][] = [
  ['rsv1', 1002, 'RangeError', 'WS_ERR_UNEXPECTED_RSV_1'],
  ['rsv2-mercurius', 1002, 'RangeError', 'WS_ERR_UNEXPECTED_RSV_2_3'],
  ['opcode', 1002, 'RangeError', 'WS_ERR_INVALID_OPCODE'],
  ['mask', 1002, 'RangeError', 'WS_ERR_(EXPECTED|UNEXPECTED)_MASK'],
  ['fin', 1002, 'RangeError', 'WS_ERR_EXPECTED_FIN'],
  ['control-length', 1002, 'RangeError', 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
  ['close-code', 1002, 'RangeError', 'WS_ERR_INVALID_CLOSE_CODE'],
  ['utf8', 1007, 'Error', 'WS_ERR_INVALID_UTF8'],
  ['max-payload', 1009, 'RangeError', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
  ['length-2^53', 1009, 'RangeError', 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'],
  ['fragments', 1008, 'RangeError', 'WS_ERR_TOO_MANY_BUFFERED_PARTS'],
  ['deflate', 1007, 'Error', 'Z_DATA_ERROR'],
  ['deflate-utf8', 1007, 'Error', 'WS_ERR_INVALID_UTF8'],
];

for (const [name, wire, cls, code] of F1) {
  for (const role of ROLES) {
    test(`with no 'error' listener a ${role} survives a ${name} error (peer gets ${wire}, app gets close 1006) where ws dies of an uncaught ${cls}`, async (t) => {
      const [ours, theirs] = await Promise.all([runChild('ferrows', role, name), runChild('ws', role, name)]);
      // ws: EventEmitter throws the protocol error; the process exits with 1.
      t.is(theirs.exitCode, 1, 'ws crashes');
      t.regex(theirs.stderr, new RegExp(`^${cls}: `, 'm'));
      t.regex(theirs.stderr, new RegExp(`code: '${code}'`));
      // ferrows: no uncaught exception; the failure is still visible on the wire and through 'close'.
      t.is(ours.exitCode, 0, `ferrows survives (stderr: ${ours.stderr.slice(0, 300)})`);
      t.is(ours.stderr, '');
      t.deepEqual(ours.messages, [
        { event: 'wire', code: wire },
        { event: 'close', code: 1006, native: true },
        { event: 'survived' },
      ]);
    });
  }
}

for (const [name, wire] of F1.filter(([n]) => ['rsv2-mercurius', 'utf8', 'deflate', 'fragments'].includes(n))) {
  for (const role of ROLES) {
    test(`with no 'error' listener a ${role} on the JS transport survives a ${name} error too`, async (t) => {
      const ours = await runChild('ferrows', role, name, true);
      t.is(ours.exitCode, 0, `ferrows survives (stderr: ${ours.stderr.slice(0, 300)})`);
      t.deepEqual(ours.messages, [
        { event: 'wire', code: wire },
        { event: 'close', code: 1006, native: false },
        { event: 'survived' },
      ]);
    });
  }
}

// ---- F3 -----------------------------------------------------------------------------------------

async function openOn(t: ExecutionContext, role: Role, js: boolean): Promise<Conn> {
  if (js) process.env['FERROWS_NO_NATIVE'] = '1';
  try {
    const c = await connect(role);
    t.teardown(c.close);
    t.is((c.ws as unknown as { _transport: { isNative: boolean } })._transport.isNative, !js);
    return c;
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
  }
}

/** Generous: these transfers are megabytes and the F1 children compete for the CPU. */
const LONG = 30_000;
const pattern = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff));

/** Sends until the peer (which stopped reading) backs up our queue; returns the bytes sent. */
async function backUp(c: Conn): Promise<number> {
  c.peer.socket.pause();
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  let sent = 0;
  let last = -1;
  let still = Date.now();
  for (;;) {
    if (c.ws.bufferedAmount < 512 * 1024) {
      c.ws.send(chunk);
      sent += chunk.length;
      continue;
    }
    if (c.ws.bufferedAmount !== last) [last, still] = [c.ws.bufferedAmount, Date.now()];
    if (Date.now() - still > 200) return sent;
    await delay(10);
  }
}

for (const [on, js] of [
  ['', false],
  [' on the JS transport', true],
] as const) {
  for (const role of ROLES) {
    const title = (what: string): string => `${role}${on} ${what}`;
    const run = js ? test.serial : test;

    run(title('sends the original bytes when the buffer is mutated right after send()'), async (t) => {
      const c = await openOn(t, role, js);
      const small = pattern(100, 1);
      const large = pattern(1024 * 1024, 2);
      const [smallCopy, largeCopy] = [Buffer.from(small), Buffer.from(large)];
      c.ws.send(small);
      small.fill(0);
      c.ws.send(large);
      large.fill(0);
      const ab = new ArrayBuffer(64);
      const view = new Uint8Array(ab, 16, 32);
      view.set(pattern(32, 3));
      c.ws.send(view);
      new Uint8Array(ab).fill(0xee);
      t.deepEqual((await c.read(LONG)).payload, smallCopy);
      t.deepEqual((await c.read(LONG)).payload, largeCopy);
      t.deepEqual((await c.read(LONG)).payload, pattern(32, 3));
    });

    run(title('sends the original bytes when a queued buffer is mutated while the peer is not reading'), async (t) => {
      const c = await openOn(t, role, js);
      const filler = await backUp(c);
      const marker = pattern(256 * 1024, 4);
      const copy = Buffer.from(marker);
      const before = c.ws.bufferedAmount;
      c.ws.send(marker);
      t.true(c.ws.bufferedAmount > before, 'the marker is queued, not written');
      marker.fill(0);
      c.peer.socket.resume();
      let received = 0;
      let last: Buffer | undefined;
      while (received < filler + copy.length) {
        last = (await c.read(LONG)).payload;
        received += last.length;
      }
      t.deepEqual(last, copy);
    });

    run(title('echoes the original bytes of a received message that the handler mutates after send()'), async (t) => {
      const c = await openOn(t, role, js);
      c.ws.on('message', (data: Buffer, isBinary: boolean) => {
        c.ws.send(data, { binary: isBinary });
        data.fill(0x2a);
      });
      const small = pattern(50, 9);
      const large = pattern(40000, 10);
      c.peer.write(Buffer.concat([c.frame(2, small), c.frame(2, large), c.frame(1, 'text echo')]));
      t.deepEqual((await c.read(LONG)).payload, small);
      t.deepEqual((await c.read(LONG)).payload, large);
      t.is((await c.read(LONG)).payload.toString(), 'text echo');
    });

    run(title('sends the original bytes of fragments, pings, pongs and a close reason mutated after the call'), async (t) => {
      const c = await openOn(t, role, js);
      const parts = [pattern(10, 5), pattern(20, 6)];
      const ping = pattern(125, 7);
      const pong = pattern(50, 8);
      const reason = Buffer.from('reason bytes');
      const copies = [...parts, ping, pong, reason].map((b) => Buffer.from(b));
      c.ws.send(parts[0]!, { fin: false });
      parts[0]!.fill(0);
      c.ws.send(parts[1]!, { fin: true });
      parts[1]!.fill(0);
      c.ws.ping(ping);
      ping.fill(0);
      c.ws.pong(pong);
      pong.fill(0);
      c.ws.close(4000, reason);
      reason.fill(0x21);
      const frames = [await c.read(LONG), await c.read(LONG), await c.read(LONG), await c.read(LONG), await c.read(LONG)];
      t.deepEqual(frames.map((f) => f.opcode), [2, 0, 9, 10, 8]);
      t.deepEqual(frames.slice(0, 4).map((f) => f.payload), copies.slice(0, 4));
      t.is(frames[4]!.payload.readUInt16BE(0), 4000);
      t.deepEqual(frames[4]!.payload.subarray(2), copies[4]);
    });
  }
}
