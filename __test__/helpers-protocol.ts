/**
 * Test support for the protocol-error, framing, closing, limits and process-safety suites: one of our
 * endpoints (server or client role) wired to a raw peer over a real loopback socket, with every
 * application event recorded in order.
 */
import type { ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as tls from 'node:tls';
import { Worker } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import {
  acceptFor,
  delay,
  frame,
  listen,
  next,
  RawPeer,
  rawUpgrade,
  shutdown,
  WebSocket,
  type FrameSpec,
  type ServerT,
  type WireFrame,
  type WebSocketT,
} from './helpers.ts';
import { connectTls, listenTls, selfSignedCert } from './helpers-transports.ts';

export type Role = 'server' | 'client';
export const ROLES: Role[] = ['server', 'client'];

/** What the application saw, in order. */
export interface Observed {
  /** `message:<t|b>:<len>`, `ping:<len>`, `pong:<len>`, `error:<code>`, `close:<code>`. */
  events: string[];
  errors: Error[];
  messages: { data: Buffer; isBinary: boolean }[];
  pings: Buffer[];
  /** Resolves with the 'close' arguments. */
  closed: Promise<{ code: number; reason: Buffer }>;
  closeCount: () => number;
}

/**
 * Records every event of `ws`; an 'error' listener is attached unless `withErrorListener` is false.
 * With `keepData` false, messages are recorded without their bytes (for tests that measure memory).
 */
export function observe(ws: WebSocketT, withErrorListener = true, keepData = true): Observed {
  const events: string[] = [];
  const errors: Error[] = [];
  const messages: { data: Buffer; isBinary: boolean }[] = [];
  const pings: Buffer[] = [];
  let closes = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    messages.push({ data: keepData ? Buffer.from(data) : Buffer.alloc(0), isBinary });
    events.push(`message:${isBinary ? 'b' : 't'}:${data.length}`);
  });
  ws.on('ping', (data: Buffer) => {
    pings.push(Buffer.from(data));
    events.push(`ping:${data.length}`);
  });
  ws.on('pong', (data: Buffer) => events.push(`pong:${data.length}`));
  if (withErrorListener) {
    ws.on('error', (err: Error) => {
      errors.push(err);
      events.push(`error:${(err as Error & { code?: string }).code}`);
    });
  }
  const closed = new Promise<{ code: number; reason: Buffer }>((resolve) => {
    ws.on('close', (code: number, reason: Buffer) => {
      closes++;
      events.push(`close:${code}`);
      resolve({ code, reason });
    });
  });
  return { events, errors, messages, pings, closed, closeCount: () => closes };
}

/** Options for {@link connect}. */
export interface ConnectOptions {
  /** Options for our WebSocketServer (server role) or our WebSocket client (client role). */
  options?: Record<string, unknown>;
  /** Negotiate permessage-deflate: `true` (no parameters) or the extension header value to offer/accept. */
  deflate?: boolean | string;
  /** Attach an 'error' listener (default true). */
  errorListener?: boolean;
  /** Keep a copy of each received message (default true). */
  keepData?: boolean;
  /** The implementation under test (default ferrows; the real `ws` to check a fact against it). */
  impl?: typeof WebSocket;
  /**
   * Over TLS: our server on an https.Server and a TLS peer, or our client on `wss:` to a TLS peer
   * (JS-owned sockets on both sides). Default plain TCP (native driver).
   */
  tls?: boolean;
}

/** Our endpoint (`ws`) and the raw peer on the other end of a loopback TCP connection. */
export interface Conn {
  role: Role;
  ws: WebSocketT;
  peer: RawPeer;
  seen: Observed;
  /** A frame as the peer must send it: masked towards our server, unmasked towards our client. */
  frame(opcode: number, payload?: Buffer | string, spec?: FrameSpec): Buffer;
  /** A frame with the wrong masking for the peer's role. */
  badMaskFrame(opcode: number, payload?: Buffer | string): Buffer;
  /** Whether frames our endpoint writes must be masked. */
  ourMask: boolean;
  /** Reads the next frame; on a timeout the error says how far the transfer got. */
  read(ms?: number): Promise<WireFrame>;
  /** Tears everything down (idempotent; register it with `t.teardown`). */
  close(): Promise<void>;
}

