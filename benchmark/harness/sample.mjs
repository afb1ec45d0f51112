// One sample: a fresh server process pinned to CPU 0, the load generator pinned to CPU 1, the
// server's CPU time over the measured window and its RSS (idle scenario), and every way a sample
// can fail (generator error, server exit, a send the server reports as dropped).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { generator, LOADGEN, LOADGEN_H2, rawArgs, SERVERS } from './config.mjs';

const SERVER_CPU = 0;
const LOADGEN_CPU = 1;
// Both processes get the same, highest possible descriptor limit.
const ULIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';

function pinned(cpu, file, args) {
  return spawn('taskset', ['-c', String(cpu), 'bash', '-c', ULIMIT, 'bash', file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

/** utime + stime of `pid`, in clock ticks (all threads). */
function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

/** Per-CPU [busy-in-tasks, total] jiffies for CPUs 0 and 1 (busy = user + nice + system). */
function cpuJiffies() {
  const out = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu([01]) (.*)/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    out[m[1]] = [v[0] + v[1] + v[2], v.slice(0, 8).reduce((a, b) => a + b, 0)];
  }
  return out;
}

/**
 * The share of CPU `cpu` spent in other processes' tasks over a window: its task time
 * (user + nice + system, softirq excluded) minus the given process's own share.
 */
function othersShare(j0, j1, cpu, own) {
  const busy = j1[cpu][0] - j0[cpu][0];
  const total = j1[cpu][1] - j0[cpu][1];
  return total > 0 && Number.isFinite(own) ? Math.max(0, busy / total - own) : NaN;
}

/** Resident set size of `pid` in bytes. */
function rss(pid) {
  try {
    const kb = /VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb) * 1024;
  } catch {
    return NaN;
  }
}

/** Starts `name` on a free port; resolves once it printed `ready <port>`. */
export async function startServer(name, deflate) {
  const port = await freePort();
  const [file, args] = SERVERS[name].command(port, deflate);
  const child = pinned(SERVER_CPU, file, args);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8192);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready in 20 s: ${stderr.trim()}`)), 20000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (/ready \d+/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before ready: ${stderr.trim()}`));
    });
  });
  return { name, port, child, exited, stderr: () => stderr };
}

export async function stopServer(srv) {
  if (srv.child.exitCode !== null || srv.child.signalCode !== null) return;
  srv.child.kill('SIGTERM');
  const done = await Promise.race([srv.exited.then(() => true), sleep(2000).then(() => false)]);
  if (!done) {
    srv.child.kill('SIGKILL');
    await srv.exited;
  }
}

/** Runs `[binary, args]` (a generator) against `port`; `onEvent` gets its stderr phase events. */
export function runLoadgen(port, [binary, args], onEvent = () => {}, timeoutMs = 180000) {
  return new Promise((resolve) => {
    const child = pinned(LOADGEN_CPU, binary, ['--port', String(port), ...args]);
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        try {
          onEvent(JSON.parse(line));
        } catch {
          stderr += `${line}\n`;
        }
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      let result = null;
      try {
        result = JSON.parse(stdout.trim().split('\n').pop());
      } catch {
        result = { ok: false, error: `load generator exited (${code ?? signal}) without a result: ${stderr.trim()}` };
      }
      resolve(result);
    });
  });
}

