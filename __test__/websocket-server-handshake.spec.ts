/**
 * The server-side opening handshake, byte for byte (ws-api.md SM6–SM8 and bad-inputs.md §A,
 * A1–A11): validation order, status codes and bodies, the error and 101 response formats, and
 * malformed or hostile requests. Expected values are what ws 8.23 answers to the same bytes.
 */
import test from 'ava';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { acceptFor, delay, frame, rawUpgrade, shutdown, WebSocket, WebSocketServer, type RawPeer, type ServerT } from './helpers.ts';
import { memory } from './helpers-protocol.ts';
import { connectRaw, echo, exchange, header, rejectFor, serve, stillServes, upgradeRequest } from './helpers-server.ts';

type Req = Parameters<typeof upgradeRequest>[1];
const BODY = {
  method: 'Invalid HTTP method',
  upgrade: 'Invalid Upgrade header',
  key: 'Missing or invalid Sec-WebSocket-Key header',
  version: 'Missing or invalid Sec-WebSocket-Version header',
  protocol: 'Invalid Sec-WebSocket-Protocol header',
  extensions: 'Invalid or unacceptable Sec-WebSocket-Extensions header',
} as const;

/** An external HTTP server (optionally with a large header cap) carrying `wss`; closed at teardown. */
async function serverMode(
  t: { teardown(fn: () => void): void },
  options: Record<string, unknown> = {},
  httpOptions: http.ServerOptions = {},
): Promise<{ wss: ServerT; port: number; url: string }> {
  const server = http.createServer(httpOptions);
  const wss = new WebSocketServer({ server, ...options });
  t.teardown(() => {
    for (const ws of wss.clients!) ws.terminate();
    wss.close();
    server.close();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { wss, port, url: `ws://127.0.0.1:${port}` };
}

test('SM7: an error response is status line, Connection, Content-Type, Content-Length, body; then the socket ends', async (t) => {
  const { wss, port } = await serve(t);
  const res = await rejectFor(port, { method: 'POST' });
  t.is(res.raw, 'HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 19\r\n\r\nInvalid HTTP method');
  const version = await rejectFor(port, { headers: { 'Sec-WebSocket-Version': '12' } });
  t.is(
    version.raw,
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 47\r\n' +
      'Sec-WebSocket-Version: 13, 8\r\n\r\nMissing or invalid Sec-WebSocket-Version header',
  );
  await shutdown(wss);
});

test('SM8: the 101 is status line, Upgrade, Connection, Accept, then Protocol, then Extensions', async (t) => {
  const { wss, port } = await serve(t, { perMessageDeflate: true });
  const plain = await rawUpgrade(port);
  t.is(plain.head, `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(plain.key)}`);
  plain.peer.socket.destroy();
  const full = await rawUpgrade(port, { headers: { 'Sec-WebSocket-Protocol': 'chat', 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } });
  t.is(
    full.head,
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptFor(full.key)}\r\nSec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate`,
  );
  full.peer.socket.destroy();
  await shutdown(wss);
});

const rejections: [string, Req, number, string][] = [
  // A1
  ['POST', { method: 'POST' }, 405, BODY.method],
  ['PUT', { method: 'PUT' }, 405, BODY.method],
  // A2
  ['Upgrade: h2c', { headers: { Upgrade: 'h2c' } }, 400, BODY.upgrade],
  ['Upgrade: websocket, foo', { headers: { Upgrade: 'websocket, foo' } }, 400, BODY.upgrade],
  // A4
  ['no Sec-WebSocket-Key', { headers: { 'Sec-WebSocket-Key': null } }, 400, BODY.key],
  ['a key without padding', { headers: { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ' } }, 400, BODY.key],
  ['a key of 15 bytes', { headers: { 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAA' } }, 400, BODY.key],
  ['a key of 17 bytes', { headers: { 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAAAAA=' } }, 400, BODY.key],
  ['a key with a non-base64 character', { headers: { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZ!==' } }, 400, BODY.key],
  // A5
  ['no Sec-WebSocket-Version', { headers: { 'Sec-WebSocket-Version': null } }, 400, BODY.version],
  ['version 12', { headers: { 'Sec-WebSocket-Version': '12' } }, 400, BODY.version],
  ['version "13, 8"', { headers: { 'Sec-WebSocket-Version': '13, 8' } }, 400, BODY.version],
  ['two version headers', { extraLines: ['Sec-WebSocket-Version: 13'] }, 400, BODY.version],
  // SM6 subprotocols
  ['protocol "a,,b"', { headers: { 'Sec-WebSocket-Protocol': 'a,,b' } }, 400, BODY.protocol],
  ['protocol "a b"', { headers: { 'Sec-WebSocket-Protocol': 'a b' } }, 400, BODY.protocol],
  ['a duplicate protocol', { headers: { 'Sec-WebSocket-Protocol': 'a, a' } }, 400, BODY.protocol],
  ['a trailing comma in protocols', { headers: { 'Sec-WebSocket-Protocol': 'a,' } }, 400, BODY.protocol],
  ['an empty protocol header', { headers: { 'Sec-WebSocket-Protocol': '' } }, 400, BODY.protocol],
  ['a quoted protocol', { headers: { 'Sec-WebSocket-Protocol': '"a"' } }, 400, BODY.protocol],
  // A11 (deflate enabled)
  ['server_max_window_bits=7', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=7' } }, 400, BODY.extensions],
  ['server_max_window_bits=16', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=16' } }, 400, BODY.extensions],
  ['server_max_window_bits=abc', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=abc' } }, 400, BODY.extensions],
  ['server_max_window_bits without value', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits' } }, 400, BODY.extensions],
  ['client_max_window_bits=7', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits=7' } }, 400, BODY.extensions],
  ['a duplicate deflate parameter', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover; server_no_context_takeover' } }, 400, BODY.extensions],
  ['an unknown deflate parameter', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; foo=1' } }, 400, BODY.extensions],
  ['a value on server_no_context_takeover', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover=1' } }, 400, BODY.extensions],
  ['a bad second offer', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate, permessage-deflate; server_max_window_bits=7' } }, 400, BODY.extensions],
  ['an empty extensions header', { headers: { 'Sec-WebSocket-Extensions': '' } }, 400, BODY.extensions],
  ['a dangling semicolon', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate;' } }, 400, BODY.extensions],
  ['an unclosed quoted value', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits="10' } }, 400, BODY.extensions],
  ['a __proto__ deflate parameter', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; __proto__' } }, 400, BODY.extensions],
];

test('A1/A2/A4/A5/A11 and SM6: each malformed upgrade gets its status and body (deflate on)', async (t) => {
  const { wss, port, url } = await serve(t, { perMessageDeflate: true });
  echo(wss);
  wss.on('connection', () => t.fail('unexpected connection'));
  const results = await Promise.all(rejections.map(([, req]) => rejectFor(port, req)));
  rejections.forEach(([name, , status, body], i) => {
    const res = results[i]!;
    t.is(res.status, status, name);
    t.is(res.body, body, name);
    t.is(header(res, 'Content-Length'), String(body.length), name);
    t.is(header(res, 'Sec-WebSocket-Version'), body === BODY.version ? '13, 8' : undefined, name);
  });
  wss.removeAllListeners('connection');
  echo(wss);
  t.is(await stillServes(url), 'ping?');
  await shutdown(wss);
});

const acceptances: [string, Req, RegExp][] = [
  ['Upgrade: WebSocket (any case)', { headers: { Upgrade: 'WebSocket' } }, /^HTTP\/1\.1 101 /],
  ['Connection: keep-alive, Upgrade', { headers: { Connection: 'keep-alive, Upgrade' } }, /^HTTP\/1\.1 101 /],
  ['Connection: keep-alive,upgrade', { headers: { Connection: 'keep-alive,upgrade' } }, /^HTTP\/1\.1 101 /],
  ['Connection: UPGRADE', { headers: { Connection: 'UPGRADE' } }, /^HTTP\/1\.1 101 /],
  ['version 8', { headers: { 'Sec-WebSocket-Version': '8' } }, /^HTTP\/1\.1 101 /],
  ['version 013 (numeric conversion, as ws)', { headers: { 'Sec-WebSocket-Version': '013' } }, /^HTTP\/1\.1 101 /],
  ['an HTTP/1.0 request line (not checked, as ws)', {}, /^HTTP\/1\.1 101 /],
  ['two protocol headers (Node keeps the last)', { headers: { 'Sec-WebSocket-Protocol': 'a' }, extraLines: ['Sec-WebSocket-Protocol: b'] }, /\r\nSec-WebSocket-Protocol: b$/],
  ['client_max_window_bits without value', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } }, /\r\nSec-WebSocket-Extensions: permessage-deflate$/],
  ['a quoted client_max_window_bits', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits="10"' } }, /\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10$/],
  ['an unknown extension (declined)', { headers: { 'Sec-WebSocket-Extensions': 'x-foo; bar' } }, /Sec-WebSocket-Accept: \S+$/],
  ['two offers (the first acceptable wins)', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=10, permessage-deflate' } }, /\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10$/],
];

test('accepted variants: case-insensitive tokens, version 8, deflate parameters, declined extensions', async (t) => {
  const { wss, port } = await serve(t, { perMessageDeflate: true });
  for (const [name, req, expected] of acceptances) {
    let bytes = upgradeRequest(port, req);
    if (name.startsWith('an HTTP/1.0')) bytes = bytes.replace(' HTTP/1.1\r\n', ' HTTP/1.0\r\n');
    const peer = await connectRaw(port, bytes);
    const head = await peer.readHead();
    t.regex(head, expected, name);
    peer.socket.destroy();
  }
  await shutdown(wss);
});

test('deflate off: Sec-WebSocket-Extensions is not parsed, so a bad offer still upgrades', async (t) => {
  const { wss, port } = await serve(t);
  const { peer, head } = await rawUpgrade(port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=7;;' } });
  t.regex(head, /^HTTP\/1\.1 101 /);
  t.notRegex(head, /extensions/i);
  peer.socket.destroy();
  await shutdown(wss);
});

test('SM6 order: method, Upgrade, key, version, path, protocol, extensions, verifyClient, 503', async (t) => {
  const { wss, port } = await serve(t, { path: '/ws', perMessageDeflate: true, verifyClient: () => false });
  const badExt = { 'Sec-WebSocket-Extensions': 'permessage-deflate; foo' };
  const steps: [Req, number, string][] = [
    [{ method: 'POST', path: '/x', headers: { Upgrade: 'foo', 'Sec-WebSocket-Key': 'x', 'Sec-WebSocket-Version': '1' } }, 405, BODY.method],
    [{ path: '/x', headers: { Upgrade: 'foo', 'Sec-WebSocket-Key': 'x', 'Sec-WebSocket-Version': '1' } }, 400, BODY.upgrade],
    [{ path: '/x', headers: { 'Sec-WebSocket-Key': 'x', 'Sec-WebSocket-Version': '1' } }, 400, BODY.key],
    [{ path: '/x', headers: { 'Sec-WebSocket-Version': '1', 'Sec-WebSocket-Protocol': ',' } }, 400, BODY.version],
    [{ path: '/x', headers: { 'Sec-WebSocket-Protocol': ',', ...badExt } }, 400, 'Bad Request'],
    [{ path: '/ws', headers: { 'Sec-WebSocket-Protocol': ',', ...badExt } }, 400, BODY.protocol],
    [{ path: '/ws', headers: badExt }, 400, BODY.extensions],
    [{ path: '/ws' }, 401, 'Unauthorized'],
  ];
  for (const [req, status, body] of steps) {
    const res = await rejectFor(port, req);
    t.is(res.status, status, body);
    t.is(res.body, body);
  }
  await shutdown(wss);
  const closed = new WebSocketServer({ noServer: true, verifyClient: () => false });
  await new Promise((resolve) => closed.close(resolve));
  const server2 = http.createServer();
  t.teardown(() => void server2.close());
  server2.on('upgrade', (req, socket, head) => closed.handleUpgrade(req, socket, head, () => t.fail('upgraded')));
  server2.listen(0, '127.0.0.1');
  await once(server2, 'listening');
  t.is((await rejectFor((server2.address() as AddressInfo).port)).status, 401, 'verifyClient runs before the 503 check');
});

test('A3: Connection without an upgrade token is a plain request and gets 426 in port mode', async (t) => {
  const { wss, port } = await serve(t);
  wss.on('connection', () => t.fail('unexpected connection'));
  for (const connection of ['keep-alive', 'close', 'upgradex', 'keep-alive, upgrade-later', null]) {
    const peer = await connectRaw(port, upgradeRequest(port, { headers: { Connection: connection } }));
    const head = await peer.readHead();
    t.is(head.split('\r\n')[0], 'HTTP/1.1 426 Upgrade Required', String(connection));
    t.regex(head, /\r\nContent-Type: text\/plain\r\n/);
    t.regex(head, /\r\nContent-Length: 16(\r\n|$)/);
    peer.socket.destroy();
  }
  const noUpgrade = await rejectFor(port, { headers: { Upgrade: null, Connection: 'close' } });
  t.is(noUpgrade.status, 426, 'A2: without an Upgrade header Node reports no upgrade at all');
  t.is(noUpgrade.body, 'Upgrade Required');
  await shutdown(wss);
});

test('A6: a header flood that pushes Upgrade past maxHeadersCount gets 400 and the server keeps serving', async (t) => {
  const { wss, port, url } = await serve(t);
  echo(wss);
  const flood = Array.from({ length: 2001 }, (_, i) => `x${i}: 1`);
  const hidden = await exchange(port, upgradeRequest(port, { extraLines: flood }));
  t.is(hidden.status, 400);
  t.is(hidden.body, BODY.upgrade);
  const request = upgradeRequest(port);
  const late = await connectRaw(port, request.slice(0, -2) + flood.join('\r\n') + '\r\n\r\n');
  t.regex(await late.readHead(), /^HTTP\/1\.1 101 /, 'headers after the cap are dropped, the rest is valid');
  late.socket.destroy();
  t.is(await stillServes(url), 'ping?');
  await shutdown(wss);
});

test("A6: a header section over Node's byte cap gets 431 from Node and the server keeps serving", async (t) => {
  const { wss, port, url } = await serve(t);
  echo(wss);
  const res = await exchange(port, upgradeRequest(port, { headers: { 'X-Big': 'a'.repeat(20000) } }));
  t.is(res.status, 431);
  const many = await exchange(port, upgradeRequest(port, { extraLines: Array.from({ length: 3000 }, (_, i) => `h${i}: ${'v'.repeat(8)}`) }));
  t.is(many.status, 431);
  t.is(await stillServes(url), 'ping?');
  await shutdown(wss);
});

test('A7: pathological subprotocol values are rejected or handled without a crash', async (t) => {
  const seen: string[][] = [];
  const { wss, port, url } = await serverMode(
    t,
    { handleProtocols: (set: Set<string>) => (seen.push([...set].slice(0, 2)), [...set][0]!) },
    { maxHeaderSize: 4 << 20 },
  );
  echo(wss);
  const spaces = ' '.repeat(100_000);
  t.is((await rejectFor(port, { headers: { 'Sec-WebSocket-Protocol': spaces } })).body, BODY.protocol);
  const cases: [string, string][] = [
    [`a${spaces},b`, 'a'],
    ['__proto__, constructor', '__proto__'],
    [Array.from({ length: 100_000 }, (_, i) => `p${i}`).join(','), 'p0'],
  ];
  for (const [value, chosen] of cases) {
    const { peer, head } = await rawUpgrade(port, { headers: { 'Sec-WebSocket-Protocol': value } });
    t.true(head.endsWith(`\r\nSec-WebSocket-Protocol: ${chosen}`), chosen);
    peer.socket.destroy();
  }
  t.deepEqual(seen[1], ['__proto__', 'constructor']);
  t.is(await stillServes(url), 'ping?');
});

test('A7: pathological extension values are rejected or declined without a crash', async (t) => {
  const { wss, port, url } = await serverMode(t, { perMessageDeflate: true }, { maxHeaderSize: 4 << 20 });
  echo(wss);
  const rejected = [
    ' '.repeat(100_000),
    `foo; bar="${'\\\\'.repeat(20_000)}`,
    `permessage-deflate; ${'a'.repeat(1 << 20)}`,
    `permessage-deflate; client_max_window_bits="${'\\"'.repeat(10_000)}`,
  ];
  for (const value of rejected) {
    const res = await rejectFor(port, { headers: { 'Sec-WebSocket-Extensions': value } });
    t.is(res.status, 400, value.slice(0, 30));
    t.is(res.body, BODY.extensions);
  }
  const declinedOrAccepted: [string, string | undefined][] = [
    [`permessage-deflate${' '.repeat(100_000)}`, 'permessage-deflate'],
    ['__proto__; constructor=1, permessage-deflate', 'permessage-deflate'],
    ['constructor, toString; valueOf', undefined],
  ];
  for (const [value, expected] of declinedOrAccepted) {
    const { peer, head } = await rawUpgrade(port, { headers: { 'Sec-WebSocket-Extensions': value } });
    const got = /\r\nSec-WebSocket-Extensions: (.*)$/m.exec(head)?.[1];
    t.is(got, expected, value.slice(0, 30));
    peer.socket.destroy();
  }
  t.is(await stillServes(url), 'ping?');
});

/**
 * Milliseconds `run` takes on this thread, after a full GC and a pause for V8's background
 * sweeping, so that no run pays for (or competes with) collecting the garbage of the one before.
 */
async function timed(run: () => unknown): Promise<number> {
  memory();
  await delay(2);
  const started = performance.now();
  run();
  return performance.now() - started;
}

/**
 * `best(large) / best(small)` over seven alternating runs each (as crates/core's timing::growth:
 * the best run is the one least disturbed by the rest of a loaded machine); times under 0.5 ms
 * are noise and count as 0.5 ms.
 */
async function growth(small: () => unknown, large: () => unknown): Promise<number> {
  let bestSmall = Infinity;
  let bestLarge = Infinity;
  for (let i = 0; i < 7; i++) {
    bestSmall = Math.min(bestSmall, await timed(small));
    bestLarge = Math.min(bestLarge, await timed(large));
    if (bestLarge > 5000) break; // one run is enough to show a quadratic step
  }
  return Math.max(bestLarge, 0.5) / Math.max(bestSmall, 0.5);
}

/** The A7 shapes at about `n` bytes: [label, Sec-WebSocket-Protocol or -Extensions value]. */
const pathologicalProtocols = (n: number): [string, string][] => [
  ['spaces', ' '.repeat(n)],
  ['a<spaces>,b', `a${' '.repeat(n)},b`],
  ['p0,p1,…', Array.from({ length: n / 8 }, (_, i) => `p${i}`).join(',')],
  ['__proto__, constructor, …', Array.from({ length: n / 8 }, (_, i) => (i % 2 ? `constructor${i}` : `__proto__${i}`)).join(', ')],
  ['duplicates', 'a,'.repeat(n / 2) + 'a'],
];
const pathologicalExtensions = (n: number): [string, string][] => [
  ['spaces', ' '.repeat(n)],
  ['unclosed \\\\', `foo; bar="${'\\\\'.repeat(n / 2)}`],
  ['unclosed \\x', `a; b="${'\\x'.repeat(n / 2)}`],
  ['closed \\x', `a; b="${'\\x'.repeat(n / 2)}"`],
  ['long param', `permessage-deflate; ${'a'.repeat(n)}`],
  ['escaped quotes', `permessage-deflate; client_max_window_bits="${'\\"'.repeat(n / 2)}`],
  ['trailing spaces', `permessage-deflate${' '.repeat(n)}`],
  ['__proto__ params', `a${'; __proto__=1'.repeat(n / 13)}`],
  ['constructor offers', `a${', constructor'.repeat(n / 13)}, permessage-deflate`],
  ['permessage-deflate offers', Array.from({ length: n / 20 }, () => 'permessage-deflate').join(', ')],
];

// A7 asks for linear time. The Rust core checks its extension parser (crates/core
// handshake/extensions_tests.rs); this checks what the server runs on the header value from
// JavaScript: the subprotocol parser and Set, the permessage-deflate negotiation (parse + choose),
// and the exported `subprotocol.parse` / `extension.parse` helpers (which also build JS objects).
// 32× the input: a quadratic step grows by 1,024× or more. A linear one grows by more than 32×
// on V8 once hundreds of thousands of strings and Set entries leave the caches (here `new Set` of
// 262,144 existing strings alone grew 26× for 16×, the p0,p1,… shape up to 100× for 32×, and a
// loaded CI machine once doubled such a ratio), so the bound is 320×: ten times linear, a third
// of quadratic.
test('A7: handling pathological protocol and extension values takes linear time', async (t) => {
  const N = 1 << 15;
  const guard = (run: () => unknown) => () => {
    try {
      return run();
    } catch (err) {
      return err;
    }
  };
  const check = async (what: string, small: string, large: string, run: (value: string) => unknown): Promise<void> => {
    const ratio = await growth(guard(() => run(small)), guard(() => run(large)));
    t.log(`${what}: ${ratio.toFixed(1)}x for 32x input`);
    t.true(ratio < 320, `${what} grew ${ratio.toFixed(1)}x for 32x input`);
  };
  const protocols = pathologicalProtocols(N).map((p, i) => [p[0], p[1], pathologicalProtocols(32 * N)[i]![1]] as const);
  for (const [label, small, large] of protocols) {
    await check(`subprotocol.parse ${label}`, small, large, (v) => WebSocket.subprotocol.parse(v));
  }
  const PMD = WebSocket.PerMessageDeflate as unknown as new (o: object) => { _acceptOffers(h: string): boolean };
  const extensions = pathologicalExtensions(N).map((p, i) => [p[0], p[1], pathologicalExtensions(32 * N)[i]![1]] as const);
  for (const [label, small, large] of extensions) {
    await check(`extension.parse ${label}`, small, large, (v) => WebSocket.extension.parse(v));
    await check(`permessage-deflate negotiation ${label}`, small, large, (v) => new PMD({ isServer: true })._acceptOffers(v));
  }
});

/** A8/A9 deadline for the tests: short, so each case takes well under a second. */
const DEADLINE = 400;
/** How late after the deadline a drop may come (timer jitter, a loaded 2-core CI machine). */
const SLACK = 600;

/** Milliseconds from `since` until the server closes `peer` (rejects after `limit` ms). */
async function droppedAfter(peer: RawPeer, since: number, limit = DEADLINE + SLACK + 2000): Promise<number> {
  if (peer.socket.destroyed) return Date.now() - since;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${limit} ms`)), limit);
    peer.socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return Date.now() - since;
}

/** Open descriptors of this process (client and server ends both live here). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test.serial('A9: a connection that sends nothing is dropped at upgradeTimeout and its fds are released', async (t) => {
  const before = openFds();
  const { wss, url, port } = await serve(t, { upgradeTimeout: DEADLINE });
  echo(wss);
  const baseline = openFds();
  const start = Date.now();
  const silent = await Promise.all(Array.from({ length: 50 }, () => connectRaw(port)));
  t.teardown(() => silent.forEach((peer) => peer.socket.destroy()));
  t.true(openFds() >= baseline + 50, 'the silent sockets hold descriptors while open');
  // Others are served while the silent ones wait.
  t.is(await stillServes(url), 'ping?');
  const times = await Promise.all(silent.map((peer) => droppedAfter(peer, start)));
  t.log(`silent sockets dropped after ${Math.min(...times)}–${Math.max(...times)} ms (deadline ${DEADLINE} ms)`);
  for (const ms of times) {
    t.true(ms >= DEADLINE - 50, `dropped too early: ${ms} ms`);
    t.true(ms <= DEADLINE + SLACK, `dropped too late: ${ms} ms`);
  }
  for (const peer of silent) t.is((await peer.readToEnd()).length, 0, 'dropped without an answer');
  t.is(await stillServes(url), 'ping?');
  // Every descriptor comes back: the server's ends too, not only ours.
  const deadline = Date.now() + 2000;
  while (openFds() > baseline && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(openFds(), baseline);
  await shutdown(wss);
  t.is(openFds(), before);
});

test('A8: headers trickled one byte every 50 ms are dropped at upgradeTimeout although bytes keep coming', async (t) => {
  const { wss, url, port } = await serve(t, { upgradeTimeout: DEADLINE });
  echo(wss);
  let connected = false;
  wss.on('connection', () => (connected = true));
  const request = Buffer.from(upgradeRequest(port), 'latin1');
  const start = Date.now();
  const peer = await connectRaw(port);
  t.teardown(() => peer.socket.destroy());
  let sent = 0;
  const drip = setInterval(() => {
    if (peer.socket.destroyed || sent >= request.length) return;
    peer.socket.write(request.subarray(sent, sent + 1));
    sent++;
  }, 50);
  t.teardown(() => clearInterval(drip));
  const ms = await droppedAfter(peer, start);
  clearInterval(drip);
  t.log(`trickled head dropped after ${ms} ms, ${sent} of ${request.length} bytes sent`);
  t.true(ms >= DEADLINE - 50 && ms <= DEADLINE + SLACK, `dropped after ${ms} ms`);
  t.true(sent >= 4 && sent < request.length, `the drip was still going: ${sent} bytes`);
  t.false(connected);
  t.is(await stillServes(url), 'ping?');
});

test('A8: a client that sends part of the request and stops is dropped at upgradeTimeout', async (t) => {
  const { wss, url, port } = await serve(t, { upgradeTimeout: DEADLINE });
  echo(wss);
  const full = upgradeRequest(port);
  const start = Date.now();
  // Request line and some headers, never the blank line that ends the head.
  const peer = await connectRaw(port, full.slice(0, full.indexOf('Sec-WebSocket-Key')));
  t.teardown(() => peer.socket.destroy());
  const ms = await droppedAfter(peer, start);
  t.log(`unfinished head dropped after ${ms} ms`);
  t.true(ms >= DEADLINE - 50 && ms <= DEADLINE + SLACK, `dropped after ${ms} ms`);
  t.is((await peer.readToEnd()).length, 0);
  t.is(await stillServes(url), 'ping?');
});

test('A8: the deadline ends at the upgrade: a WebSocket stays open well past it, an async verifyClient may take longer', async (t) => {
  const { wss, url } = await serve(t, {
    upgradeTimeout: DEADLINE,
    verifyClient: (_info: unknown, cb: (ok: boolean) => void) => setTimeout(() => cb(true), DEADLINE * 2),
  });
  echo(wss);
  const client = new WebSocket(url);
  client.on('error', () => {});
  let closed = false;
  client.on('close', () => (closed = true));
  await once(client, 'open');
  await new Promise((r) => setTimeout(r, DEADLINE * 3));
  t.false(closed);
  t.is(client.readyState, WebSocket.OPEN);
  client.send('still here');
  const [data] = (await once(client, 'message')) as [Buffer];
  t.is(data.toString(), 'still here');
  client.close();
  await once(client, 'close');
});

test('A9: upgradeTimeout 0 turns the deadline off; a bad value is a TypeError', async (t) => {
  const { port } = await serve(t, { upgradeTimeout: 0 });
  const peer = await connectRaw(port);
  t.teardown(() => peer.socket.destroy());
  await new Promise((r) => setTimeout(r, DEADLINE + SLACK));
  t.false(peer.ended);
  peer.socket.destroy();
  for (const bad of [-1, Number.NaN, '1000', true]) {
    t.throws(() => new WebSocketServer({ noServer: true, upgradeTimeout: bad as number }), { instanceOf: TypeError }, String(bad));
  }
});

test("A8/A9 server mode: the README's settings on the user's server drop silent and trickling peers, not WebSockets", async (t) => {
  const { wss, port, url } = await serverMode(t, {}, { connectionsCheckingInterval: 100 });
  const server = (wss as unknown as { _server: http.Server })._server;
  server.headersTimeout = DEADLINE;
  server.requestTimeout = DEADLINE;
  server.timeout = DEADLINE;
  echo(wss);
  const client = new WebSocket(url);
  client.on('error', () => {});
  await once(client, 'open');
  const start = Date.now();
  const silent = await connectRaw(port);
  const partial = await connectRaw(port, 'GET / HTTP/1.1\r\nHost: x\r\n');
  t.teardown(() => [silent, partial].forEach((peer) => peer.socket.destroy()));
  const [silentMs, partialMs] = await Promise.all([droppedAfter(silent, start), droppedAfter(partial, start)]);
  t.log(`server mode: silent dropped after ${silentMs} ms, unfinished head after ${partialMs} ms`);
  t.true(silentMs <= DEADLINE + SLACK && partialMs <= DEADLINE + SLACK);
  await new Promise((r) => setTimeout(r, DEADLINE * 2));
  t.is(client.readyState, WebSocket.OPEN);
  client.close();
  await once(client, 'close');
});

test('A8/A9: the default upgradeTimeout is the documented 10 s', async (t) => {
  const { wss } = await serve(t);
  t.is(wss.options.upgradeTimeout, 10_000);
  const docs = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');
  const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*upgradeTimeout\?/.exec(docs)?.[1] ?? '';
  t.regex(doc, /Default `10000`/);
});

test('A10: frames in the same write as the upgrade request are processed, not lost', async (t) => {
  const { wss, port } = await serve(t);
  const got: [string, boolean][] = [];
  const closed = new Promise<number>((resolve) =>
    wss.on('connection', (ws) => {
      ws.on('message', (data: Buffer, isBinary: boolean) => got.push([data.toString('hex'), isBinary]));
      ws.on('close', resolve);
    }),
  );
  const frames = Buffer.concat([frame(1, 'early text'), frame(9, 'early ping'), frame(2, Buffer.from([1, 2, 3])), frame(8, Buffer.from([0x03, 0xe8]))]);
  const { peer } = await rawUpgrade(port, { extra: frames });
  const code = await closed;
  t.deepEqual(got, [
    [Buffer.from('early text').toString('hex'), false],
    ['010203', true],
  ]);
  t.is(code, 1000);
  const pong = await peer.readFrame();
  t.is(pong.opcode, 10);
  t.is(pong.payload.toString(), 'early ping');
  t.deepEqual(await peer.readClose(), { code: 1000, reason: '' });
  await peer.waitClosed();
  await shutdown(wss);
});

test('a connection terminated inside the connection listener still received its 101', async (t) => {
  const { wss, port } = await serve(t);
  wss.on('connection', (ws) => {
    ws.send('bye');
    ws.terminate();
  });
  const { peer, head } = await rawUpgrade(port);
  t.regex(head, /^HTTP\/1\.1 101 /);
  const rest = await peer.readToEnd();
  t.is(rest.toString('hex'), '8103627965', 'the frame queued before terminate() is flushed, as ws does');
  await shutdown(wss);
});
