/**
 * Load (production hardening item 9): 10,000 concurrent connections to one `port`-mode server (the
 * native driver), each echoing one message, then all closed: fds, handles and native connections
 * back at baseline, RSS per connection reported. Node cannot raise its own fd limit, so the server
 * and the `ws` clients are two children started under `ulimit -n` (scripts/load/control.mjs).
 * `npm run soak` (scripts/soak.mjs) is the long version.
 */
import test from 'ava';
import { hardFdLimit, startChild, type Stats } from '../scripts/load/control.mjs';

const CONNECTIONS = 10_000;
const NOFILE = CONNECTIONS + 300;
const KiB = 1024;
/**
 * A second round reuses what the first freed: its growth over the first round's leftovers, per
 * connection, must stay under this share of the first round's cost (measured: 29 %; a server that
 * kept each WebSocket and a 4 KiB Buffer measured 66 %). Never-freed connections make it 100 %.
 */
const REUSED = 0.5;
/**
 * JavaScript memory after GC may exceed the baseline by this much once all are closed (measured:
 * 0.9 MiB of V8 heap, 8 KiB external; keeping each WebSocket and a 4 KiB Buffer: 23 and 78 MiB).
 */
const JS_SLACK = 4096 * KiB;

const kib = (bytes: number): string => `${(bytes / KiB).toFixed(1)} KiB`;

test.serial('10,000 concurrent connections echo, close and leave fds, handles and memory at baseline', async (t) => {
  if (hardFdLimit() < NOFILE) return t.fail(`the hard fd limit (ulimit -Hn) is under ${NOFILE}`);
  const started = Date.now();
  const server = await startChild('server', [], NOFILE);
  t.teardown(server.kill);
  const clients = await startChild('clients', [String(server.port)], NOFILE);
  t.teardown(clients.kill);
  const base = await server.request('stats');

  /** One round: all open and echo, then all close; returns the server's stats at both points. */
  const round = async (): Promise<[Stats, Stats]> => {
    const opened = await clients.request('open', { count: CONNECTIONS, size: 64 });
    t.deepEqual([opened.echoed, opened.failed, opened.errors], [CONNECTIONS, 0, []]);
    const full = await server.request('stats');
    t.deepEqual([full.native, full.clients, full.fds], [CONNECTIONS, CONNECTIONS, base.fds + CONNECTIONS]);
    t.is((await clients.request('close')).closed, CONNECTIONS);
    let after = await server.request('stats');
    for (let i = 0; i < 100 && (after.native > 0 || after.fds > base.fds); i++) after = await server.request('stats');
    t.deepEqual([after.native, after.clients, after.fds, after.handles], [0, 0, base.fds, base.handles]);
    return [full, after];
  };

  const [full1, after1] = await round();
  const [full2, after2] = await round();
  t.is(after2.echoed, 2 * CONNECTIONS);
  const cost = (full1.rss - base.rss) / CONNECTIONS;
  const again = (full2.rss - after1.rss) / CONNECTIONS;
  t.log(`${((Date.now() - started) / 1000).toFixed(1)} s; fds ${base.fds} → ${full1.fds} → ${after2.fds}, handles ${base.handles} → ${after2.handles}`);
  t.log(`RSS per connection: ${kib(cost)} (first round), ${kib(again)} more in the second; kept after close: ${kib((after2.rss - base.rss) / CONNECTIONS)}`);
  t.log(`after close, V8 heap ${kib(after2.heap - base.heap)}, external ${kib(after2.external - base.external)} over the baseline`);
  t.true(after2.heap - base.heap <= JS_SLACK && after2.external - base.external <= JS_SLACK);
  t.true(again <= cost * REUSED, `the second round took ${kib(again)} of new memory per connection, the first ${kib(cost)}`);
});
