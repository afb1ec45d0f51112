/**
 * Test support for the exported internals (Sender, Receiver, PerMessageDeflate, extension,
 * subprotocol): the real `ws` as an oracle, a frame builder over ws's own `Sender.frame`, and
 * small adapters to await a Receiver's events.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { WebSocket } from './helpers.ts';

const require = createRequire(import.meta.url);

/** The shape of ws's exported internals that the tests touch. */
export interface WsFrameOptions {
  fin?: boolean;
  rsv1?: boolean;
  opcode: number;
  mask?: boolean;
  maskBuffer?: Buffer;
  generateMask?: (mask: Buffer) => void;
  readOnly?: boolean;
}

interface WsModule {
  Sender: { frame(data: Buffer | string, options: WsFrameOptions): Buffer[] } & (new (
    socket: unknown,
    extensions?: unknown,
    generateMask?: (mask: Buffer) => void,
  ) => unknown);
  Receiver: new (options?: Record<string, unknown>) => Writable;
  PerMessageDeflate: new (options?: Record<string, unknown>) => {
    accept(configs: unknown[]): Record<string, unknown>;
    offer(): Record<string, unknown>;
    compress(data: Buffer, fin: boolean, cb: (err: Error | null, out?: Buffer) => void): void;
    decompress(data: Buffer, fin: boolean, cb: (err: Error | null, out?: Buffer) => void): void;
  };
}

/** The real ws 8.23 (a devDependency), used as the oracle. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const RealWs = require('ws') as WsModule;

export const { Sender, Receiver, PerMessageDeflate, extension, subprotocol } = WebSocket;

/** One frame built by ws's own `Sender.frame`, as one Buffer (copies the input first). */
export function wsFrame(data: Buffer | string, options: WsFrameOptions): Buffer {
  const input = typeof data === 'string' ? data : Buffer.from(data);
  return Buffer.concat(RealWs.Sender.frame(input, { fin: true, rsv1: false, readOnly: false, mask: false, ...options }));
}

/** The close status ws stores on protocol errors under a module-private symbol. */
export function statusCodeOf(err: unknown): number | undefined {
  const key = Object.getOwnPropertySymbols(err as object).find((s) => s.description === 'status-code');
  return key === undefined ? undefined : ((err as Record<symbol, number>)[key] as number);
}

/** A Receiver's `error` event, or a rejection after `ms`. */
export function nextError(receiver: Writable, ms = 5000): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no error event')), ms);
    receiver.once('error', (err: Error) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

/** Resolves with the first `count` emissions of `event` (each as its argument list). */
export function collect<T extends unknown[] = unknown[]>(emitter: NodeJS.EventEmitter, event: string, count: number, ms = 5000): Promise<T[]> {
  const out: T[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${out.length}/${count} '${event}' events`)), ms);
    emitter.on(event, (...args: unknown[]) => {
      out.push(args as T);
      if (out.length === count) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}

/** Whether every plain object reachable through objects and arrays has a null prototype. */
export function allNullPrototype(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(allNullPrototype);
  if (value === null || typeof value !== 'object') return true;
  return Object.getPrototypeOf(value) === null && Object.values(value).every(allNullPrototype);
}

/** A generateMask that writes a fixed key. */
export function fixedMask(bytes: number[]): (mask: Buffer) => void {
  return (mask) => {
    for (let i = 0; i < 4; i++) mask[i] = bytes[i]!;
  };
}

/** Promisified compress/decompress. */
export function pmdCall(
  pmd: { compress: PerMessageDeflateLike['compress']; decompress: PerMessageDeflateLike['decompress'] },
  op: 'compress' | 'decompress',
  data: Buffer,
  fin: boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pmd[op](data, fin, (err, out) => (err ? reject(err) : resolve(out!)));
  });
}

interface PerMessageDeflateLike {
  compress(data: Buffer, fin: boolean, cb: (err: Error | null, out?: Buffer) => void): void;
  decompress(data: Buffer, fin: boolean, cb: (err: Error | null, out?: Buffer) => void): void;
}