/** Connects one of our endpoints in `role` to a raw peer. */
export async function connect(role: Role, { options = {}, deflate = false, errorListener = true, keepData = true, impl = WebSocket, tls = false }: ConnectOptions = {}): Promise<Conn> {
  return role === 'server'
    ? connectServer(impl, options, deflate, errorListener, keepData, tls)
    : connectClient(impl, options, deflate, errorListener, keepData, tls);
}

function extensionValue(deflate: boolean | string): string | undefined {
  return deflate === false ? undefined : deflate === true ? 'permessage-deflate' : deflate;
}

async function connectServer(impl: typeof WebSocket, options: Record<string, unknown>, deflate: boolean | string, errorListener: boolean, keepData: boolean, secure: boolean): Promise<Conn> {
  let wss: ServerT;
  let port: number;
  let closeServer: (() => Promise<void>) | undefined;
  const perMessageDeflate = deflate !== false;
  if (secure) ({ wss, port, close: closeServer } = await listenTls({ perMessageDeflate, ...options }, impl.WebSocketServer));
  else if (impl === WebSocket) ({ wss, port } = await listen({ perMessageDeflate, ...options }));
  else {
    wss = new impl.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate, ...options });
    await once(wss, 'listening');
    port = (wss.address() as AddressInfo).port;
  }
  const connection = next<[WebSocketT]>(wss, 'connection');
  const ext = extensionValue(deflate);
  const headers: Record<string, string> = ext ? { 'Sec-WebSocket-Extensions': ext } : {};
  const { peer, head } = await rawUpgrade(port, { headers, socket: secure ? (await connectTls(port)).socket : undefined });
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head}`);
  const [ws] = await connection;
  const seen = observe(ws, errorListener, keepData);
  return {
    read: reader(ws, peer),
    role: 'server',
    ws,
    peer,
    seen,
    ourMask: false,
    frame: (op, payload, spec = {}) => frame(op, payload, { ...spec, mask: spec.mask ?? true }),
    badMaskFrame: (op, payload) => frame(op, payload, { mask: false }),
    close: once_(() => teardown(ws, peer, closeServer ?? wss)),
  };
}

/** A TCP (or TLS, with the test certificate) server that answers every upgrade with 101 (plus `extra` header lines). */
export async function rawServer101(extra: string[] = [], secure = false): Promise<{ server: net.Server; port: number; peers: Promise<RawPeer> }> {
  let deliver!: (p: RawPeer) => void;
  const peers = new Promise<RawPeer>((resolve) => (deliver = resolve));
  const onSocket = (socket: net.Socket): void => {
    const peer = new RawPeer(socket);
    peer.readHead(5000).then(
      (head) => {
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
        const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptFor(key)}`, ...extra];
        socket.write(lines.join('\r\n') + '\r\n\r\n');
        deliver(peer);
      },
      () => socket.destroy(),
    );
  };
  const server = secure ? tls.createServer(selfSignedCert(), onSocket) : net.createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, peers };
}

async function connectClient(impl: typeof WebSocket, options: Record<string, unknown>, deflate: boolean | string, errorListener: boolean, keepData: boolean, secure: boolean): Promise<Conn> {
  const ext = extensionValue(deflate);
  const { server, port, peers } = await rawServer101(ext ? [`Sec-WebSocket-Extensions: ${ext}`] : [], secure);
  const url = `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}`;
  const ca = secure ? { ca: selfSignedCert().cert } : {};
  const ws = new impl(url, { perMessageDeflate: deflate !== false, ...ca, ...options } as never);
  const seen = observe(ws, errorListener, keepData);
  const [peer] = await Promise.all([peers, next(ws, 'open')]);
  return {
    read: reader(ws, peer),
    role: 'client',
    ws,
    peer,
    seen,
    ourMask: true,
    frame: (op, payload, spec = {}) => frame(op, payload, { ...spec, mask: spec.mask ?? false }),
    badMaskFrame: (op, payload) => frame(op, payload, { mask: true }),
    close: once_(() => teardown(ws, peer, server)),
  };
}

