#!/usr/bin/env node
// `npm run soak` (not part of `npm test`): holds many connections to one `port`-mode server and
// churns more (connect, echo one message, close) beside them for a long time, printing the
// server's RSS, external memory, V8 heap, fds, handles and event-loop delay every interval. Flat
// lines are the goal. The server and the `ws` clients are children (scripts/load/) under a raised
// `ulimit -n`; the connections count is capped by the hard fd limit (`ulimit -Hn`).
//
//   npm run soak -- --connections 50000 --duration 3600 --interval 30 --batch 200 --size 64
import { parseArgs } from 'node:util';
import { hardFdLimit, startChild } from './load/control.mjs';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50000' },
    duration: { type: 'string', default: '3600' },
    interval: { type: 'string', default: '30' },
    batch: { type: 'string', default: '200' },
    size: { type: 'string', default: '64' },
  },
});
const [wanted, duration, interval, batch, size] = ['connections', 'duration', 'interval', 'batch', 'size'].map((k) => Number(values[k]));
const SPARE = 300;
const hard = hardFdLimit();
const connections = Math.min(wanted, hard - SPARE - batch);
if (connections < wanted) console.log(`ulimit -Hn is ${hard}: holding ${connections} connections, not ${wanted}`);
const perChild = Math.min(connections, hard - SPARE - batch);
const server = await startChild('server', [], connections + batch + SPARE);
const clients = await Promise.all(
  Array.from({ length: Math.ceil(connections / perChild) }, () => startChild('clients', [String(server.port)], perChild + batch + SPARE)),
);

const MiB = 1024 * 1024;
const started = Date.now();
const totals = { churned: 0, failed: 0, errors: [] };
const columns = ['t (s)', 'open', 'churned', 'failed', 'rss MiB', 'external MiB', 'heap MiB', 'fds', 'handles', 'loop p99 ms', 'loop max ms'];
console.log(columns.map((c) => c.padStart(13)).join(''));

async function sample() {
  const s = await server.request('stats');
  const row = [(Date.now() - started) / 1000, s.native, totals.churned, totals.failed, s.rss / MiB, s.external / MiB, s.heap / MiB, s.fds, s.handles, s.loopDelay.p99, s.loopDelay.max];
  console.log(row.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)).padStart(13)).join(''));
  return s;
}

function count(result) {
  totals.churned += result.echoed;
  totals.failed += result.failed;
  totals.errors.push(...result.errors.slice(0, 5 - totals.errors.length));
}

const base = await sample();
const shares = clients.map((_, i) => Math.min(perChild, connections - i * perChild));
for (const result of await Promise.all(clients.map((c, i) => c.request('open', { count: shares[i], size })))) {
  totals.failed += result.failed;
  totals.errors.push(...result.errors.slice(0, 5 - totals.errors.length));
}
await sample();
while (Date.now() - started < duration * 1000) {
  count(await clients[0].request('churn', { ms: interval * 1000, batch, size }));
  await sample();
}
await Promise.all(clients.map((c) => c.request('close')));
let end = await sample();
for (let i = 0; i < 100 && end.fds > base.fds; i++) end = await server.request('stats');
const after = await sample();
console.log(`after close: fds ${base.fds} → ${after.fds}, handles ${base.handles} → ${after.handles}, RSS +${((after.rss - base.rss) / MiB).toFixed(1)} MiB`);
if (totals.errors.length > 0) console.log(`errors: ${totals.errors.join('; ')}`);
for (const c of [...clients, server]) c.kill();
process.exitCode = totals.failed > 0 || after.fds !== base.fds || after.native !== 0 ? 1 : 0;
