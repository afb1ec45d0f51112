// Writes BENCHMARKS.md from a results object (see run.mjs for its shape).
import { writeFileSync } from 'node:fs';
import { H1_REFERENCE, H2_CEILING, ROOT, SCENARIOS, SERVERS } from './config.mjs';

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ratio = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—');
const pct = (n) => (Number.isFinite(n) ? `${Math.round(n * 100)} %` : '—');
const us = (n) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const kib = (n) => (Number.isFinite(n) ? `${(n / 1024).toFixed(2)} KiB` : '—');

function value(sc, n) {
  return SCENARIOS[sc].unit === 'B/conn' ? kib(n) : int(n);
}

function spread(sc, c) {
  if (!Number.isFinite(c.median)) return '—';
  return `${value(sc, c.min)} – ${value(sc, c.max)}`;
}

function status(c) {
  if (!c.ok) return `**failed**: ${c.errors[0] ?? ''}`.slice(0, 300).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  if (c.ok < c.samples) return `${c.samples - c.ok} of ${c.samples} samples failed`;
  return '';
}

/** The HTTP/1.1 scenarios and their servers (the HTTP/2 ones have their own section). */
const classic = (r) => r.options.scenarios.filter((sc) => !SCENARIOS[sc].h2);
const h2scenarios = (r) => r.options.scenarios.filter((sc) => SCENARIOS[sc].h2);