function reader(ws: WebSocketT, peer: RawPeer): (ms?: number) => Promise<WireFrame> {
  let received = 0;
  peer.socket.on('data', (chunk: Buffer) => (received += chunk.length));
  return async (ms = 5000) => {
    try {
      return await peer.readFrame(ms);
    } catch (err) {
      // Synchronous on purpose: the numbers describe the moment of the timeout.
      const transport = (ws as unknown as { _transport?: { isNative: boolean } })._transport;
      const port = peer.socket.localPort;
      let kernel: string;
      try {
        kernel = execFileSync('ss', ['-tn', `( sport = :${port} or dport = :${port} )`]).toString().replace(/\s+/g, ' ');
      } catch {
        kernel = 'ss unavailable';
      }
      throw new Error(
        `${(err as Error).message}: the peer has received ${received} bytes; our bufferedAmount ${ws.bufferedAmount}, ` +
          `readyState ${ws.readyState}, native ${transport?.isNative}, peer ended ${peer.ended}; kernel queues: ${kernel}`,
      );
    }
  };
}

/** Runs `fn` at most once, returning the first call's promise afterwards. */
function once_(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

async function teardown(ws: WebSocketT, peer: RawPeer, server: ServerT | net.Server | (() => Promise<void>)): Promise<void> {
  if (ws.readyState !== 3) {
    const closed = next(ws, 'close').catch(() => undefined);
    ws.terminate();
    await closed;
  }
  peer.socket.destroy();
  if (typeof server === 'function') await server();
  else if (server instanceof net.Server) await new Promise<void>((resolve) => server.close(() => resolve()));
  else await shutdown(server);
}

/**
 * What a protocol error must look like: the close code on the wire, the app's error, and the
 * app's close code (1006: the engine fails the connection without receiving a close frame).
 */
export interface FailureSpec {
  status: number;
  code: string;
  message: string;
  ctor: typeof Error | typeof RangeError;
  /** Events expected before the error (default none). */
  before?: string[];
}

export interface FailureOutcome {
  /** Close code in the frame the peer received. */
  wireCode: number | undefined;
  wireMasked: boolean;
  /** The peer saw FIN from our side before it sent its own. */
  ourFinFirst: boolean;
  error: Error | undefined;
  closeCode: number;
  events: string[];
}

/**
 * Writes `bytes` to our endpoint (all at once, or one chunk per `pauseMs` until our side closes),
 * then reads the close frame and waits for our FIN and 'close'.
 */
export async function provoke(c: Conn, bytes: Buffer | Buffer[], { ms = 5000, pauseMs }: { ms?: number; pauseMs?: number } = {}): Promise<FailureOutcome> {
  const chunks = Array.isArray(bytes) ? bytes : [bytes];
  if (pauseMs === undefined) for (const b of chunks) c.peer.write(b);
  else {
    c.peer.socket.setNoDelay(true);
    void (async () => {
      for (const b of chunks) {
        if (c.peer.ended || c.peer.socket.destroyed) return;
        c.peer.write(b);
        await delay(pauseMs);
      }
    })();
  }
  let wireCode: number | undefined;
  let wireMasked = false;
  for (;;) {
    const f = await c.peer.readFrame(ms);
    if (f.opcode !== 8) continue;
    wireCode = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : undefined;
    wireMasked = f.masked;
    break;
  }
  // The peer stays silent (no close reply, no FIN): our side must end TCP by itself.
  let ourFinFirst = true;
  try {
    await c.peer.waitClosed(ms);
  } catch {
    ourFinFirst = false;
  }
  c.peer.socket.end();
  const { code } = await c.seen.closed;
  return { wireCode, wireMasked, ourFinFirst, error: c.seen.errors[0], closeCode: code, events: [...c.seen.events] };
}

/** Asserts a protocol failure as ws shows it: wire close code, masking, FIN, error, then 'close' 1006. */
export function checkFailure(t: ExecutionContext, c: Conn, o: FailureOutcome, spec: FailureSpec): void {
  t.is(o.wireCode, spec.status, 'close code on the wire');
  t.is(o.wireMasked, c.ourMask, 'close frame masking follows the role');
  t.true(o.ourFinFirst, 'our side ends TCP after its close frame without waiting for the peer');
  const err = o.error as (Error & { code?: string }) | undefined;
  t.truthy(err, "an 'error' event");
  t.is(err?.constructor, spec.ctor, 'error class');
  t.is(err?.code, spec.code);
  t.is(err?.message, spec.message);
  t.is(o.closeCode, 1006, "the app's close code (no close frame was received)");
  t.deepEqual(o.events, [...(spec.before ?? []), `error:${spec.code}`, 'close:1006'], 'nothing from the offending frame reaches the app');
}

/** The payload of a raw permessage-deflate message (no trailing 00 00 ff ff). */
export function deflateMessage(data: Buffer): Buffer {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** Writes `chunks` one by one with a short pause between them, so most arrive as separate reads. */
export async function trickle(socket: net.Socket, chunks: Buffer[], pauseMs = 2): Promise<void> {
  socket.setNoDelay(true);
  for (const chunk of chunks) {
    socket.write(chunk);
    await delay(pauseMs);
  }
}

/** Splits `bytes` at the given offsets. */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= bytes.length) continue;
    out.push(bytes.subarray(at, cut));
    at = cut;
  }
  out.push(bytes.subarray(at));
  return out;
}

