// What the suite runs: the servers under test, the scenarios, and the command-line options.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** cargo's output directory (CARGO_TARGET_DIR when set, as cargo itself does). */
const TARGET = process.env.CARGO_TARGET_DIR ? resolve(ROOT, process.env.CARGO_TARGET_DIR) : `${ROOT}target`;
export const LOADGEN = `${TARGET}/release/ferrows-loadgen`;
export const LOADGEN_H2 = `${TARGET}/release/ferrows-loadgen-h2`;
export const LIMIT = `${TARGET}/release/ferrows-limit`;
export const BUN = `${BENCH_DIR}peers/node_modules/@oven/bun-linux-x64/bin/bun`;
const SERVER_DIR = `${BENCH_DIR}servers/`;

/** Loopback source addresses used round-robin when many connections are opened. */
export const SOURCES = '127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4';

/**
 * The servers, in report order. `command(port, deflate)` gives [file, args]; `deflate: false`
 * marks a server that cannot take part in the permessage-deflate scenario. `h2` marks an HTTP/2
 * server, driven by ferrows-loadgen-h2 in the HTTP/2 scenarios only: `'ws'` speaks WebSocket
 * over HTTP/2, `'raw'` just writes back what it reads (the generator runs with `--raw`).
 */
export const SERVERS = {
  'ferrows-ws': {
    label: 'ferrows (ws API)',
    command: (port, deflate) => node('ferrows-ws.mjs', port, deflate),
  },
  'ferrows-stream': {
    label: 'ferrows (WebSocketStream)',
    command: (port, deflate) => node('ferrows-stream.mjs', port, deflate),
  },
  uws: {
    label: 'uWebSockets.js 20.30',
    command: (port, deflate) => node('uws.mjs', port, deflate),
  },
  bun: {
    label: 'Bun 1.4.4',
    command: (port, deflate) => [BUN, [`${SERVER_DIR}bun.mjs`, String(port), ...(deflate ? ['--deflate'] : [])]],
  },
  ws: {
    label: 'ws 8.23 + bufferutil',
    command: (port, deflate) => node('ws.mjs', port, deflate),
  },
  limit: {
    label: 'native limit',
    command: (port) => [LIMIT, [String(port)]],
    deflate: false,
  },
  'ferrows-h2': {
    label: 'ferrows over HTTP/2 (ws API)',
    command: (port) => node('ferrows-h2.mjs', port, false),
    deflate: false,
    h2: 'ws',
  },
  'node-h2': {
    label: 'Node http2 bare echo (ceiling)',
    command: (port) => node('node-h2-echo.mjs', port, false),
    deflate: false,
    h2: 'raw',
  },
};

/** The HTTP/1.1 server each HTTP/2 scenario also runs, as the reference row. */
export const H1_REFERENCE = 'ferrows-ws';
/** The HTTP/2 ceiling: Node's bare http2 echo of the same bytes. */
export const H2_CEILING = 'node-h2';

function node(file, port, deflate) {
  return [process.execPath, [`${SERVER_DIR}${file}`, String(port), ...(deflate ? ['--deflate'] : [])]];
}

/**
 * The scenarios. `metric` is the headline figure (`higher` says which way is better), `check`
 * the echo check the server must have passed, `loadgen(opts)` the generator's arguments.
 */
