/**
 * Interop over HTTP/2 (RFC 8441) with a third-party client: python-hyper's `h2` for HTTP/2 and
 * `wsproto` for the WebSocket frames (Debian python3-h2 4.1.0 and python3-wsproto 1.2.0, run by
 * the system Python; `.ci/run` installs them). `fixtures/h2_ws_client.py` runs one scenario and
 * prints what it saw as JSON; the tests check that and what the ferrows server saw. Besides
 * echo, deflate and close, it sends what Node's own client refuses to: requests without
 * `:path` or `:scheme`, with `connection`/`upgrade` headers, an extended CONNECT written before
 * the server's SETTINGS arrived, and a flood of tiny DATA frames on a paused WebSocket.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import * as http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import type { WebSocketT } from './helpers.ts';
import { h2Server, type H2Setup } from './helpers-http2.ts';

const PYTHON = process.env.FERROWS_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./fixtures/h2_ws_client.py', import.meta.url));
const { NGHTTP2_PROTOCOL_ERROR } = http2.constants;

/** What the ferrows server saw. */
interface Seen {
  setup: H2Setup;
  connections: { url: string; httpVersion: string; extensions: string; protocol: string }[];
  closes: { url: string; code: number; reason: string }[];
  /** Streams Node's http2 layer delivered (nghttp2 resets some malformed ones before that). */
  nodeStreams: http2.IncomingHttpHeaders[];
  /** Messages the paused WebSocket (`/paused`) received, and how many before 'resume'. */
  paused: string[];
  pausedBeforeResume: number | undefined;
}

/**
 * A ferrows server that echoes on every path; `/paused` is paused at once and resumed when
 * another WebSocket receives the text `resume`; `/close` is closed by the server (1001) after
 * its first message.
 */
async function interopServer(t: ExecutionContext, { tls = false, deflate = false } = {}): Promise<Seen> {
  const setup = await h2Server(t, { tls, wssOptions: { perMessageDeflate: deflate } });
  const seen: Seen = { setup, connections: [], closes: [], nodeStreams: [], paused: [], pausedBeforeResume: undefined };
  setup.server.on('stream', (_stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => seen.nodeStreams.push(headers));
  let pausedWs: WebSocketT | undefined;
  setup.wss.on('connection', (ws: WebSocketT, req: http2.Http2ServerRequest) => {
    const url = req.url;
    seen.connections.push({ url, httpVersion: req.httpVersion, extensions: ws.extensions, protocol: ws.protocol });
    ws.on('error', () => {});
    ws.on('close', (code: number, reason: Buffer) => seen.closes.push({ url, code, reason: reason.toString() }));
    if (url === '/paused') {
      pausedWs = ws;
      ws.pause();
    }
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (url === '/paused') seen.paused.push(data.toString());
      if (!isBinary && data.toString() === 'resume' && pausedWs) {
        seen.pausedBeforeResume = seen.paused.length;
        pausedWs.resume();
        return;
      }
      ws.send(data, { binary: isBinary });
      if (url === '/close') ws.close(1001, 'server going');
    });
  });
  return seen;
}

interface Fate {
  status: number | null;
  ended: boolean;
  reset: number | null;
}
type Message = { text: string } | { binary: string };
interface Output {
  error?: string;
  alpn: string | null;
  status?: number | null;
  enable_connect_protocol?: number | null;
  headers?: Record<string, string>;
  deflate?: boolean;
  messages?: Message[];
  close?: { code: number; reason: string } | null;
  fate?: Fate;
  end?: Fate;
  goaway?: { error_code: number; last_stream_id: number } | null;
  bytes_in?: number;
  bytes_out?: number;
  after?: { status?: number; messages?: Message[]; close?: { code: number; reason: string }; fate: Fate };
  settings_seen_before_request?: boolean;
  [key: string]: unknown;
}

/** Runs one scenario of the Python client against `seen`'s server. */
function client(seen: Seen, scenario: Record<string, unknown>): Promise<Output> {
  const config = { port: seen.setup.port, tls: seen.setup.origin.startsWith('https'), timeout: 25, ...scenario };
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-B', SCRIPT], { timeout: 40_000 }, (err, stdout, stderr) => {
      let out: Output;
      try {
        out = JSON.parse(stdout) as Output;
      } catch {
        const hint = /No module named/.test(stderr) ? ' (apt-get install -y python3-h2 python3-wsproto)' : '';
        return reject(new Error(`${PYTHON} ${SCRIPT} failed${hint}: ${err?.message ?? ''}\n${stdout}\n${stderr}`));
      }
      if (out.error) return reject(new Error(`the Python client failed: ${out.error}\n${stderr}`));
      resolve(out);
    });
    child.stdin!.end(JSON.stringify(config));
  });
}