/** One measured sample of `scenario` on server `name`. */
export async function sample(name, scenario, opts, clkTck) {
  const srv = await startServer(name, Boolean(scenario.deflate));
  const pid = srv.child.pid;
  const timers = [];
  try {
    await sleep(scenario.idle ? 1000 : 300);
    const rssBase = rss(pid);
    const w = {};
    const rssIdle = [];
    const result = await runLoadgen(srv.port, generator(scenario, name, opts), (ev) => {
      if (ev.event === 'measure-start') Object.assign(w, { c0: cpuTicks(pid), j0: cpuJiffies(), t0: performance.now() });
      if (ev.event === 'measure-end') Object.assign(w, { c1: cpuTicks(pid), j1: cpuJiffies(), t1: performance.now() });
      if (ev.event === 'ready') {
        for (const at of [0.5, 0.8]) timers.push(setTimeout(() => rssIdle.push(rss(pid)), at * opts.hold * 1000));
      }
    });
    const failure = failureOf(srv, result);
    if (failure) return { ok: false, error: failure };
    const out = { ok: true, result };
    if (w.t1 > w.t0) {
      out.server_cpu = (w.c1 - w.c0) / clkTck / ((w.t1 - w.t0) / 1000);
      out.others_cpu0 = othersShare(w.j0, w.j1, '0', out.server_cpu);
      out.others_cpu1 = othersShare(w.j0, w.j1, '1', result.client_cpu);
    }
    if (scenario.idle) {
      out.rss_base = rssBase;
      out.rss_idle = Math.max(...rssIdle);
      result.rss_per_conn = (out.rss_idle - rssBase) / scenario.idle;
    }
    out.value = result[scenario.metric];
    if (!Number.isFinite(out.value)) return { ok: false, error: `no ${scenario.metric} in the result` };
    return out;
  } finally {
    timers.forEach(clearTimeout);
    await stopServer(srv);
  }
}

function failureOf(srv, result) {
  if (!result?.ok) return `load generator: ${result?.error ?? 'no result'}`;
  if (srv.child.exitCode !== null || srv.child.signalCode !== null) {
    return `server exited during the sample: ${srv.stderr().trim()}`;
  }
  if (/DROPPED/.test(srv.stderr())) return `server reported dropped sends: ${srv.stderr().trim()}`;
  return null;
}

/** The echo checks run once per server before measuring: each kind must echo verbatim. */
const CHECKS = {
  text: [
    ['--conns', '2', '--inflight', '4', '--size', '64', '--type', 'text'],
    ['--conns', '2', '--inflight', '2', '--size', '300', '--type', 'text'],
  ],
  binary: [
    ['--conns', '2', '--inflight', '2', '--size', '70000', '--type', 'binary'],
    ['--conns', '1', '--inflight', '1', '--size', String(1 << 20), '--type', 'binary'],
  ],
  deflate: [['--conns', '2', '--inflight', '2', '--size', '64', '--type', 'text', '--deflate']],
  // ferrows-loadgen-h2: several streams on one connection, the text and binary checks above.
  h2: [
    ['--conns', '1', '--streams', '2', '--inflight', '4', '--size', '64', '--type', 'text'],
    ['--conns', '1', '--streams', '2', '--inflight', '2', '--size', '300', '--type', 'text'],
    ['--conns', '1', '--streams', '2', '--inflight', '2', '--size', '70000', '--type', 'binary'],
    ['--conns', '1', '--streams', '1', '--inflight', '1', '--size', String(1 << 20), '--type', 'binary'],
  ],
};

/** [binary, args] of one echo check of `kind` against server `name`. */
function checkCommand(name, kind, args) {
  const common = ['--warmup', '0', '--duration', '0.3'];
  if (kind !== 'h2') return [LOADGEN, [...args, ...common]];
  return [LOADGEN_H2, SERVERS[name].h2 === 'raw' ? rawArgs([...args, ...common]) : [...args, ...common]];
}

/** Runs the echo checks of `kinds` against a fresh `name`; returns kind → null or an error. */
export async function echoChecks(name, kinds) {
  const out = {};
  for (const deflate of [false, true]) {
    const mine = kinds.filter((k) => (k === 'deflate') === deflate);
    if (!mine.length) continue;
    let srv;
    try {
      srv = await startServer(name, deflate);
      for (const kind of mine) {
        out[kind] = null;
        for (const args of CHECKS[kind]) {
          const result = await runLoadgen(srv.port, checkCommand(name, kind, args), () => {}, 30000);
          const failure = failureOf(srv, result);
          if (failure) {
            out[kind] = `${args.join(' ')}: ${failure}`;
            break;
          }
        }
      }
    } catch (err) {
      for (const kind of mine) out[kind] ??= String(err.message ?? err);
    } finally {
      if (srv) await stopServer(srv);
    }
  }
  return out;
}
