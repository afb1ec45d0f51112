#!/usr/bin/env node
// Autobahn|TestSuite driver: runs wstest against a ws-compatible implementation and grades the result.
//
//   node autobahn/run.mjs --role server|client --impl <module> [--cases <preset|globs>] [--deflate auto|on|off]
//        [--agent NAME] [--outdir DIR] [--expect FILE] [--write-expected FILE] [--timeout S] [--idle-timeout S]
//        [--exclude globs] [--library-defaults] [--python PATH] [--verbose] [--transport h1|h2]
//   node autobahn/run.mjs --grade <index.json> --role server|client [--agent NAME] [--expect FILE]
//
// The impl module exports the ws API: `WebSocket` and `WebSocketServer` classes (optional: `agent`, a name;
// `serverOptions` / `clientOptions`, merged into the constructor options). run.mjs builds the echo server and the
// echo client from them, exactly as ws's test/autobahn-server.js and test/autobahn.js do.
// `--transport h2` runs the same cases over HTTP/2 (RFC 8441) through h2-bridge.mjs: the echo server is
// `new WebSocketServer({ server: http2.createServer() })`, the echo client gets the impl's `http2ClientOptions`
// (default `{ http2: true }`), and the bridge translates between wstest's HTTP/1.1 and h2c.
// Pass rule (autobahn.md section 6): behavior and behaviorClose both in {OK, INFORMATIONAL}; allow-list.json
// excuses named cases. The last line printed is `N passed, N failed`; the exit code is 1 on any failure.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { h1ToH2, h2ToH1 } from './h2-bridge.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(HERE);
const PASS = new Set(['OK', 'INFORMATIONAL']);
const PRESETS = {
  all: ['*'],
  'no-deflate': ['1.*', '2.*', '3.*', '4.*', '5.*', '6.*', '7.*', '9.*', '10.*'],
  'no-perf': ['1.*', '2.*', '3.*', '4.*', '5.*', '6.*', '7.*', '10.*'],
};
// 12.x.1-5 (16 B-4 KiB messages) and 12.x.11 (8 KiB auto-fragmented to 256 B), same for 13.x: 72 of the 216
// deflate cases at about a tenth of their time (the 64/128 KiB variants dominate the full run).
// wstest treats a pattern with `*` as a regex matched at the start only ("12.*.1" also matches 12.1.10), so
// these are exact ids.
PRESETS['deflate-smoke'] = [[12, 5], [13, 7]].flatMap(([g, n]) => Array.from({ length: n }, (_, i) => i + 1)
  .flatMap((sub) => [1, 2, 3, 4, 5, 11].map((v) => `${g}.${sub}.${v}`)));
PRESETS.ci = [...PRESETS['no-deflate'], ...PRESETS['deflate-smoke']];
const log = (...a) => console.log('[autobahn]', ...a);
// ws >= 8.21 closes with 1008 after 16384 fragments of one message (`maxFragments`, CVE-2026-48779). Cases
// 9.3.1/9.3.2/9.4.1/9.4.2 send a 4 MiB message as 65536/32768 fragments and fail under that default, although ws
// 8.18.3 passed them. A conformance run lifts the limit (0 = off); `--library-defaults` keeps the library's own.
const CONFORMANCE_OPTIONS = { maxFragments: 0 };

function parseCli() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      impl: { type: 'string' },
      cases: { type: 'string', default: 'all' },
      exclude: { type: 'string', default: '' },
      deflate: { type: 'string', default: 'auto' },
      agent: { type: 'string' },
      outdir: { type: 'string' },
      expect: { type: 'string' },
      'write-expected': { type: 'string' },
      grade: { type: 'string' },
      timeout: { type: 'string' },
      'idle-timeout': { type: 'string', default: '600' },
      python: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'library-defaults': { type: 'boolean', default: false },
      transport: { type: 'string', default: 'h1' },
    },
  });
  if (!['h1', 'h2'].includes(values.transport)) usage('--transport must be h1 or h2');
  if (!['server', 'client'].includes(values.role)) usage('--role server|client is required');
  if (!values.grade && !values.impl) usage('--impl <module> is required');
  if (!['auto', 'on', 'off'].includes(values.deflate)) usage('--deflate must be auto, on or off');
  return values;
}