const b64 = (data: Buffer): string => data.toString('base64');
const BINARY = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
const LARGE = Buffer.from(Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31 + 7) & 255));

test('h2c: echo text and binary, then a client close 4001 ends the stream cleanly', async (t) => {
  const seen = await interopServer(t);
  const messages = [{ text: 'héllo from python h2' }, { binary: b64(BINARY) }, { binary: b64(LARGE) }];
  const out = await client(seen, { scenario: 'echo', path: '/echo?x=1', messages, close: { code: 4001, reason: 'bye' } });
  t.is(out.alpn, null);
  t.is(out.enable_connect_protocol, 1, 'the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL');
  t.is(out.status, 200);
  t.is(out.headers?.['sec-websocket-accept'], undefined);
  t.deepEqual(out.messages, messages);
  t.deepEqual(out.close, { code: 4001, reason: 'bye' });
  t.deepEqual(out.fate, { status: 200, ended: true, reset: null }, 'END_STREAM, not a reset');
  t.is(out.goaway, null);
  t.deepEqual(seen.connections, [{ url: '/echo?x=1', httpVersion: '2.0', extensions: '', protocol: '' }]);
  t.deepEqual(seen.closes, [{ url: '/echo?x=1', code: 4001, reason: 'bye' }]);
});

test('TLS with ALPN h2: subprotocol chosen, echo, close 1000', async (t) => {
  const seen = await interopServer(t, { tls: true });
  const messages = [{ text: 'over tls' }, { binary: b64(BINARY) }];
  const out = await client(seen, { scenario: 'echo', path: '/tls', protocols: ['chat', 'superchat'], messages, close: { code: 1000, reason: '' } });
  t.is(out.alpn, 'h2');
  t.is(out.status, 200);
  t.is(out.headers?.['sec-websocket-protocol'], 'chat');
  t.deepEqual(out.messages, messages);
  t.deepEqual(out.close, { code: 1000, reason: '' });
  t.deepEqual(out.fate, { status: 200, ended: true, reset: null });
  t.deepEqual(seen.connections, [{ url: '/tls', httpVersion: '2.0', extensions: '', protocol: 'chat' }]);
  t.deepEqual(seen.closes, [{ url: '/tls', code: 1000, reason: '' }]);
});

test("permessage-deflate with Chromium's offer: negotiated, and both directions compressed", async (t) => {
  const seen = await interopServer(t, { tls: true, deflate: true });
  const text = 'compress me '.repeat(2000);
  const messages = [{ text }, { binary: b64(Buffer.alloc(20_000, 'z')) }];
  const out = await client(seen, { scenario: 'echo', path: '/deflate', deflate: true, messages, close: { code: 1000, reason: 'ok' } });
  t.is(out.status, 200);
  t.regex(out.headers?.['sec-websocket-extensions'] ?? '', /^permessage-deflate/);
  t.true(out.deflate, 'wsproto runs the extension');
  t.deepEqual(out.messages, messages);
  // 44 kB of payload each way; compressed, the stream carries a few hundred bytes.
  t.true(out.bytes_in! < 2000, `the server's frames were compressed (${out.bytes_in} bytes)`);
  t.true(out.bytes_out! < 2000, `wsproto's frames were compressed (${out.bytes_out} bytes)`);
  t.is(seen.connections.length, 1);
  t.is(seen.connections[0]!.httpVersion, '2.0');
  t.is(seen.connections[0]!.extensions, 'permessage-deflate');
  t.deepEqual(seen.closes, [{ url: '/deflate', code: 1000, reason: 'ok' }]);
});

test('the server closes first (1001): wsproto answers and the stream ends without a reset', async (t) => {
  const seen = await interopServer(t);
  const out = await client(seen, { scenario: 'echo', path: '/close', messages: [{ text: 'close me' }], server_closes: true });
  t.deepEqual(out.messages, [{ text: 'close me' }]);
  t.deepEqual(out.close, { code: 1001, reason: 'server going' });
  t.deepEqual(out.fate, { status: 200, ended: true, reset: null });
  t.deepEqual(seen.closes, [{ url: '/close', code: 1001, reason: 'server going' }]);
});

