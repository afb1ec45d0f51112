/**
 * The native addon: loaded once, with the record layout it shares with JavaScript.
 * (Mirrors `crates/node/src/batch.rs` and `binding_args.rs`.)
 */
import * as path from 'node:path';
import type * as Binding from '../binding';
import { loadNative } from './load-native';

/** The `.node` file (or platform package) for this machine; the package root is two levels up from `dist/lib`. */
export const native: typeof Binding = loadNative(path.join(__dirname, '..', '..'));

/** `i32`s per event record. */
export const RECORD = 5;
/** Records in a shared table. */
export const TABLE_RECORDS = 4096;

/** Event record kinds. */
export const enum Kind {
  Text = 1,
  Binary = 2,
  Ping = 3,
  Pong = 4,
  CloseFrame = 5,
  Error = 6,
  Sent = 7,
  End = 8,
  Closed = 9,
  Abort = 10,
  Drain = 11,
}

/** `send` flags. */
export const enum Flag {
  Binary = 1,
  Fin = 2,
  Compress = 4,
  MaskSet = 8,
  Mask = 16,
  Notify = 32,
  Key = 64,
}

/** Send-path return values below zero. */
export const RESULT_CLOSING = -1;
export const RESULT_TOO_LONG = -2;

/** Builds send flags from ws's options. */
export function sendFlags(binary: boolean, fin: boolean, compress: boolean, mask: boolean | undefined, notify: boolean): number {
  let flags = 0;
  if (binary) flags |= Flag.Binary;
  if (fin) flags |= Flag.Fin;
  if (compress) flags |= Flag.Compress;
  if (mask !== undefined) flags |= Flag.MaskSet | (mask ? Flag.Mask : 0);
  if (notify) flags |= Flag.Notify;
  return flags;
}

/**
 * The per-frame Buffers of a fragmented binary message: `count` little-endian u32 end offsets
 * follow the payload in the slab (see `Kind::Binary` in batch.rs).
 */
export function fragmentsOf(slab: Buffer, offset: number, length: number, count: number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0, at = offset + length; i < count; i++, at += 4) {
    const end = slab.readUInt32LE(at);
    out.push(slab.subarray(offset + start, offset + end));
    start = end;
  }
  return out;
}

/** Connection options as the addon takes them. */
export type ConnOptions = Binding.ConnOptions;

/** Node's own uncaught-exception path; Bun gets the portable fallback below. */
const reportNow: ((error: unknown) => void) | null = process.versions['bun'] ? null : native.reportUncaught;

/**
 * Reports an exception a user handler threw while a transport was delivering several events at
 * once (one native batch, or the records of one read), then lets the caller deliver the rest.
 * With ws each socket's `'data'` is its own I/O callback, so every throw reaches
 * `process.on('uncaughtException')` before the next socket's events run, or kills the process
 * when nothing handles it; `reportUncaught` (`napi_fatal_exception`) does exactly that, now.
 * Elsewhere (Bun), or where the runtime refuses it, the error is rethrown from a fresh tick:
 * still one uncaught exception per throw, but after the rest of the batch.
 */
export function reportUncaught(error: unknown): void {
  if (reportNow !== null) {
    try {
      reportNow(error);
      return;
    } catch {
      // Refused: fall back to a fresh tick.
    }
  }
  process.nextTick(rethrow, error);
}

function rethrow(error: unknown): never {
  throw error;
}