function usage(msg) {
  const text = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const header = text.slice(1, text.findIndex((l) => l.startsWith('import')));
  console.error(`run.mjs: ${msg}\n${header.map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}`);
  process.exit(2);
}

const splitGlobs = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const casePatterns = (s) => PRESETS[s] ?? splitGlobs(s);
const wantsDeflate = (patterns) => patterns.some((p) => /^(\*|1[23](\.|\*|$))/.test(p));

/** Case ids sort as number tuples: 1.1.2 < 1.1.10 < 10.1.1. */
function compareIds(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
  }
  return 0;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.on('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// wstest processes still running; killed if this driver is interrupted (wstest-loopback.py also exits by itself
// once its parent is gone).
const running = new Set();
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    log(`${signal}: stopped`);
    process.exit(code);
  });
}
process.on('exit', () => running.forEach((child) => child.kill('SIGKILL')));

// ---------------------------------------------------------------- wstest process

function findPython(explicit) {
  const home = process.env.FERROWS_AUTOBAHN_HOME
    ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'ferrows', 'autobahn');
  const py = explicit ?? path.join(home, 'venv', 'bin', 'python');
  if (!fs.existsSync(py)) {
    console.error(`run.mjs: ${py} not found; run \`bash autobahn/setup.sh\` first`);
    process.exit(2);
  }
  return py;
}

/**
 * Spawns wstest (through wstest-loopback.py) and tracks it: its output goes to wstest.log, the `Cases = [...]`
 * line gives the selected case ids, `Running test case ID x` lines (server role) mark progress.
 */
class Wstest {
  constructor(python, args, { cwd, logFile, verbose, idleTimeout, totalTimeout }) {
    this.cases = null;
    this.onCase = null;
    this.lastActivity = Date.now();
    this.log = fs.createWriteStream(logFile);
    this.child = spawn(python, ['-u', path.join(HERE, 'wstest-loopback.py'), ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.exited = once(this.child, 'exit').then(([code, signal]) => {
      running.delete(this.child);
      return { code, signal };
    });
    this.readyLine = new Promise((resolve) => (this.resolveReady = resolve));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.line(line, verbose));
    }
    this.watchdog(idleTimeout, totalTimeout);
  }

  line(line, verbose) {
    this.log.write(`${line}\n`);
    if (verbose) console.log(`  wstest| ${line}`);
    const cases = /^Cases = \[(.*)\]$/.exec(line);
    if (cases) {
      this.cases = [...cases[1].matchAll(/'([\d.]+)'/g)].map((m) => m[1]);
      this.resolveReady();
    }
    const run = /^Running test case ID (\S+) for agent/.exec(line);
    if (run) this.progress(run[1]);
    if (/Traceback|Error/.test(line) && !verbose) console.log(`  wstest| ${line}`);
  }

  progress(caseId) {
    this.lastActivity = Date.now();
    this.onCase?.(caseId);
  }

  watchdog(idleS, totalS) {
    const start = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastActivity > idleS * 1000) this.kill(`no progress for ${idleS} s`);
      else if (now - start > totalS * 1000) this.kill(`total timeout of ${totalS} s`);
    }, 1000);
    this.exited.finally(() => clearInterval(timer));
  }

  kill(reason) {
    if (this.killReason) return;
    this.killReason = reason;
    log(`killing wstest (pid ${this.child.pid}): ${reason}`);
    this.child.kill('SIGTERM');
    setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
  }

  async finish(graceMs) {
    const timer = setTimeout(() => this.kill(`did not exit within ${graceMs / 1000} s`), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    await new Promise((r) => this.log.end(r));
    if (this.killReason) throw new Error(`wstest was killed: ${this.killReason}`);
    if (result.code !== 0) throw new Error(`wstest exited with ${result.code ?? result.signal}`);
  }
}

