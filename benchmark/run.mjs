#!/usr/bin/env node
// `npm run bench [-- options]`: the whole benchmark suite in one run.
//
// Builds the load generator and the native limit server (release), installs the pinned peers if
// needed, checks that every server echoes verbatim, then runs every scenario on every server,
// alternating servers within each round (round-robin, R rounds, a fresh server process per
// sample, server and generator pinned to different CPUs). Writes benchmark/results/<time>.json,
// BENCHMARKS.md and benchmark/chart.png. See benchmark/README.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { writeChart } from './harness/chart.mjs';
import { BENCH_DIR, checkKind, eligible, parseOptions, SCENARIOS } from './harness/config.mjs';
import { writeReport } from './harness/report.mjs';
import { echoChecks, sample } from './harness/sample.mjs';
import { build, installPeers, machine } from './harness/setup.mjs';
import { summarize } from './harness/summary.mjs';

const log = (msg) => process.stderr.write(`${msg}\n`);
const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n));

/** Round-robin plan: every round runs every scenario on every server, rotating server order. */
function plan(opts) {
  const out = [];
  for (let round = 0; round < opts.runs; round++) {
    for (const scenario of opts.scenarios) {
      const servers = eligible(scenario, opts.servers);
      const shift = round % servers.length;
      for (const server of [...servers.slice(shift), ...servers.slice(0, shift)]) out.push({ round, scenario, server });
    }
  }
  return out;
}

async function runChecks(opts) {
  const checks = {};
  for (const sv of opts.servers) {
    const kinds = [...new Set(opts.scenarios.filter((sc) => eligible(sc, [sv]).length).map((sc) => checkKind(sc, sv)))];
    if (!kinds.length) continue; // no selected scenario runs on this server
    checks[sv] = await echoChecks(sv, kinds);
    const bad = Object.entries(checks[sv]).filter(([, e]) => e !== null);
    log(`check ${sv}: ${bad.length ? bad.map(([k, e]) => `${k} FAILED (${e})`).join('; ') : `ok (${kinds.join(', ')})`}`);
  }
  return checks;
}

function describe(s, sc) {
  if (!s.ok) return `ERROR ${s.error}`;
  const unit = SCENARIOS[sc].unit;
  const v = unit === 'B/conn' ? `${(s.value / 1024).toFixed(2)} KiB/conn` : `${fmt(s.value)} ${unit}`;
  const pc = (x) => `${Math.round(x * 100)} %`;
  const cpu = Number.isFinite(s.server_cpu)
    ? `, server CPU ${pc(s.server_cpu)}, loadgen CPU ${pc(s.result.client_cpu)}, others ${pc(s.others_cpu0)}/${pc(s.others_cpu1)}`
    : '';
  const lat = s.result.latency_us ? `, p50 ${s.result.latency_us.p50.toFixed(1)} µs, p99 ${s.result.latency_us.p99.toFixed(1)} µs` : '';
  return `${v}${cpu}${lat}`;
}

async function report(results) {
  writeReport(results);
  const chartError = await writeChart(results);
  log(chartError ? `chart: ${chartError}` : 'chart: benchmark/chart.png');
  log('report: BENCHMARKS.md');
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.reportFrom) {
    const saved = JSON.parse(readFileSync(opts.reportFrom, 'utf8'));
    saved.summary = summarize(saved.samples, saved.options.scenarios, saved.options.servers);
    return report(saved);
  }
  const t0 = Date.now();
  const results = { started: new Date().toISOString(), options: opts, loadavg: { start: os.loadavg() } };
  if (opts.build) build();
  installPeers();
  results.machine = machine();
  log(`machine: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.kernel}, Node ${results.machine.node}`);
  log(`load average at start: ${results.loadavg.start.map((x) => x.toFixed(2)).join(' ')}`);
  results.checks = await runChecks(opts);
  results.samples = [];
  mkdirSync(`${BENCH_DIR}results`, { recursive: true });
  const file = `${BENCH_DIR}results/${results.started.replace(/[:.]/g, '-')}.json`;
  const steps = plan(opts);
  for (const [i, { round, scenario, server }] of steps.entries()) {
    const failedCheck = results.checks[server][checkKind(scenario, server)];
    let s;
    if (failedCheck) {
      if (round > 0) continue;
      s = { ok: false, skipped: true, error: `echo check failed, not measured: ${failedCheck}` };
    } else {
      s = await sample(server, SCENARIOS[scenario], opts, results.machine.clk_tck).catch((err) => ({
        ok: false,
        error: String(err.message ?? err),
      }));
    }
    results.samples.push({ scenario, server, round, ...s });
    log(`[${i + 1}/${steps.length}] round ${round + 1} ${scenario} ${server}: ${describe(s, scenario)}`);
    writeFileSync(file, JSON.stringify(results, null, 1));
  }
  results.loadavg.end = os.loadavg();
  results.finished = new Date().toISOString();
  results.duration_s = (Date.now() - t0) / 1000;
  results.summary = summarize(results.samples, opts.scenarios, opts.servers);
  writeFileSync(file, JSON.stringify(results, null, 1));
  log(`results: ${file}`);
  if (opts.report) await report(results);
  log(`done in ${(results.duration_s / 60).toFixed(1)} min; load average at the end: ${results.loadavg.end.map((x) => x.toFixed(2)).join(' ')}`);
}

main().catch((err) => {
  log(err.stack ?? String(err));
  process.exit(1);
});
