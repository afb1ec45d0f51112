/** Buffer conversions with ws's semantics (ws `lib/buffer-util.js`). */
import { EMPTY_BUFFER } from './constants';

const FastBuffer = (Buffer as unknown as { [Symbol.species]: new (buf: ArrayBufferLike, off?: number, len?: number) => Buffer })[
  Symbol.species
];

/** Concatenates buffers of known total length (no copy for a single buffer). */
export function concat(list: readonly Buffer[], totalLength: number): Buffer {
  if (list.length === 0) return EMPTY_BUFFER;
  if (list.length === 1) return list[0]!;
  const target = Buffer.allocUnsafe(totalLength);
  let offset = 0;
  for (const buf of list) {
    target.set(buf, offset);
    offset += buf.length;
  }
  return offset < totalLength ? new FastBuffer(target.buffer, target.byteOffset, offset) : target;
}

/** The bytes of `buf` as an ArrayBuffer (the backing store itself when it matches exactly). */
export function toArrayBuffer(buf: Buffer): ArrayBuffer {
  if (buf.length === buf.buffer.byteLength && buf.byteOffset === 0) return buf.buffer as ArrayBuffer;
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer;
}

/** Result of {@link toBuffer}: the bytes and whether they alias caller memory. */
export interface Converted {
  buffer: Buffer;
  readOnly: boolean;
}

/**
 * Converts send() data to a Buffer without copying when possible (ArrayBuffer, views). Anything
 * else goes through `Buffer.from`, which throws a TypeError for unsupported values.
 */
export function toBuffer(data: unknown): Converted {
  if (Buffer.isBuffer(data)) return { buffer: data, readOnly: true };
  if (data instanceof ArrayBuffer) return { buffer: new FastBuffer(data), readOnly: true };
  if (ArrayBuffer.isView(data)) {
    return { buffer: new FastBuffer(data.buffer, data.byteOffset, data.byteLength), readOnly: true };
  }
  return { buffer: Buffer.from(data as string), readOnly: false };
}

/** The bytes of send() data, without copying ArrayBuffers and views (no wrapper object). */
export function bytesOf(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return new FastBuffer(data);
  if (ArrayBuffer.isView(data)) return new FastBuffer(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data as string);
}

/** Byte length of send() data as ws computes it. */
export function byteLengthOf(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (isBlob(data)) return data.size;
  return toBuffer(data).buffer.length;
}

/** Whether `value` is a `Blob` (ws `lib/validation.js`). */
export function isBlob(value: unknown): value is Blob {
  return (
    typeof Blob !== 'undefined' &&
    (value instanceof Blob ||
      (typeof value === 'object' &&
        value !== null &&
        typeof (value as Blob).arrayBuffer === 'function' &&
        typeof (value as Blob).type === 'string' &&
        typeof (value as Blob).stream === 'function' &&
        ((value as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'Blob' ||
          (value as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'File')))
  );
}

/** ws `isValidStatusCode`: what close() accepts and what may be received. */
export function isValidStatusCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}