// ---------------------------------------------------------------- per-group wall time

class GroupClock {
  constructor() {
    this.times = new Map();
    this.current = null;
  }

  start(caseId) {
    const group = caseId.split('.')[0];
    if (group === this.current?.group) return;
    this.stop();
    this.current = { group, t0: performance.now() };
  }

  stop() {
    if (!this.current) return;
    const ms = performance.now() - this.current.t0;
    log(`group ${this.current.group}.* done in ${(ms / 1000).toFixed(1)} s`);
    this.times.set(this.current.group, ms);
    this.current = null;
  }
}

// ---------------------------------------------------------------- server role: wstest -m fuzzingclient

async function startEchoServer(impl, options, transport) {
  const { WebSocketServer } = impl;
  let wss;
  let h2server;
  if (transport === 'h2') {
    h2server = http2.createServer();
    wss = new WebSocketServer({ server: h2server, ...options, ...impl.serverOptions });
    h2server.listen(0, '127.0.0.1');
    await once(h2server, 'listening');
  } else {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options, ...impl.serverOptions });
    await once(wss, 'listening');
  }
  let errors = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => errors++);
  });
  return {
    port: (h2server ?? wss).address().port,
    errors: () => errors,
    close: async () => {
      await new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      });
      // The bridge's session is closed by then: close() waits for sessions to end.
      if (h2server) await new Promise((resolve) => h2server.close(() => resolve()));
    },
  };
}

/** The bridge of --transport h2 for one role; logs how its connections ended. */
async function startBridge(ctx, target) {
  const seen = new Set(); // without --verbose, each distinct bridge message once
  const bridge = await (ctx.role === 'server' ? h1ToH2 : h2ToH1)({
    target,
    log: (msg) => (ctx.verbose || !seen.has(msg)) && seen.add(msg) && log(`bridge: ${msg}`),
  });
  log(`h2-bridge (${ctx.role === 'server' ? 'HTTP/1.1 -> h2c' : 'h2c -> HTTP/1.1'}) on ${bridge.url} -> ${target}`);
  return {
    ...bridge,
    close: async () => {
      await bridge.close();
      log(`h2-bridge closed: ${JSON.stringify(bridge.stats)}`);
    },
  };
}

async function runServerRole(ctx) {
  const server = await startEchoServer(ctx.impl, ctx.peerOptions, ctx.transport);
  const h2 = ctx.transport === 'h2';
  log(`echo server (${ctx.agent}) on ${h2 ? 'h2c http' : 'ws'}://127.0.0.1:${server.port}, options ${JSON.stringify(ctx.peerOptions)}`);
  const bridge = h2 ? await startBridge(ctx, `http://127.0.0.1:${server.port}`) : null;
  const spec = readTemplate('fuzzingclient.json');
  Object.assign(spec, { outdir: ctx.outdir, cases: ctx.cases, 'exclude-cases': ctx.exclude });
  spec.servers = [{ ...spec.servers[0], agent: ctx.agent, url: bridge?.url ?? `ws://127.0.0.1:${server.port}` }];
  const specFile = writeSpec(ctx, spec);
  const wstest = new Wstest(ctx.python, ['-m', 'fuzzingclient', '-s', specFile], ctx.wstestOptions);
  wstest.onCase = (id) => ctx.clock.start(id);
  try {
    await wstest.finish(ctx.totalTimeout * 1000);
  } finally {
    ctx.clock.stop();
    await bridge?.close();
    await server.close();
    log(`echo server closed (${server.errors()} connection 'error' events, expected in failure cases)`);
  }
  return wstest.cases;
}

// ---------------------------------------------------------------- client role: wstest -m fuzzingserver