function overview(r) {
  if (!classic(r).length) return 'No HTTP/1.1 scenario was part of this run.';
  const servers = r.options.servers.filter((sv) => !SERVERS[sv].h2);
  const lines = [
    `| Scenario | ${servers.map((s) => SERVERS[s].label).join(' | ')} |`,
    `|---|${servers.map(() => '---:').join('|')}|`,
  ];
  for (const sc of classic(r)) {
    const cells = servers.map((sv) => {
      const c = r.summary[sc][sv];
      if (!c) return 'n/a';
      if (!Number.isFinite(c.median)) return 'failed';
      return `${value(sc, c.median)} (${ratio(c.vs_uws)})`;
    });
    lines.push(`| ${SCENARIOS[sc].title} [${SCENARIOS[sc].unit}] | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function detail(r, sc) {
  const s = SCENARIOS[sc];
  const lat = s.latency;
  const head = ['Server', `Median ${s.unit}`, 'Spread (min – max)', '× uWS.js', '× limit'];
  if (lat) head.push('p50 µs', 'p99 µs', 'p99.9 µs');
  if (s.idle) head.push('RSS base → with 10k');
  else head.push('Server CPU', 'Loadgen CPU', 'Other load CPU0 / CPU1');
  head.push('Samples', 'Notes');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const sv of r.options.servers) {
    const c = r.summary[sc][sv];
    if (!c) continue;
    const row = [SERVERS[sv].label, value(sc, c.median), spread(sc, c), ratio(c.vs_uws), sv === 'limit' || s.idle ? '—' : ratio(c.vs_limit)];
    if (lat) row.push(...['p50', 'p99', 'p999'].map((q) => us(c.latency_us?.[q].median)));
    if (s.idle) row.push(c.rss_base ? `${(c.rss_base / 2 ** 20).toFixed(1)} → ${(c.rss_idle / 2 ** 20).toFixed(1)} MiB` : '—');
    else row.push(pct(c.server_cpu), pct(c.client_cpu), `${pct(c.others_cpu0)} / ${pct(c.others_cpu1)}`);
    row.push(`${c.ok}/${c.samples}`, status(c));
    lines.push(`| ${row.join(' | ')} |`);
  }
  let notes = '';
  if (s.deflate) {
    const parts = r.options.servers
      .filter((sv) => r.summary[sc][sv]?.ok)
      .map((sv) => `${SERVERS[sv].label} ${r.summary[sc][sv].compressed_echoes}/${r.summary[sc][sv].compressed_echoes + r.summary[sc][sv].plain_echoes}`);
    notes = `\nCompressed echoes (all verified by inflating): ${parts.join(', ')}.\n`;
  }
  return `### ${s.title}\n\n${lines.join('\n')}\n${notes}`;
}

/** Why a scenario's figures measure the servers and not the generator. */
function verdict(sc, limit, best) {
  const headroom = limit.median / best.median;
  if (SCENARIOS[sc].latency) return 'one message in flight: bound by wake-up latency on both sides, not by CPU';
  if (headroom >= 1.25) return `generator has ${headroom.toFixed(1)}× headroom over the fastest server`;
  if (best.server_cpu >= 0.9) return `little headroom, but the fastest server ran at ${pct(best.server_cpu)} CPU: server-bound`;
  return '**inconclusive**: little headroom and the server was not CPU-bound (contended machine?)';
}

function headroom(r) {
  const rows = [];
  for (const sc of r.options.scenarios) {
    const s = SCENARIOS[sc];
    const limit = r.summary[sc].limit;
    if (!s.higher || !limit || !Number.isFinite(limit.median)) continue;
    const others = r.options.servers
      .filter((sv) => sv !== 'limit' && Number.isFinite(r.summary[sc][sv]?.median))
      .map((sv) => [sv, r.summary[sc][sv]]);
    if (!others.length) continue;
    const [bestName, best] = others.reduce((a, b) => (b[1].median > a[1].median ? b : a));
    rows.push(
      `| ${s.title} | ${int(limit.median)} ${s.unit} | ${pct(limit.client_cpu)} / ${pct(limit.server_cpu)} | ` +
        `${SERVERS[bestName].label}: ${int(best.median)} | ${pct(best.client_cpu)} / ${pct(best.server_cpu)} | ` +
        `${ratio(limit.median / best.median)} | ${verdict(sc, limit, best)} |`,
    );
  }
  if (!rows.length) return 'The native limit was not part of this run.';
  return [
    'The same generator, on the same CPU, against the native limit server, which does the least work a WebSocket server',
    'can do per message. Where it drives the limit well above the fastest server under test, the generator was not what',
    'limited that server. Where the two are close, as in a closed loop, where the generator does the same 1 read + 1 write',
    'per message as the server, the server\'s own CPU use decides. A server at ~100 % of its core is server-bound. CPU',
    'figures are "loadgen / server" over the window.',
    '',
    '| Scenario | native limit | CPU loadgen / limit | fastest server under test | CPU loadgen / server | limit ÷ fastest | reading |',
    '|---|---:|---:|---|---:|---:|---|',
    ...rows,
  ].join('\n');
}

function h2detail(r, sc) {
  const s = SCENARIOS[sc];
  const echo = s.metric === 'msg_per_s';
  const head = ['Server', `Median ${s.unit}`, 'Spread (min – max)', '× ceiling', '× ferrows HTTP/1.1'];
  if (echo) head.push('p50 µs', 'p99 µs', 'p99.9 µs');
  head.push(`Server CPU µs per ${echo ? 'message' : 'cycle'}`, 'Server CPU', 'Loadgen CPU', 'Other load CPU0 / CPU1', 'Samples', 'Notes');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const sv of r.options.servers) {
    const c = r.summary[sc][sv];
    if (!c) continue;
    const label = sv === H1_REFERENCE ? `${SERVERS[sv].label}, HTTP/1.1 (reference)` : SERVERS[sv].label;
    const row = [label, value(sc, c.median), spread(sc, c), ratio(c.vs_ceiling), ratio(c.vs_h1)];
    if (echo) row.push(...['p50', 'p99', 'p999'].map((q) => us(c.latency_us?.[q].median)));
    row.push(us(c.server_us_per_op), pct(c.server_cpu), pct(c.client_cpu), `${pct(c.others_cpu0)} / ${pct(c.others_cpu1)}`);
    row.push(`${c.ok}/${c.samples}`, status(c));
    lines.push(`| ${row.join(' | ')} |`);
  }
  return `### ${s.title}\n\n${lines.join('\n')}\n`;
}

function goal(c, key, min) {
  if (min === undefined) return '';
  const v = c?.[key];
  if (!Number.isFinite(v)) return ' (goal ≥ ' + ratio(min) + ')';
  return ` (goal ≥ ${ratio(min)}: ${v >= min ? 'met' : '**missed**'})`;
}

function h2section(r) {
  const scs = h2scenarios(r);
  if (!scs.length) return '';
  const cell = (sc, sv) => {
    const c = r.summary[sc][sv];
    if (!c) return 'n/a';
    return Number.isFinite(c.median) ? value(sc, c.median) : 'failed';
  };
  const rows = scs.map((sc) => {
    const s = SCENARIOS[sc];
    const f = r.summary[sc]['ferrows-h2'];
    return (
      `| ${s.title} [${s.unit}] | ${cell(sc, 'ferrows-h2')} | ${cell(sc, H2_CEILING)} | ${cell(sc, H1_REFERENCE)} | ` +
      `${ratio(f?.vs_ceiling)}${goal(f, 'vs_ceiling', s.goal?.ceiling)} | ${ratio(f?.vs_h1)}${goal(f, 'vs_h1', s.goal?.h1)} |`
    );
  });
  return `## WebSockets over HTTP/2

No other Node library offers WebSockets over HTTP/2 (RFC 8441), so the references are measured in the same run:
- **Node http2 bare echo (ceiling)**: Node's own \`http2\` server (h2c, extended CONNECT enabled) whose streams
  are answered 200 and write back exactly what they read. Each message is as many plain bytes as the client's
  WebSocket frame (the generator runs with \`--raw\`), so it is what Node's HTTP/2 stack alone costs for the same
  bytes: the ceiling for a path that JS owns.
- **ferrows, HTTP/1.1 (reference)**: ferrows' ws-API server over HTTP/1.1, one TCP connection per WebSocket, with the
  same number of WebSockets, message size and messages in flight (for the setup rate: the \`accept\` cycle, which
  has no echo).

Both HTTP/2 rows are driven by \`ferrows-loadgen-h2\` (h2 crate, one thread, every echo verified), the HTTP/1.1
row by \`ferrows-loadgen\`. Goals: ≥ 0.9× the ceiling, and ≥ 0.5× ferrows' HTTP/1.1 figure at 64 B. The details
give each server's CPU time per message (per cycle for the setup rate), which stays meaningful when other load on the
machine depresses the rates.

| Scenario | ferrows over HTTP/2 | Node http2 bare echo (ceiling) | ferrows HTTP/1.1 | ferrows HTTP/2 ÷ ceiling | ferrows HTTP/2 ÷ HTTP/1.1 |
|---|---:|---:|---:|---|---|
${rows.join('\n')}

${scs.map((sc) => h2detail(r, sc)).join('\n')}
`;
}

function checks(r) {
  const kinds = ['text', 'binary', 'deflate'];
  if (Object.values(r.checks).some((c) => 'h2' in c)) kinds.push('h2');
  const lines = [`| Server | ${kinds.join(' | ')} |`, `|---|${kinds.map(() => '---').join('|')}|`];
  for (const sv of r.options.servers.filter((s) => s in r.checks)) {
    const c = r.checks[sv];
    const cells = kinds.map((k) => (!(k in c) ? 'n/a' : c[k] === null ? 'ok' : `**failed**: ${c[k].slice(0, 200).replace(/\|/g, '\\|')}`));
    lines.push(`| ${SERVERS[sv].label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function writeReport(r, file = `${ROOT}BENCHMARKS.md`) {
  const m = r.machine;
  const text = `# Benchmarks

<!-- Generated by \`npm run bench\` (benchmark/run.mjs) — edit the generator, not this file. -->

Run of ${r.started.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(r.duration_s / 60)} min for ${r.samples.length} samples
(${r.options.runs} round${r.options.runs === 1 ? '' : 's'}, ${r.options.warmup} s warm-up + ${r.options.duration} s window per throughput sample, a fresh server
process per sample, servers alternated round-robin within each round). Each figure is the **median** of the rounds, with
the spread (min – max) of the samples and the ratio of medians to uWebSockets.js and to the native limit server.
How it is measured and the rules that keep it honest: [benchmark/README.md](benchmark/README.md).

| Machine | |
|---|---|
| CPU | ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB |
| Kernel | ${m.kernel} |
| Node | ${m.node} (servers), Bun ${m.bun} |
| Rust | ${m.rustc} (load generator, limit server) |
| ferrows | ${m.ferrows} |
| Pinning | server on CPU 0, load generator on CPU 1 (\`taskset\`) |
| Load average | ${r.loadavg.start.map((x) => x.toFixed(2)).join(' / ')} at start, ${r.loadavg.end.map((x) => x.toFixed(2)).join(' / ')} at the end${r.loadavg.note ? ` — ${r.loadavg.note}` : ''} |

![Throughput relative to uWebSockets.js](benchmark/chart.png)

## Overview

Median, and in parentheses the ratio to uWebSockets.js (higher is better except for memory).

${overview(r)}

## Details

"Server CPU" is the server process's CPU time over the window (all threads) and "Loadgen CPU" the generator's, each on its
own pinned CPU. "Other load" is the share of each CPU taken by other processes' tasks in the same window (from
\`/proc/stat\`, approximate): it should be near 0 % on a quiet machine, and where it is not the figures are depressed.

${classic(r).map((sc) => detail(r, sc)).join('\n')}
${h2section(r)}## The load generator is not the bottleneck

${headroom(r)}

## Echo checks

Before measuring, each server had to echo text (64 B and 300 B), binary (70,000 B and 1 MiB) and, for the deflate
scenario, compressed 64 B messages, verified byte for byte. A scenario whose check failed was not measured on that server.${
    Object.values(r.checks).some((c) => 'h2' in c)
      ? '\nThe HTTP/2 servers (h2 column) had to echo the same text and binary messages on two streams of one connection.'
      : ''
  }

${checks(r)}
`;
  writeFileSync(file, text);
}
