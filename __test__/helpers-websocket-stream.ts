/**
 * Support for the `WebSocketStream` tests: the typed class, a server that records what arrives
 * (type and bytes), raw TCP peers that stop reading or flood, and small promise utilities.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import { acceptFor, frame, WebSocket, type ServerT, type WebSocketT } from './helpers.ts';

export const { WebSocketStream } = WebSocket;
export type WebSocketStreamT = InstanceType<typeof WebSocketStream>;

/** An error as `opened`/`closed` reject with it. */
export interface StreamError extends Error {
  closeCode?: number;
  reason?: string;
  cause?: unknown;
}

/** Settles `promise` into a tagged result (so a test can look at a rejection without try/catch). */
export async function settle<T>(promise: Promise<T>, ms = 5000): Promise<{ ok: true; value: T } | { ok: false; error: StreamError }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`promise did not settle within ${ms} ms`)), ms);
  });
  try {
    return { ok: true, value: await Promise.race([promise, timeout]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('promise did not settle')) throw error;
    return { ok: false, error: error as StreamError };
  } finally {
    clearTimeout(timer);
  }
}

/** True when `promise` is still pending after `ms`. */
export async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  const timer = new Promise<symbol>((resolve) => setTimeout(() => resolve(marker), ms));
  const outcome = await Promise.race([promise.then(() => 'settled', () => 'settled'), timer]);
  return outcome === marker;
}

/** What a recording server saw: each message's bytes and whether it arrived as binary. */
export interface Received {
  data: Buffer;
  isBinary: boolean;
}

/** Records every message and close on each server-side connection. */
export function record(wss: ServerT): {
  received: Received[];
  closes: Promise<{ code: number; reason: string }>;
  connection: Promise<WebSocketT>;
} {
  const received: Received[] = [];
  let connected!: (ws: WebSocketT) => void;
  const connection = new Promise<WebSocketT>((resolve) => (connected = resolve));
  let closed!: (info: { code: number; reason: string }) => void;
  const closes = new Promise<{ code: number; reason: string }>((resolve) => (closed = resolve));
  wss.on('connection', (ws: WebSocketT) => {
    connected(ws);
    ws.on('message', (data: Buffer, isBinary: boolean) => received.push({ data, isBinary }));
    ws.on('close', (code: number, reason: Buffer) => closed({ code, reason: reason.toString() }));
  });
  return { received, closes, connection };
}

/**
 * A raw TCP WebSocket client: it performs the upgrade by hand, then only counts the bytes it
 * receives (nothing is kept), so a test can pause and resume its reading.
 */
export interface RawClient {
  socket: net.Socket;
  /** Bytes received after the response head. */
  bytes(): number;
  close(): void;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const key = randomBytes(16).toString('base64');
  socket.write(
    [`GET / HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'].join('\r\n') +
      '\r\n\r\n',
  );
  let head = Buffer.alloc(0);
  let count = 0;
  let headDone = false;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (headDone) {
        count += chunk.length;
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      headDone = true;
      const text = head.subarray(0, end).toString('latin1');
      count += head.length - end - 4;
      if (!text.startsWith('HTTP/1.1 101') || !text.includes(acceptFor(key))) reject(new Error(`upgrade failed: ${text}`));
      else resolve();
    });
  });
  socket.removeAllListeners('error');
  socket.on('error', () => {});
  return { socket, bytes: () => count, close: () => socket.destroy() };
}

/** A masked text frame carrying sequence number `n`, padded to `size` bytes. */
export function sequenced(n: number, size: number): Buffer {
  return frame(0x1, `${String(n).padStart(8, '0')}:`.padEnd(size, 'x'));
}

/** The sequence number in a message built by {@link sequenced}. */
export function sequenceOf(message: string | Uint8Array): number {
  return Number((typeof message === 'string' ? message : Buffer.from(message).toString()).slice(0, 8));
}

/** Sets `FERROWS_NO_NATIVE` for the duration of `fn` (call only from `test.serial`). */
export async function withJsTransport<T>(fn: () => Promise<T>): Promise<T> {
  process.env['FERROWS_NO_NATIVE'] = '1';
  try {
    return await fn();
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
  }
}

/** Whether a (client or server) WebSocket runs on the native driver. */
export function isNative(ws: unknown): boolean {
  return (ws as { _transport?: { isNative?: boolean } })._transport?.isNative === true;
}