async function startFuzzingServer(ctx) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const spec = readTemplate('fuzzingserver.json');
    Object.assign(spec, {
      url: `ws://127.0.0.1:${port}`, outdir: ctx.outdir, cases: ctx.cases, 'exclude-cases': ctx.exclude,
    });
    const wstest = new Wstest(ctx.python, ['-m', 'fuzzingserver', '-s', writeSpec(ctx, spec), '-u', '0'],
      ctx.wstestOptions);
    const deadline = Date.now() + 60_000;
    const ready = (async () => {
      await Promise.race([wstest.readyLine, wstest.exited]);
      while (wstest.child.exitCode === null && Date.now() < deadline) {
        if (await canConnect(port)) return true;
        await sleep(100);
      }
      return false;
    })();
    if (await ready) return { wstest, url: `ws://127.0.0.1:${port}` };
    wstest.kill('fuzzing server did not start');
    await wstest.exited;
    if (attempt === 3) throw new Error('wstest fuzzingserver did not start (see wstest.log)');
  }
}

/** One WebSocket connection to the fuzzing server: echoes every message, resolves on close. */
function session(ctx, url, onMessage, timeoutS) {
  return new Promise((resolve) => {
    let ws;
    let settled = false;
    const done = (err) => {
      settled = true;
      clearTimeout(timer);
      resolve(err);
    };
    const abort = (reason) => {
      if (settled) return;
      ws?.terminate();
      done(new Error(reason));
    };
    const timer = setTimeout(() => abort(`no close within ${timeoutS} s`), timeoutS * 1000);
    ctx.stopped.then(() => abort('wstest exited'));
    try {
      ws = new ctx.impl.WebSocket(url, { ...ctx.peerOptions, ...ctx.impl.clientOptions, ...ctx.transportOptions });
    } catch (err) {
      done(err);
      return;
    }
    let error = null;
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    ws.on('error', (err) => (error ??= err));
    ws.on('close', () => done(error));
  });
}

async function runClientRole(ctx) {
  const { wstest, url: fuzzingUrl } = await startFuzzingServer(ctx);
  ctx.stopped = wstest.exited;
  const bridge = ctx.transport === 'h2' ? await startBridge(ctx, fuzzingUrl).catch((err) => {
    wstest.kill('the bridge did not start');
    throw err;
  }) : null;
  const url = bridge?.url ?? fuzzingUrl;
  log(`fuzzing server on ${fuzzingUrl}; client ${ctx.agent} on ${url}, options ${JSON.stringify({ ...ctx.peerOptions, ...ctx.transportOptions })}`);
  wstest.onCase = (id) => ctx.clock.start(id);
  let count = NaN;
  try {
    const err = await session(ctx, `${url}/getCaseCount`, (_ws, data) => (count = Number(String(data))), 60);
    if (!(count >= 0)) throw new Error(`getCaseCount failed: ${err?.message ?? 'no count'}`);
    if (count !== wstest.cases.length) throw new Error(`getCaseCount=${count}, Cases list=${wstest.cases.length}`);
    const echo = (ws, data, isBinary) => ws.send(data, { binary: isBinary });
    const agent = encodeURIComponent(ctx.agent);
    let errors = 0;
    for (let i = 1; i <= count; i++) {
      if (wstest.child.exitCode !== null || wstest.killReason) throw new Error('wstest stopped during the run');
      wstest.progress(wstest.cases[i - 1]);
      if (ctx.verbose) log(`case ${i}/${count}: ${wstest.cases[i - 1]}`);
      if (await session(ctx, `${url}/runCase?case=${i}&agent=${agent}`, echo, ctx.idleTimeout)) errors++;
    }
    ctx.clock.stop();
    log(`${count} cases run (${errors} client 'error' events, expected in failure cases); writing reports`);
    await session(ctx, `${url}/updateReports?agent=${agent}&shutdownOnComplete=true`, () => {}, 300);
  } catch (err) {
    wstest.kill(err.message);
    throw err;
  } finally {
    ctx.clock.stop();
    await wstest.finish(300_000).catch((e) => {
      if (!wstest.killReason?.startsWith('did not exit')) throw e;
    }).finally(() => bridge?.close());
  }
  return wstest.cases;
}

// ---------------------------------------------------------------- specs, reports