const malformed: [string, { drop?: string[]; add?: Record<string, string>; replace?: Record<string, string> }][] = [
  ['without :path', { drop: [':path'] }],
  ['without :scheme', { drop: [':scheme'] }],
  ['without :authority', { drop: [':authority'] }],
  ['with an empty :path', { replace: { ':path': '' } }],
  ['with an empty :scheme', { replace: { ':scheme': '' } }],
  ['with an empty :authority', { replace: { ':authority': '' } }],
  ['with connection: upgrade', { add: { connection: 'upgrade' } }],
  ['with upgrade: websocket', { add: { upgrade: 'websocket' } }],
];
for (const [name, change] of malformed) {
  test(`an extended CONNECT ${name} is malformed: RST_STREAM(PROTOCOL_ERROR), no WebSocket, the connection lives`, async (t) => {
    const seen = await interopServer(t);
    const out = await client(seen, { scenario: 'malformed', path: '/echo', ...change });
    t.deepEqual(out.fate, { status: null, ended: false, reset: NGHTTP2_PROTOCOL_ERROR });
    t.is(out.goaway, null, 'a stream error, not a connection error');
    t.deepEqual(out.after?.messages, [{ text: 'still alive' }], 'a valid WebSocket on the same connection echoes');
    t.deepEqual(seen.connections.map((c) => c.url), ['/echo'], "only the valid request became a 'connection'");
    const reachedNode = seen.nodeStreams.length === 2;
    t.log(reachedNode ? 'reset by ferrows (Node delivered the stream)' : 'reset by nghttp2 before Node saw it');
  });
}

for (const tls of [false, true]) {
  test(`${tls ? 'TLS' : 'h2c'}: an extended CONNECT written before the server's SETTINGS is handled sanely`, async (t) => {
    const seen = await interopServer(t, { tls });
    const out = await client(seen, { scenario: 'early', path: '/early' });
    t.false(out.settings_seen_before_request, 'the request left before anything was read');
    t.is(out.enable_connect_protocol, 1);
    t.is(out.goaway, null);
    const fate = out.fate!;
    if (fate.status === 200) {
      t.log('accepted: nghttp2 knows the setting it sent, acknowledged or not');
      t.deepEqual(out.messages, [{ text: 'early bird' }]);
      t.deepEqual(out.end, { status: 200, ended: true, reset: null });
      t.deepEqual(seen.connections.map((c) => [c.url, c.httpVersion]), [['/early', '2.0'], ['/early', '2.0']]);
    } else {
      t.log(`refused: ${JSON.stringify(fate)}`);
      t.is(fate.status, null);
      t.not(fate.reset, null, 'a clean reset, never a hang');
      t.is(seen.connections.length, 1);
    }
    t.deepEqual(out.after?.messages, [{ text: 'still alive' }]);
  });
}

// Each message is a 12-byte masked frame in a DATA frame of its own: 5,000 fit in the initial
// 65,535-byte stream window, 20,000 do not, and then the paused reader must hold the window shut.
const WINDOW = 65_535;
const FRAME = 12;
for (const count of [5000, 20_000]) {
  test(`${count.toLocaleString('en')} tiny DATA frames on a paused WebSocket: the connection survives, resume delivers all in order`, async (t) => {
    const seen = await interopServer(t, { tls: true });
    const out = await client(seen, { scenario: 'flood', paused_path: '/paused', echo_path: '/echo', count });
    t.log(`${out.sent_while_paused} of ${out.frames} DATA frames left while paused`);
    t.is(out.frames, count);
    const sent = out.sent_while_paused as number;
    if (count * FRAME <= WINDOW) t.is(sent, count, 'all of it fits in the window');
    else t.is(sent, Math.floor(WINDOW / FRAME), 'flow control stops the sender at the window: no WINDOW_UPDATE while paused');
    t.is(out.received_while_paused, 0, 'the paused WebSocket echoed nothing');
    t.deepEqual(out.echoed_while_paused, [{ text: 'while paused' }], 'another stream on the connection still echoes');
    t.is(seen.pausedBeforeResume, 0, 'no message was delivered while paused');
    t.is(out.received, count);
    t.true(out.in_order);
    t.is(out.first, 'm00000');
    t.is(out.last, `m${String(count - 1).padStart(5, '0')}`);
    t.is(out.goaway, null);
    t.deepEqual(out.fate_paused, { status: 200, ended: true, reset: null });
    t.deepEqual(out.fate_echo, { status: 200, ended: true, reset: null });
    t.deepEqual(seen.paused, Array.from({ length: count }, (_, i) => `m${String(i).padStart(5, '0')}`));
    t.deepEqual(seen.connections.map((c) => [c.url, c.httpVersion]), [['/paused', '2.0'], ['/echo', '2.0']]);
  });
}
