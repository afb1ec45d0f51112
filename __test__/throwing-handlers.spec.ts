/**
 * Throwing user handlers (issue 13 item 3). The scenarios run in child processes
 * (`fixtures/throwing-handlers.cjs`) so uncaught exceptions cannot take the test run down; each
 * runs on ferrows' native driver, on its JS-owned transport (`FERROWS_NO_NATIVE=1`), and on the
 * real ws for reference.
 *
 * ws's behaviour (8.23, measured by the fixture): each socket's `'data'` is its own I/O callback,
 * so every throw from a `'message'`, `'error'` or `'close'` handler reaches
 * `process.on('uncaughtException')` once, right away (before the next socket's events), and other
 * connections are unaffected. A throw out of a `'message'` handler also wedges that connection:
 * the exception leaves the Receiver's `_write` without its callback, so the Receiver never takes
 * another chunk: the rest of that read, every later message and even `'close'` (after the peer
 * closes and then drops TCP) are never delivered.
 *
 * ferrows delivers the events of many connections in one batch (native driver) or of one read
 * (JS transport) with one call. It reports each throw as ws does (same count, same moment:
 * before the next event is delivered) and then delivers the rest; it deliberately does not copy
 * the wedge: a connection whose handler threw keeps receiving messages and gets its `'close'`.
 * The same holds for send callbacks (one native `Sent` record completes many sends) and for
 * listeners on `ws._socket`. With no `'uncaughtException'` listener the first throw kills the
 * process, as with ws.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/throwing-handlers.cjs', import.meta.url));

type Impl = 'native' | 'js' | 'ws';
type Scenario = 'message' | 'close' | 'error' | 'callbacks';

interface Outcome {
  log: string[];
  /** Epoch (one loop callback) -> clients whose handler threw in it. */
  throwEpochs: Record<string, number[]>;
  /** ferrows: whether the connections were native; ws: null. */
  native: boolean | null;
  serverClosed: boolean;
  timeout?: boolean;
}

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

let running = 0;
const queue: (() => void)[] = [];

/** Runs the fixture (at most two children at a time: the machine is shared). */
async function runChild(impl: Impl, scenario: Scenario, noHandler = false): Promise<Run> {
  if (running >= 2) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await new Promise<Run>((resolve, reject) => {
      const env = { ...process.env };
      delete env['FERROWS_NO_NATIVE'];
      if (impl === 'js') env['FERROWS_NO_NATIVE'] = '1';
      const args = [FIXTURE, impl === 'ws' ? 'ws' : 'ferrows', scenario, ...(noHandler ? ['nohandler'] : [])];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
    });
  } finally {
    running--;
    queue.shift()?.();
  }
}

async function scenario(t: ExecutionContext, impl: Impl, name: Scenario): Promise<Outcome> {
  const run = await runChild(impl, name);
  t.is(run.exitCode, 0, `child failed: ${run.stderr.slice(0, 500)}`);
  const outcome = JSON.parse(run.stdout.trim().split('\n').pop()!) as Outcome;
  t.falsy(outcome.timeout, 'the scenario finished');
  t.is(outcome.native, impl === 'ws' ? null : impl === 'native');
  return outcome;
}

const N = 5;
const K = 4;
/** Mirrors the fixture: message j of client i throws when (i + j) % 3 === 0. */
const throwsMessage = (i: number, j: number): boolean => (i + j) % 3 === 0;
const THROWING = [1, 2, 4];
const range = (n: number): number[] => [...Array(n).keys()];
const sorted = (xs: string[]): string[] => [...xs].sort();

/** Every throw is reported exactly once, immediately: the next log entry is its uncaught exception. */
function eachThrowReportedOnce(t: ExecutionContext, log: string[]): string[] {
  const thrown = log.filter((e) => e.startsWith('throw:')).map((e) => e.slice(6));
  const uncaught = log.filter((e) => e.startsWith('uncaught:')).map((e) => e.slice(9));
  t.deepEqual(uncaught, thrown, 'one uncaught exception per throw, in order');
  log.forEach((e, at) => {
    if (e.startsWith('throw:')) t.is(log[at + 1], `uncaught:${e.slice(6)}`, `${e} is reported before the next event`);
  });
  return thrown;
}

/** The native driver really delivered several connections' throws in one batch. */
function severalInOneBatch(t: ExecutionContext, impl: Impl, outcome: Outcome): void {
  if (impl !== 'native') return;
  const most = Math.max(...Object.values(outcome.throwEpochs).map((clients) => new Set(clients).size));
  t.true(most >= 2, `throws of several connections in one batch (${JSON.stringify(outcome.throwEpochs)})`);
}

const messages = (log: string[]): string[] => log.filter((e) => e.startsWith('msg:')).map((e) => e.slice(4));

