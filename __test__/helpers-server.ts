/**
 * Test support for the WebSocketServer suites: raw HTTP exchanges over loopback, response
 * parsing, an in-memory duplex pair, a throwaway TLS certificate and the real `ws` as a peer.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import RealWebSocket from 'ws';
import { listen, next, RawPeer, type ServerT, type WebSocketT } from './helpers.ts';

export { RealWebSocket };

/** A parsed HTTP response. */
export interface HttpResponse {
  raw: string;
  statusLine: string;
  status: number;
  /** Header lines in wire order, as `[name, value]`. */
  headers: [string, string][];
  body: string;
}

/** Parses a full HTTP/1.1 response (head and body) as written by the server. */
export function parseResponse(raw: string): HttpResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()] as [string, string];
  });
  return { raw, statusLine, status: Number(statusLine.split(' ')[1]), headers, body: end === -1 ? '' : raw.slice(end + 4) };
}

/** The value of a header (case-insensitive), or undefined. */
export function header(res: HttpResponse, name: string): string | undefined {
  return res.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** A valid random Sec-WebSocket-Key. */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** Builds an upgrade request; a header whose value is `null` is left out. */
export function upgradeRequest(
  port: number,
  { method = 'GET', path = '/', headers = {}, extraLines = [] }: {
    method?: string;
    path?: string;
    headers?: Record<string, string | null>;
    extraLines?: string[];
  } = {},
): string {
  const all: Record<string, string | null> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': newKey(),
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([k, v]) => `${k}: ${v}`);
  return [`${method} ${path} HTTP/1.1`, ...extraLines, ...lines].join('\r\n') + '\r\n\r\n';
}

/** Opens a TCP connection to `port`, writes `bytes`, and returns the peer. */
export async function connectRaw(port: number, bytes?: string | Buffer): Promise<RawPeer> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const peer = new RawPeer(socket);
  if (bytes !== undefined) socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  return peer;
}

/** Sends `bytes` and reads everything until the server closes the connection. */
export async function exchange(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<HttpResponse> {
  const peer = await connectRaw(port, bytes);
  const all = await peer.readToEnd(timeoutMs);
  peer.socket.destroy();
  return parseResponse(all.toString('latin1'));
}

/** Sends an upgrade request with the given overrides and returns the full response. */
export async function rejectFor(port: number, options: Parameters<typeof upgradeRequest>[1] = {}): Promise<HttpResponse> {
  return exchange(port, upgradeRequest(port, options));
}

/** Waits for the next server-side connection. */
export async function nextConnection(wss: ServerT, ms = 5000): Promise<[WebSocketT, import('node:http').IncomingMessage]> {
  return next<[WebSocketT, import('node:http').IncomingMessage]>(wss, 'connection', ms);
}

/** Whether a server-side WebSocket runs on the Rust-owned (native) transport. */
export function isNative(ws: WebSocketT): boolean {
  return (ws as unknown as { _transport: { isNative: boolean } })._transport.isNative;
}

/** Opens a real `ws` client and waits for 'open'. */
export async function openRealClient(url: string, protocols?: string | string[], options: RealWebSocket.ClientOptions = {}): Promise<RealWebSocket> {
  const ws = new RealWebSocket(url, protocols, options);
  ws.on('error', () => {});
  await next(ws, 'open');
  return ws;
}

/** Checks the server still completes a handshake and echoes a message. */
export async function stillServes(url: string): Promise<string> {
  const ws = await openRealClient(url);
  const got = next<[Buffer]>(ws, 'message');
  ws.send('ping?');
  const [data] = await got;
  ws.close();
  await next(ws, 'close');
  return data.toString();
}

/** Makes every accepted connection echo its messages. */
export function echo(wss: ServerT): void {
  wss.on('connection', (ws: WebSocketT) => {
    ws.on('error', () => {});
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
}

// ---- an in-memory duplex pair (each side's writes are the other side's reads) ----------------

class PairSide extends Duplex {
  other: PairSide | null = null;
  #pendingWrite: (() => void) | null = null;

  override _read(): void {
    const cb = this.#pendingWrite;
    if (cb) {
      this.#pendingWrite = null;
      cb();
    }
  }

  _release(cb: () => void): void {
    this.#pendingWrite = cb;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const other = this.other!;
    if (chunk.length === 0) return process.nextTick(callback);
    // Complete the write at once while the reader wants more, otherwise when it next reads.
    if (other.push(chunk)) process.nextTick(callback);
    else other._release(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.other!.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const other = this.other;
    if (other && !other.destroyed) process.nextTick(() => other.destroy());
    callback(error);
  }
}

/** Two connected in-memory Duplex streams. */
export function duplexPair(): { clientSide: Duplex; serverSide: Duplex } {
  const clientSide = new PairSide();
  const serverSide = new PairSide();
  clientSide.other = serverSide;
  serverSide.other = clientSide;
  return { clientSide, serverSide };
}

// ---- a throwaway self-signed certificate ---------------------------------------------------

let certificate: { key: Buffer; cert: Buffer } | undefined;

/** A self-signed P-256 key and certificate for `localhost`/127.0.0.1, generated once per process. */
export function selfSignedCert(): { key: Buffer; cert: Buffer } {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'ferrows-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    certificate = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** {@link listen}, with the server (and its clients) shut down when the test ends, pass or fail. */
export async function serve(
  t: { teardown(fn: () => unknown): void },
  options: Record<string, unknown> = {},
): Promise<{ wss: ServerT; port: number; url: string }> {
  const started = await listen(options);
  t.teardown(() => closeAll(started.wss));
  return started;
}

/** Terminates the tracked clients (if any) and closes the server; never rejects. */
export async function closeAll(wss: ServerT): Promise<void> {
  for (const client of wss.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}