export const SCENARIOS = {
  'pipelined-64': {
    title: '64 B text, 100 conns × 16 in flight',
    unit: 'msg/s',
    metric: 'msg_per_s',
    higher: true,
    check: 'text',
    loadgen: (o) => echo(o, 100, 16, 64, 'text'),
  },
  'closed-64': {
    title: '64 B text, 100 conns × 1 (closed loop)',
    unit: 'msg/s',
    metric: 'msg_per_s',
    higher: true,
    check: 'text',
    loadgen: (o) => echo(o, 100, 1, 64, 'text'),
  },
  'latency-1': {
    title: '64 B text, 1 conn ping-pong',
    unit: 'msg/s',
    metric: 'msg_per_s',
    higher: true,
    check: 'text',
    latency: true,
    loadgen: (o) => echo(o, 1, 1, 64, 'text'),
  },
  'binary-4k': {
    title: '4 KiB binary, 100 conns × 4',
    unit: 'msg/s',
    metric: 'msg_per_s',
    higher: true,
    check: 'binary',
    loadgen: (o) => echo(o, 100, 4, 4096, 'binary'),
  },
  'binary-1m': {
    title: '1 MiB binary, 10 conns × 1',
    unit: 'msg/s',
    metric: 'msg_per_s',
    higher: true,
    check: 'binary',
    loadgen: (o) => echo(o, 10, 1, 1 << 20, 'binary'),
  },
  'idle-10k': {
    title: '10,000 idle connections: server RSS per connection',
    unit: 'B/conn',
    metric: 'rss_per_conn',
    higher: false,
    check: 'binary',
    idle: 10000,
    loadgen: (o) => [
      '--mode', 'idle', '--conns', '10000', '--hold', String(o.hold), '--type', 'binary', '--sources', SOURCES,
    ],
  },
  accept: {
    title: 'Connection rate (connect, handshake, close handshake)',
    unit: 'conn/s',
    metric: 'conn_per_s',
    higher: true,
    check: 'binary',
    loadgen: (o) => [
      '--mode', 'connect', '--concurrency', '32', '--warmup', String(Math.min(o.warmup, 0.5)),
      '--duration', String(o.duration), '--sources', SOURCES,
    ],
  },
  'deflate-64': {
    title: '64 B text, permessage-deflate, 100 conns × 1',
    unit: 'msg/s',
    metric: 'msg_per_s',
    higher: true,
    check: 'deflate',
    deflate: true,
    loadgen: (o) => [...echo(o, 100, 1, 64, 'text'), '--deflate'],
  },
};

/**
 * WebSockets over HTTP/2 (RFC 8441). `loadgen(o)` gives ferrows-loadgen-h2's arguments (plus
 * `--raw` for the bare ceiling), `h1(o)` the HTTP/1.1 generator's for the reference row
 * (`H1_REFERENCE`): the same sockets-worth of WebSockets, messages and depth, one TCP connection
 * per WebSocket.
 */
Object.assign(SCENARIOS, {
  'h2-mux-64': {
    title: 'HTTP/2: 64 B text, 1 conn × 100 streams × 16 in flight',
    unit: 'msg/s',
    metric: 'msg_per_s',
    higher: true,
    check: 'text',
    h2: true,
    goal: { ceiling: 0.9, h1: 0.5 },
    loadgen: (o) => h2echo(o, 1, 100, 16, 64, 'text'),
    h1: (o) => echo(o, 100, 16, 64, 'text'),
  },
  'h2-conns-64': {
    title: 'HTTP/2: 64 B text, 100 conns × 1 stream × 16 in flight',
    unit: 'msg/s',
    metric: 'msg_per_s',
    higher: true,
    check: 'text',
    h2: true,
    goal: { ceiling: 0.9, h1: 0.5 },
    loadgen: (o) => h2echo(o, 100, 1, 16, 64, 'text'),
    h1: (o) => echo(o, 100, 16, 64, 'text'),
  },
  'h2-binary-4k': {
    title: 'HTTP/2: 4 KiB binary, 1 conn × 100 streams × 4 in flight',
    unit: 'msg/s',
    metric: 'msg_per_s',
    higher: true,
    check: 'binary',
    h2: true,
    goal: { ceiling: 0.9 },
    loadgen: (o) => h2echo(o, 1, 100, 4, 4096, 'binary'),
    h1: (o) => echo(o, 100, 4, 4096, 'binary'),
  },
  'h2-setup': {
    title: 'HTTP/2: connection + stream setup (connect, SETTINGS, CONNECT → 200, 1 echo, close)',
    unit: 'conn/s',
    metric: 'conn_per_s',
    higher: true,
    check: 'binary',
    h2: true,
    goal: { ceiling: 0.9 },
    loadgen: (o) => [
      '--mode', 'connect', '--concurrency', '32', '--warmup', String(Math.min(o.warmup, 0.5)),
      '--duration', String(o.duration), '--sources', SOURCES,
    ],
    h1: (o) => SCENARIOS.accept.loadgen(o),
  },
});