for (const impl of ['native', 'js'] as const) {
  test(`${impl}: 'message' handlers throwing for several connections in one batch: each throw is uncaught once, nothing is dropped`, async (t) => {
    const outcome = await scenario(t, impl, 'message');
    const { log } = outcome;
    const all = range(N).flatMap((i) => range(K).map((j) => [i, j] as const));
    t.deepEqual(sorted(eachThrowReportedOnce(t, log)), sorted(all.filter(([i, j]) => throwsMessage(i, j)).map(([i, j]) => `m${i}-${j}`)));
    const expected = [...all.filter(([i, j]) => !throwsMessage(i, j)).map(([i, j]) => `m${i}-${j}`), ...range(N).map((i) => `later${i}`), 'after'];
    t.deepEqual(sorted(messages(log)), sorted(expected), 'every other message of the batch and every later one is delivered');
    // Per connection, in order.
    for (const i of range(N)) {
      const own = messages(log).filter((m) => m.startsWith(`m${i}-`) || m === `later${i}`);
      t.deepEqual(own, [...range(K).filter((j) => !throwsMessage(i, j)).map((j) => `m${i}-${j}`), `later${i}`]);
    }
    t.deepEqual(sorted(log.filter((e) => e.startsWith('close:'))), sorted(range(N + 1).map((i) => `close:${i}:1000`)));
    t.true(outcome.serverClosed);
    severalInOneBatch(t, impl, outcome);
  });
}

test(`ws (reference): a throwing 'message' handler is uncaught once and wedges its connection`, async (t) => {
  const { log } = await scenario(t, 'ws', 'message');
  const thrown = eachThrowReportedOnce(t, log);
  // Each connection throws once: at its first throwing message; after that it delivers nothing.
  const first = range(N).map((i) => range(K).find((j) => throwsMessage(i, j))!);
  t.deepEqual(sorted(thrown), sorted(range(N).map((i) => `m${i}-${first[i]!}`)));
  const expected = [...range(N).flatMap((i) => range(first[i]!).map((j) => `m${i}-${j}`)), 'after'];
  t.deepEqual(sorted(messages(log)), sorted(expected));
  t.deepEqual(log.filter((e) => e.startsWith('close:')), ['close:5:1000'], "no 'close' for a wedged connection");
});

for (const impl of ['native', 'js', 'ws'] as const) {
  test(`${impl}: 'close' handlers throwing for several connections: each is uncaught once, the others and later events still run`, async (t) => {
    const outcome = await scenario(t, impl, 'close');
    const { log } = outcome;
    t.deepEqual(sorted(eachThrowReportedOnce(t, log)), sorted(THROWING.map((i) => `close${i}`)));
    const quiet = range(N + 1).filter((i) => !THROWING.includes(i));
    t.deepEqual(sorted(log.filter((e) => e.startsWith('close:'))), sorted(quiet.map((i) => `close:${i}:1000`)));
    t.deepEqual(messages(log), ['after']);
    t.true(outcome.serverClosed, 'the server saw every connection go');
    severalInOneBatch(t, impl, outcome);
  });

  test(`${impl}: 'error' handlers throwing for several connections: each is uncaught once, closes and other events still arrive`, async (t) => {
    const outcome = await scenario(t, impl, 'error');
    const { log } = outcome;
    t.deepEqual(sorted(eachThrowReportedOnce(t, log)), sorted(THROWING.map((i) => `error${i}`)));
    const quiet = range(N + 1).filter((i) => !THROWING.includes(i));
    t.deepEqual(sorted(messages(log)), sorted([...quiet.filter((i) => i < N).map((i) => `ok${i}`), 'after']));
    t.deepEqual(
      sorted(log.filter((e) => e.startsWith('close:'))),
      sorted([...THROWING.map((i) => `close:${i}:1006`), ...quiet.map((i) => `close:${i}:1000`)]),
    );
    t.true(outcome.serverClosed, 'the server saw every connection go');
    severalInOneBatch(t, impl, outcome);
  });

  test(`${impl}: a throwing send callback or raw-socket 'close' listener is uncaught once; the other callbacks and 'close' still run`, async (t) => {
    const outcome = await scenario(t, impl, 'callbacks');
    const { log } = outcome;
    t.deepEqual(sorted(eachThrowReportedOnce(t, log)), sorted(THROWING.flatMap((i) => [`cb${i}`, `socket${i}`])));
    const callbacks = range(N).flatMap((i) => ['a', 'b', 'c'].filter((m) => m !== 'a' || !THROWING.includes(i)).map((m) => `cb:${i}:${m}:ok`));
    t.deepEqual(sorted(log.filter((e) => e.startsWith('cb:'))), sorted(callbacks), 'each callback once, without an error');
    t.deepEqual(sorted(log.filter((e) => e.startsWith('close:'))), sorted(range(N + 1).map((i) => `close:${i}:1000`)));
    t.deepEqual(messages(log), ['after']);
    t.true(outcome.serverClosed, 'the server saw every connection go');
  });

  test(`${impl}: with no 'uncaughtException' listener a throwing 'message' handler kills the process`, async (t) => {
    const run = await runChild(impl, 'message', true);
    t.is(run.exitCode, 1);
    t.regex(run.stderr, /^Error: boom m\d-\d$/m);
    t.is(run.stdout, '', 'the scenario did not run to its end');
  });
}
