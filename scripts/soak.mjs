#!/usr/bin/env node
// `npm run soak` (not part of `npm test`): holds many connections to `port`-mode servers and churns
// more (connect, echo one message, close) beside them for a long time, printing the servers' RSS,
// external memory, V8 heap, fds, handles and event-loop delay every interval. Flat lines are the
// goal. The servers and the `ws` clients are children (scripts/load/) under a raised `ulimit -n`.
// One process cannot hold more fds than the hard limit (`ulimit -Hn`), so when the connections do
// not fit in one server they are spread evenly over several server processes, each on its own port
// and each with one client process of its own; the table sums connections, RSS, memory, fds and
// handles over the servers and shows the largest loop delay. `--servers N` forces N servers,
// `--per-server` adds a line per server to every row, and `--rate R` caps the churn at R new
// connections a second over all servers (default: no cap).
//
//   npm run soak -- --connections 50000 --duration 3600 --interval 30 --batch 200 --size 64 --rate 300
import { parseArgs } from 'node:util';
import { hardFdLimit, startChild } from './load/control.mjs';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50000' },
    duration: { type: 'string', default: '3600' },
    interval: { type: 'string', default: '30' },
    batch: { type: 'string', default: '200' },
    size: { type: 'string', default: '64' },
    rate: { type: 'string', default: '0' },
    servers: { type: 'string' },
    'per-server': { type: 'boolean', default: false },
  },
});
const [wanted, duration, interval, batch, size, rate] = ['connections', 'duration', 'interval', 'batch', 'size', 'rate'].map((k) => Number(values[k]));
const SPARE = 300;
const hard = hardFdLimit();
// Each server process holds its share plus one churn batch; so does its client process.
const capacity = hard - SPARE - batch;
const count = values.servers === undefined ? Math.max(1, Math.ceil(wanted / capacity)) : Number(values.servers);
const connections = Math.min(wanted, count * capacity);
if (connections < wanted) console.log(`ulimit -Hn is ${hard}: holding ${connections} connections with ${count} server(s), not ${wanted}`);
const shares = Array.from({ length: count }, (_, i) => Math.floor(connections / count) + (i < connections % count ? 1 : 0));

const children = [];
const killAll = () => children.forEach((c) => c.kill());
process.once('SIGINT', () => {
  killAll();
  process.exit(130);
});
async function start(name, args, nofile) {
  const child = await startChild(name, args, nofile);
  children.push(child);
  return child;
}

const MiB = 1024 * 1024;
const started = Date.now();
const totals = { churned: 0, failed: 0, errors: [] };
const peakRss = shares.map(() => 0);
let servers = [];
let clients = [];

function tally(result) {
  totals.churned += result.echoed ?? 0;
  totals.failed += result.failed;
  totals.errors.push(...result.errors.slice(0, 5 - totals.errors.length));
}

const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)).padStart(13);

/** Asks every server for its stats; prints and returns their sum (largest loop delay). */
async function sample({ print = true } = {}) {
  const each = await Promise.all(servers.map((s) => s.request('stats')));
  each.forEach((s, i) => (peakRss[i] = Math.max(peakRss[i], s.rss)));
  const sum = (k) => each.reduce((a, s) => a + s[k], 0);
  const all = { native: sum('native'), rss: sum('rss'), external: sum('external'), heap: sum('heap'), fds: sum('fds'), handles: sum('handles') };
  all.loopDelay = { p99: Math.max(...each.map((s) => s.loopDelay.p99)), max: Math.max(...each.map((s) => s.loopDelay.max)) };
  if (!print) return all;
  const row = [(Date.now() - started) / 1000, all.native, totals.churned, totals.failed, all.rss / MiB, all.external / MiB, all.heap / MiB, all.fds, all.handles, all.loopDelay.p99, all.loopDelay.max];
  console.log(row.map(fmt).join(''));
  if (values['per-server'] && each.length > 1) {
    each.forEach((s, i) => console.log(`${`server ${i + 1}:`.padStart(13)}${fmt(s.native)}${''.padStart(26)}${[s.rss / MiB, s.external / MiB, s.heap / MiB, s.fds, s.handles, s.loopDelay.p99, s.loopDelay.max].map(fmt).join('')}`));
  }
  return all;
}

try {
  servers = await Promise.all(shares.map((share) => start('server', [], share + batch + SPARE)));
  clients = await Promise.all(servers.map((s, i) => start('clients', [String(s.port)], shares[i] + batch + SPARE)));
  console.log(`${count} server process(es) on port(s) ${servers.map((s) => s.port).join(', ')}, holding ${shares.join(' + ')} connections; ${clients.length} client process(es); churn ${rate > 0 ? `at most ${rate}/s` : 'unpaced'}, ${batch} at a time per client`);
  const columns = ['t (s)', 'open', 'churned', 'failed', 'rss MiB', 'external MiB', 'heap MiB', 'fds', 'handles', 'loop p99 ms', 'loop max ms'];
  console.log(columns.map((c) => c.padStart(13)).join(''));

  const base = await sample();
  for (const result of await Promise.all(clients.map((c, i) => c.request('open', { count: shares[i], size })))) tally({ ...result, echoed: 0 });
  await sample();
  while (Date.now() - started < duration * 1000) {
    const results = await Promise.all(clients.map((c) => c.request('churn', { ms: interval * 1000, batch, size, rate: rate / clients.length })));
    results.forEach(tally);
    await sample();
  }
  await Promise.all(clients.map((c) => c.request('close')));
  let end = await sample();
  for (let i = 0; i < 100 && (end.fds > base.fds || end.native > 0); i++) end = await sample({ print: false });
  const after = await sample();
  console.log(`after close: fds ${base.fds} → ${after.fds}, handles ${base.handles} → ${after.handles}, RSS +${((after.rss - base.rss) / MiB).toFixed(1)} MiB`);
  console.log(`peak RSS per server: ${peakRss.map((r) => (r / MiB).toFixed(1)).join(', ')} MiB`);
  if (totals.errors.length > 0) console.log(`errors: ${totals.errors.join('; ')}`);
  process.exitCode = totals.failed > 0 || after.fds !== base.fds || after.native !== 0 ? 1 : 0;
} finally {
  killAll();
}
