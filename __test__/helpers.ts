/**
 * Test support: a scripted raw peer over a real loopback socket (frame builders, a frame reader,
 * an upgrade request) so tests assert bytes on the wire as well as events in the application.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The package under test, loaded the way users load it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const WebSocket = require('../dist/index.js') as typeof import('../index.d.ts');
export const { WebSocketServer } = WebSocket;
export type WebSocketT = InstanceType<typeof WebSocket>;
export type ServerT = InstanceType<typeof WebSocketServer>;

export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Starts a server on an ephemeral loopback port. */
export async function listen(options: Record<string, unknown> = {}): Promise<{ wss: ServerT; port: number; url: string }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  return { wss, port, url: `ws://127.0.0.1:${port}` };
}

/** Closes a server and terminates its clients. */
export async function shutdown(wss: ServerT): Promise<void> {
  for (const client of wss.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** Options for {@link frame}. */
export interface FrameSpec {
  fin?: boolean;
  rsv?: number;
  mask?: boolean | Buffer;
  /** Force the 16- or 64-bit length form. */
  lengthForm?: 7 | 16 | 64;
}

/** Builds one frame (masked by default, as a client sends). */
export function frame(opcode: number, payload: Buffer | string = Buffer.alloc(0), spec: FrameSpec = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const masked = spec.mask !== false;
  const key = Buffer.isBuffer(spec.mask) ? spec.mask : randomBytes(4);
  const len = data.length;
  const form = spec.lengthForm ?? (len < 126 ? 7 : len < 65536 ? 16 : 64);
  const head = Buffer.alloc(2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (masked ? 4 : 0));
  head[0] = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | opcode;
  head[1] = (masked ? 0x80 : 0) | (form === 7 ? len : form === 16 ? 126 : 127);
  let at = 2;
  if (form === 16) {
    head.writeUInt16BE(len, 2);
    at = 4;
  } else if (form === 64) {
    head.writeBigUInt64BE(BigInt(len), 2);
    at = 10;
  }
  if (!masked) return Buffer.concat([head, data]);
  key.copy(head, at);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([head, body]);
}

/** A close frame payload. */
export function closePayload(code: number, reason = ''): Buffer {
  const buf = Buffer.alloc(2 + Buffer.byteLength(reason));
  buf.writeUInt16BE(code, 0);
  buf.write(reason, 2);
  return buf;
}

/** A decoded frame read from the wire. */
export interface WireFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** A raw WebSocket peer over TCP: it writes arbitrary bytes and decodes what comes back. */
export class RawPeer {
  readonly socket: net.Socket;
  #buffer = Buffer.alloc(0);
  /** Chunks not yet joined to `#buffer`: a large frame is joined once, when it is complete. */
  #pending: Buffer[] = [];
  #pendingLength = 0;
  /** Bytes the incomplete frame at the front needs (0: unknown). */
  #need = 0;
  #waiters: (() => void)[] = [];
  ended = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#pending.push(chunk);
      this.#pendingLength += chunk.length;
      if (this.#buffer.length + this.#pendingLength < this.#need) return;
      this.#join();
      this.#wake();
    });
    socket.on('end', () => {
      this.#join();
      this.ended = true;
      this.#wake();
    });
    socket.on('close', () => {
      this.#join();
      this.ended = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  #join(): void {
    if (this.#pending.length === 0) return;
    this.#buffer = Buffer.concat([this.#buffer, ...this.#pending]);
    this.#pending = [];
    this.#pendingLength = 0;
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  async #waitFor<T>(take: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      if (this.ended) throw new Error('peer closed before the expected data arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for data');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Reads the HTTP response head (up to CRLFCRLF). */
  async readHead(timeoutMs = 5000): Promise<string> {
    return this.#waitFor(() => {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end === -1) return undefined;
      const head = this.#buffer.subarray(0, end).toString('latin1');
      this.#buffer = this.#buffer.subarray(end + 4);
      return head;
    }, timeoutMs);
  }

  /** Reads everything until the peer closes. */
  async readToEnd(timeoutMs = 5000): Promise<Buffer> {
    await this.#waitFor(() => (this.ended ? true : undefined), timeoutMs).catch(() => undefined);
    const all = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return all;
  }

  /** Reads and decodes the next frame. */
  async readFrame(timeoutMs = 5000): Promise<WireFrame> {
    return this.#waitFor(() => this.#takeFrame(), timeoutMs);
  }

  #takeFrame(): WireFrame | undefined {
    const buf = this.#buffer;
    if (buf.length < 2) return undefined;
    const masked = (buf[1]! & 0x80) !== 0;
    let len = buf[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      if (buf.length < 4) return undefined;
      len = buf.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (buf.length < 10) return undefined;
      len = Number(buf.readBigUInt64BE(2));
      at = 10;
    }
    const keyAt = at;
    if (masked) at += 4;
    if (buf.length < at + len) {
      this.#need = at + len;
      return undefined;
    }
    this.#need = 0;
    const payload = Buffer.from(buf.subarray(at, at + len));
    if (masked) for (let i = 0; i < len; i++) payload[i]! ^= buf[keyAt + (i & 3)]!;
    this.#buffer = buf.subarray(at + len);
    return { fin: (buf[0]! & 0x80) !== 0, rsv: (buf[0]! >> 4) & 7, opcode: buf[0]! & 0x0f, masked, payload };
  }

  /** Reads the close frame, returning its code (undefined when empty) and reason. */
  async readClose(timeoutMs = 5000): Promise<{ code: number | undefined; reason: string }> {
    for (;;) {
      const f = await this.readFrame(timeoutMs);
      if (f.opcode !== 8) continue;
      if (f.payload.length === 0) return { code: undefined, reason: '' };
      return { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString() };
    }
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits until the server closes the TCP connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.#waitFor(() => (this.ended ? true : undefined), timeoutMs);
  }
}

/**
 * Sends an upgrade request over a new TCP connection (or over `socket`, already connected, e.g. a
 * TLS socket); returns the peer and the response head.
 */
export async function rawUpgrade(
  port: number,
  {
    path = '/',
    headers = {},
    method = 'GET',
    extra = Buffer.alloc(0),
    socket: given,
  }: { path?: string; headers?: Record<string, string>; method?: string; extra?: Buffer; socket?: net.Socket } = {},
): Promise<{ peer: RawPeer; head: string; key: string }> {
  const socket = given ?? net.connect(port, '127.0.0.1');
  if (!given) await once(socket, 'connect');
  const peer = new RawPeer(socket);
  const key = randomBytes(16).toString('base64');
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = [`${method} ${path} HTTP/1.1`, ...Object.entries(all).filter(([, v]) => v !== '').map(([k, v]) => `${k}: ${v}`)];
  socket.write(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), extra]));
  const head = await peer.readHead();
  return { peer, head, key };
}

/** The accept value for a key. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** Resolves with the arguments of the next `event` on `emitter`, or rejects after `ms`. */
export async function next<T extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
  ms = 5000,
): Promise<T> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`timed out waiting for '${event}'`)), ms);
  try {
    return (await once(emitter, event, { signal: ac.signal })) as T;
  } finally {
    clearTimeout(timer);
  }
}

/** Collects `count` messages from a WebSocket. */
export async function messages(ws: WebSocketT, count: number, ms = 5000): Promise<[Buffer, boolean][]> {
  const out: [Buffer, boolean][] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${out.length}/${count} messages`)), ms);
    ws.on('message', (data: unknown, isBinary: boolean) => {
      out.push([data as Buffer, isBinary]);
      if (out.length === count) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