/** A tiny deterministic PRNG (mulberry32) so random splits are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let gc: (() => void) | undefined;

/** Current RSS, external (incl. ArrayBuffers) and V8 heap memory, after a full GC. */
export function memory(): { rss: number; external: number; heap: number } {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
  const m = process.memoryUsage();
  // `external` already includes `arrayBuffers` (every Buffer); adding both would count them twice.
  return { rss: m.rss, external: m.external, heap: m.heapUsed };
}

export const MiB = 1024 * 1024;

/**
 * Samples the process RSS every millisecond from a worker thread (so it keeps sampling while the
 * main thread is busy in native code) and reports the peak. Start it before taking the baseline.
 */
export async function rssSampler(): Promise<{ peak(): number; stop(): Promise<void> }> {
  const shared = new Float64Array(new SharedArrayBuffer(16));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const s = new Float64Array(workerData);
     const nap = new Int32Array(new SharedArrayBuffer(4));
     for (;;) {
       const rss = process.memoryUsage.rss();
       if (rss > s[0]) s[0] = rss;
       s[1] = 1;
       Atomics.wait(nap, 0, 0, 1);
     }`,
    { eval: true, workerData: shared.buffer },
  );
  while (shared[1] !== 1) await delay(1);
  return {
    peak: () => shared[0]!,
    stop: async () => {
      await worker.terminate();
    },
  };
}

/** Only the header of a frame the peer sends (mask key included towards a server), declaring `length`. */
export function frameHeader(c: Conn, opcode: number, length: number | bigint, { fin = true, rsv = 0 } = {}): Buffer {
  const n = BigInt(length);
  const masked = !c.ourMask;
  const extra = n < 126n ? 0 : n < 65536n ? 2 : 8;
  const h = Buffer.alloc(2 + extra + (masked ? 4 : 0));
  h[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  h[1] = (masked ? 0x80 : 0) | (extra === 0 ? Number(n) : extra === 2 ? 126 : 127);
  if (extra === 2) h.writeUInt16BE(Number(n), 2);
  else if (extra === 8) h.writeBigUInt64BE(n, 2);
  if (masked) h.writeUInt32BE(0x12345678, 2 + extra);
  return h;
}
