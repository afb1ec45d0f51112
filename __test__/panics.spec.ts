/**
 * A Rust panic never takes Node down (bad-inputs.md F2; production hardening, item 1). The addon
 * built with the test-only `fault-injection` feature (scripts/build-fault.mjs, run by `npm test`
 * before ava) panics once at a chosen site; a child process (fixtures/panic-child.mjs) shows that
 * the connection it hit gets `'error'` (WS_ERR_INTERNAL) and 1011 on the wire, the process does
 * not die, and every other connection, and a new one, keeps working. Sites: the engine receiving a
 * message (native driver and the JavaScript-owned TLS path), the driver's check phase (flush) and
 * its timer phase (a heartbeat deadline).
 */
import test from 'ava';
import { fork } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfSignedCert } from './helpers-server.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/panic-child.mjs', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../target/fault-pkg', import.meta.url));

interface Outcome {
  exitCode: number | null;
  stderr: string;
  report?: {
    native: boolean | null;
    victim: { server: { errors: { message: string; code: string }[]; closes: number[] }; peer: number[] };
    before: boolean[];
    after: boolean[];
    bystanderCloses: number[];
    freshEchoes: boolean;
  };
}

async function run(site: string, transport: 'native' | 'tls'): Promise<Outcome> {
  const { key, cert } = selfSignedCert();
  const env: NodeJS.ProcessEnv = { ...process.env, FERROWS_TEST_CERT: JSON.stringify({ key: key.toString(), cert: cert.toString() }) };
  delete env['FERROWS_NO_NATIVE'];
  const child = fork(FIXTURE, [site, transport, PACKAGE], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [], env });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  let report: Outcome['report'];
  child.on('message', (message) => (report = message as Outcome['report']));
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { exitCode, stderr, report };
}

test("the checkout's own build has no fault injection; the test build has", (t) => {
  const require = createRequire(import.meta.url);
  const root = fileURLToPath(new URL('..', import.meta.url));
  const binary = readdirSync(root).find((f) => /^ferrows\..+\.node$/.test(f))!;
  t.is((require(path.join(root, binary)) as Record<string, unknown>)['injectFault'], undefined);
  t.is(typeof (require(path.join(PACKAGE, binary)) as Record<string, unknown>)['injectFault'], 'function');
});

const cases = [
  ['receive', 'native'],
  ['flush', 'native'],
  ['timer', 'native'],
  ['receive', 'tls'],
] as const;

for (const [site, transport] of cases) {
  test(`a panic at ${site} (${transport}) fails only its connection: error + 1011, the process lives`, async (t) => {
    const { exitCode, stderr, report } = await run(site, transport);
    t.log(stderr.split('\n').find((line) => line.includes('fault injection')) ?? '(no panic message)');
    t.true(stderr.includes(`ferrows fault injection: a panic at`), 'the panic really happened');
    t.is(exitCode, 0, stderr);
    if (!report) return t.fail('no report');
    t.is(report.native, transport === 'native');
    t.deepEqual(report.victim.server.errors.map((e) => e.code), ['WS_ERR_INTERNAL']);
    t.deepEqual(report.victim.peer, [1011], 'the peer got a close frame with 1011');
    t.is(report.victim.server.closes.length, 1);
    t.deepEqual(report.before, [true, true]);
    t.deepEqual(report.after, [true, true], 'the other connections still echo');
    t.deepEqual(report.bystanderCloses, []);
    t.true(report.freshEchoes, 'a new connection works');
  });
}