/** The servers of `opts.servers` that scenario `sc` runs on. */
export function eligible(sc, servers) {
  const s = SCENARIOS[sc];
  if (s.h2) return servers.filter((sv) => SERVERS[sv].h2 || sv === H1_REFERENCE);
  return servers.filter((sv) => !SERVERS[sv].h2 && !(s.deflate && SERVERS[sv].deflate === false));
}

/** The echo check server `sv` must have passed before it runs scenario `sc`. */
export function checkKind(sc, sv) {
  return SERVERS[sv].h2 ? 'h2' : SCENARIOS[sc].check;
}

/** [generator binary, arguments] for `scenario` (an entry of SCENARIOS) on server `sv`. */
export function generator(scenario, sv, opts) {
  const h2 = SERVERS[sv].h2;
  if (h2) return [LOADGEN_H2, h2 === 'raw' ? rawArgs(scenario.loadgen(opts)) : scenario.loadgen(opts)];
  return [LOADGEN, (scenario.h1 ?? scenario.loadgen)(opts)];
}

/**
 * The arguments for the raw ceiling: `--raw`, and each message as many bytes as the WebSocket
 * frame a client sends for that payload (header and masking key included), so the bare echo moves
 * the same bytes through Node's http2 as the WebSocket scenario does. (Node's http2 also writes a
 * stream's pending output at once when it exceeds 4096 bytes, so a 4 KiB payload without its frame
 * header would sit just under that threshold and flatter the ceiling.)
 */
export function rawArgs(args) {
  const out = [...args, '--raw'];
  const at = out.indexOf('--size');
  if (at !== -1) {
    const size = Number(out[at + 1]);
    out[at + 1] = String(size + (size < 126 ? 2 : size < 65536 ? 4 : 10) + 4);
  }
  return out;
}

function h2echo(o, conns, streams, inflight, size, type) {
  return [
    '--mode', 'echo', '--conns', String(conns), '--streams', String(streams), '--inflight', String(inflight),
    '--size', String(size), '--type', type, '--warmup', String(o.warmup), '--duration', String(o.duration),
  ];
}

function echo(o, conns, inflight, size, type) {
  return [
    '--mode', 'echo', '--conns', String(conns), '--inflight', String(inflight), '--size', String(size),
    '--type', type, '--warmup', String(o.warmup), '--duration', String(o.duration),
  ];
}

const USAGE = `usage: npm run bench -- [--scenarios a,b] [--servers x,y] [--runs N] [--duration S]
                        [--warmup S] [--no-build] [--no-report]
       npm run bench -- --report-from benchmark/results/<file>.json   (rewrite BENCHMARKS.md and the chart only)
scenarios: ${Object.keys(SCENARIOS).join(', ')}
servers:   ${Object.keys(SERVERS).join(', ')}`;

/** Parses the command line. */
export function parseOptions(argv) {
  const o = {
    scenarios: Object.keys(SCENARIOS),
    servers: Object.keys(SERVERS),
    runs: 3,
    duration: 3,
    warmup: 1,
    hold: 3,
    build: true,
    report: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const [arg, value] = [argv[i], argv[i + 1]];
    const list = (known) => {
      i++;
      const names = String(value ?? '').split(',').filter(Boolean);
      const bad = names.filter((n) => !(n in known));
      if (bad.length || !names.length) fail(`unknown: ${bad.join(', ') || '(none given)'}`);
      return names;
    };
    const number = () => {
      i++;
      const n = Number(value);
      if (!(n > 0)) fail(`${arg} needs a positive number`);
      return n;
    };
    if (arg === '--scenarios') o.scenarios = list(SCENARIOS);
    else if (arg === '--servers') o.servers = list(SERVERS);
    else if (arg === '--runs') o.runs = Math.round(number());
    else if (arg === '--duration') o.duration = number();
    else if (arg === '--warmup') o.warmup = number();
    else if (arg === '--no-build') o.build = false;
    else if (arg === '--no-report') o.report = false;
    else if (arg === '--report-from') o.reportFrom = argv[++i] ?? fail('--report-from needs a results file');
    else if (arg === '--help' || arg === '-h') fail('');
    else fail(`unknown option ${arg}`);
  }
  o.servers = Object.keys(SERVERS).filter((s) => o.servers.includes(s));
  o.scenarios = Object.keys(SCENARIOS).filter((s) => o.scenarios.includes(s));
  return o;
}

function fail(message) {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
