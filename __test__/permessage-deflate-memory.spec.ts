/**
 * Deflate memory at scale (bad-inputs E10): 2,000 connections with permessage-deflate, one
 * compressed message each way, cost the server what `crates/core/src/deflate/mod.rs` documents per
 * connection ("Memory per connection": Deflater 371 KiB at the defaults, 260 KiB at memLevel 1,
 * Inflater 46 KiB), and that memory goes back when they close. The server (`port` mode, the native
 * driver) and the `ws` clients run in two children (scripts/load/), so the server's RSS is its own.
 */
import test, { type ExecutionContext } from 'ava';
import { startChild } from '../scripts/load/control.mjs';

const CONNECTIONS = 2000;
/** Over the 1 KiB threshold and the 32 KiB window: every page of both zlib states is touched. */
const SIZE = 40_000;
const KiB = 1024;
/**
 * What a connection costs besides its zlib states (its native buffers, its WebSocket object): a
 * run of this file without deflate measured about 19 KiB per connection for the same message.
 */
const CONNECTION_MARGIN = 64 * KiB;
/**
 * glibc's dynamic mmap threshold moves large blocks into the heap after the first ones are freed,
 * and keeps the heap's freed pages: with it, 362 of 395 KiB per connection stayed after all closed.
 * A fixed threshold returns each freed zlib state to the system, so the check sees whether ferrows
 * freed them, not the allocator's policy.
 */
const ALLOCATOR = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=32768' };
/** After close, what may stay of the growth: measured about 10 % (heap fragments, V8 pages). */
const KEPT = 0.25;

const kib = (bytes: number): string => `${(bytes / KiB).toFixed(1)} KiB`;

/** Opens CONNECTIONS echoing clients and closes them; returns the server's RSS growth per connection. */
async function perConnection(t: ExecutionContext, zlibDeflateOptions: Record<string, number>): Promise<number> {
  const deflate = { perMessageDeflate: { zlibDeflateOptions } };
  const server = await startChild('server', [JSON.stringify(deflate)], CONNECTIONS + 200, ALLOCATOR);
  t.teardown(server.kill);
  const base = await server.request('stats');
  const clients = await startChild('clients', [String(server.port), JSON.stringify({ perMessageDeflate: {} })], CONNECTIONS + 200);
  t.teardown(clients.kill);

  const opened = await clients.request('open', { count: CONNECTIONS, size: SIZE });
  t.deepEqual([opened.echoed, opened.failed, opened.errors], [CONNECTIONS, 0, []]);
  const full = await server.request('stats');
  t.is(full.native, CONNECTIONS);
  t.is(full.echoed, CONNECTIONS);
  const grown = (full.rss - base.rss) / CONNECTIONS;

  t.is((await clients.request('close')).closed, CONNECTIONS);
  let after = await server.request('stats');
  for (let i = 0; i < 50 && (after.native > 0 || after.fds > base.fds); i++) after = await server.request('stats');
  const kept = (after.rss - base.rss) / CONNECTIONS;
  t.log(`${JSON.stringify(zlibDeflateOptions)}: ${kib(grown)} per connection open, ${kib(kept)} kept after close`);
  t.deepEqual([after.native, after.clients, after.fds, after.handles], [0, 0, base.fds, base.handles]);
  t.true(kept <= grown * KEPT, `${kib(kept)} of ${kib(grown)} per connection stayed after close`);
  clients.kill();
  server.kill();
  return grown;
}

test.serial('2,000 deflate connections cost at most the documented zlib memory each, and give it back on close', async (t) => {
  const defaults = await perConnection(t, {});
  t.true(defaults <= (371 + 46) * KiB + CONNECTION_MARGIN, kib(defaults));

  const small = await perConnection(t, { memLevel: 1 });
  t.true(small <= (260 + 46) * KiB + CONNECTION_MARGIN, kib(small));
  // memLevel 1 saves 111 KiB of the Deflater's buffers (the table's two rows); ask for a third.
  t.true(small < defaults - 37 * KiB, `memLevel 1: ${kib(small)}, defaults: ${kib(defaults)}`);
});