function readTemplate(name) {
  const spec = JSON.parse(fs.readFileSync(path.join(HERE, name), 'utf8'));
  delete spec._comment;
  return spec;
}

function writeSpec(ctx, spec) {
  const file = path.join(ctx.outdir, `spec-${ctx.role}.json`);
  fs.writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
  return file;
}

function prepareOutdir(dir) {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length && !fs.existsSync(path.join(dir, 'wstest.log'))) {
    throw new Error(`${dir} is not empty and is not an earlier autobahn report dir; refusing to clear it`);
  }
  const lock = path.join(dir, 'run.pid');
  const pid = fs.existsSync(lock) ? Number(fs.readFileSync(lock, 'utf8')) : 0;
  if (pid && pid !== process.pid && isAlive(pid)) {
    throw new Error(`another run (pid ${pid}) is using ${dir}; pass a different --outdir`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(lock, `${process.pid}\n`);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function readResults(indexFile, agent) {
  const index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  const agents = Object.keys(index);
  const key = agent ?? (agents.length === 1 ? agents[0] : undefined);
  if (!key || !index[key]) throw new Error(`${indexFile}: agent ${agent} not found (agents: ${agents.join(', ')})`);
  return index[key];
}

/** index.json records without durations and report file names, sorted by case id. */
function normalize(results, role) {
  const cases = {};
  for (const id of Object.keys(results).sort(compareIds)) {
    const { behavior, behaviorClose, remoteCloseCode } = results[id];
    cases[id] = { behavior, behaviorClose, remoteCloseCode };
  }
  return { role, cases };
}

// ---------------------------------------------------------------- grading

function grade(results, expectedIds, allow) {
  const ids = [...new Set([...(expectedIds ?? []), ...Object.keys(results)])].sort(compareIds);
  const counts = { behavior: {}, behaviorClose: {} };
  const failed = [];
  const allowed = [];
  for (const id of ids) {
    const r = results[id];
    if (!r) {
      failed.push(`${id}  MISSING (no result in index.json)`);
      continue;
    }
    counts.behavior[r.behavior] = (counts.behavior[r.behavior] ?? 0) + 1;
    counts.behaviorClose[r.behaviorClose] = (counts.behaviorClose[r.behaviorClose] ?? 0) + 1;
    if (PASS.has(r.behavior) && PASS.has(r.behaviorClose)) {
      if (allow[id]) log(`allow-list entry ${id} is stale: the case passes`);
      continue;
    }
    const line = `${id}  behavior=${r.behavior} behaviorClose=${r.behaviorClose} remoteCloseCode=${r.remoteCloseCode}`;
    (allow[id] ? allowed : failed).push(allow[id] ? `${line}  (allowed: ${allow[id]})` : line);
  }
  return { total: ids.length, counts, failed, allowed };
}

function printGrade(g) {
  const fmt = (c) => Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' ');
  log(`behavior:      ${fmt(g.counts.behavior)}`);
  log(`behaviorClose: ${fmt(g.counts.behaviorClose)}`);
  if (g.allowed.length) log(`allowed by allow-list.json (${g.allowed.length}):\n    ${g.allowed.join('\n    ')}`);
  if (g.failed.length) log(`failing cases (${g.failed.length}):\n    ${g.failed.join('\n    ')}`);
}

function compareExpected(actual, file) {
  const golden = JSON.parse(fs.readFileSync(file, 'utf8')).cases;
  const drift = [];
  for (const [id, a] of Object.entries(actual.cases)) {
    const e = golden[id];
    if (!e) drift.push(`${id}: not in ${path.basename(file)}`);
    else if (JSON.stringify(e) !== JSON.stringify(a)) drift.push(`${id}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
  }
  const skipped = Object.keys(golden).filter((id) => !actual.cases[id]).length;
  log(`compared with ${file}: ${drift.length} drifted case(s), ${skipped} golden case(s) not in this run`);
  for (const d of drift) console.log(`    ${d}`);
  return drift.length === 0;
}

function printTimes(clock, results) {
  const caseMs = {};
  for (const [id, r] of Object.entries(results)) {
    const g = id.split('.')[0];
    if (r.duration < 864e5) caseMs[g] = (caseMs[g] ?? 0) + r.duration;
  }
  const groups = [...new Set([...clock.times.keys(), ...Object.keys(caseMs)])].sort((a, b) => a - b);
  const s = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
  log(`time per group (wall / sum of case durations): ${groups
    .map((g) => `${g}.*: ${s(clock.times.get(g))} / ${s(caseMs[g])}`).join(', ')}`);
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseCli();
  const allow = JSON.parse(fs.readFileSync(path.join(HERE, 'allow-list.json'), 'utf8'))[opts.role] ?? {};
  let results;
  let caseIds = null;
  let ok = true;
  const t0 = performance.now();
  if (opts.grade) {
    results = readResults(opts.grade, opts.agent);
  } else {
    const ctx = await makeContext(opts);
    prepareOutdir(ctx.outdir);
    log(`role=${ctx.role} transport=${ctx.transport} impl=${opts.impl} cases=${opts.cases} (${ctx.cases.length} patterns) outdir=${path.relative(process.cwd(), ctx.outdir) || '.'}`);
    try {
      caseIds = await (ctx.role === 'server' ? runServerRole(ctx) : runClientRole(ctx));
    } catch (err) {
      log(`run failed: ${err.message}`);
      ok = false;
    }
    const index = path.join(ctx.outdir, 'index.json');
    if (!fs.existsSync(index)) {
      log(`no ${index}; see ${path.join(ctx.outdir, 'wstest.log')}`);
      console.log(`0 passed, ${caseIds?.length || 1} failed`);
      process.exit(1);
    }
    results = readResults(index, ctx.agent);
    printTimes(ctx.clock, results);
    log(`wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const g = grade(results, caseIds, allow);
  printGrade(g);
  const normalized = normalize(results, opts.role);
  if (opts['write-expected']) {
    fs.writeFileSync(opts['write-expected'], `${JSON.stringify(normalized, null, 2)}\n`);
    log(`wrote ${opts['write-expected']}`);
  }
  if (opts.expect && !compareExpected(normalized, opts.expect)) ok = false;
  console.log(`${g.total - g.failed.length} passed, ${g.failed.length} failed`);
  process.exit(ok && g.failed.length === 0 ? 0 : 1);
}

async function makeContext(opts) {
  const impl = await import(pathToFileURL(path.resolve(opts.impl)).href);
  if (!impl.WebSocket || !impl.WebSocketServer) throw new Error(`${opts.impl} must export WebSocket and WebSocketServer`);
  const cases = casePatterns(opts.cases);
  const deflate = opts.deflate === 'auto' ? wantsDeflate(cases) : opts.deflate === 'on';
  const slowCases = deflate ? 216 : 54;
  const totalTimeout = Number(opts.timeout ?? 1200 + slowCases * 20);
  const idleTimeout = Number(opts['idle-timeout']);
  const transport = opts.transport;
  const outdir = path.resolve(opts.outdir
    ?? path.join(REPO, 'reports', 'autobahn', transport === 'h1' ? opts.role : `${opts.role}-${transport}`));
  return {
    role: opts.role, impl, cases, outdir, transport,
    transportOptions: transport === 'h2' ? (impl.http2ClientOptions ?? { http2: true }) : {},
    peerOptions: { perMessageDeflate: deflate, ...(opts['library-defaults'] ? {} : CONFORMANCE_OPTIONS) },
    idleTimeout, totalTimeout, verbose: opts.verbose,
    exclude: splitGlobs(opts.exclude),
    agent: opts.agent ?? impl.agent ?? path.basename(opts.impl).replace(/\.[cm]?js$/, ''),
    python: findPython(opts.python),
    clock: new GroupClock(),
    wstestOptions: {
      cwd: outdir, logFile: path.join(outdir, 'wstest.log'), verbose: opts.verbose, idleTimeout, totalTimeout,
    },
  };
}

main().catch((err) => {
  console.error(err);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
