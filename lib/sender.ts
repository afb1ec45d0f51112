/**
 * ws's exported `Sender` (`lib/sender.js`): `Sender.frame()`, which third-party code uses to
 * pre-frame broadcasts, and a Sender instance writing frames to a socket. Connections made by
 * this library do not use it — their frames come from the Rust engine — but its shapes match ws.
 */
import { randomFillSync } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { isBlob, isValidStatusCode, toBuffer, type Converted } from './buffer-util';
import { EMPTY_BUFFER } from './constants';
import { native } from './native';
import type { PerMessageDeflate } from './permessage-deflate';

export interface FrameOptions {
  fin?: boolean;
  rsv1?: boolean;
  opcode: number;
  mask?: boolean;
  maskBuffer?: Buffer;
  generateMask?: (mask: Buffer) => void;
  readOnly?: boolean;
}

type Callback = (err?: Error | null) => void;

const sharedMask = Buffer.alloc(4);
const POOL = 8 * 1024;
let pool: Buffer | undefined;
let poolAt = POOL;

function fillMask(mask: Buffer, generate: ((mask: Buffer) => void) | undefined): void {
  if (generate) return generate(mask);
  if (poolAt === POOL) {
    pool ??= Buffer.alloc(POOL);
    randomFillSync(pool, 0, POOL);
    poolAt = 0;
  }
  pool!.copy(mask, 0, poolAt, poolAt + 4);
  poolAt += 4;
}

function header(fin: boolean, rsv1: boolean, opcode: number, length: number, extra: number): { target: Buffer; offset: number } {
  let offset = 2;
  let code = length;
  if (length >= 65536) {
    offset += 8;
    code = 127;
  } else if (length > 125) {
    offset += 2;
    code = 126;
  }
  const target = Buffer.allocUnsafe(offset + extra);
  target[0] = (fin ? opcode | 0x80 : opcode) | (rsv1 ? 0x40 : 0);
  target[1] = code;
  if (code === 126) target.writeUInt16BE(length, 2);
  else if (code === 127) {
    target[2] = target[3] = 0;
    target.writeUIntBE(length, 4, 6);
  }
  return { target, offset };
}

type Job = { kind: 'frame'; data: Buffer; compress: boolean; options: FrameOptions; byteLength: number; cb: Callback | undefined }
  | { kind: 'blob'; data: Blob; compress: boolean; options: FrameOptions; byteLength: number; cb: Callback | undefined };

const DEFAULT = 0;
const DEFLATING = 1;
const GET_BLOB_DATA = 2;

export class Sender {
  readonly _socket: Duplex;
  readonly _extensions: Record<string, PerMessageDeflate>;
  readonly _generateMask: ((mask: Buffer) => void) | undefined;
  readonly _maskBuffer: Buffer | undefined;
  _bufferedBytes = 0;
  _firstFragment = true;
  _compress = false;
  /** Frames wait here (in order) while a compression or a Blob read is in flight, as in ws. */
  readonly _queue: Job[] = [];
  _state: number = DEFAULT;
  onerror: (err: Error) => void = () => {};

  constructor(socket: Duplex, extensions?: Record<string, PerMessageDeflate>, generateMask?: (mask: Buffer) => void) {
    this._socket = socket;
    this._extensions = extensions ?? {};
    this._generateMask = generateMask;
    // Without a generator, masks come from the shared random pool into a shared buffer (as in ws).
    this._maskBuffer = generateMask ? Buffer.alloc(4) : undefined;
  }

  /** Frames `data`: returns `[header]`, `[header, payload]`, or one merged Buffer when masking read-only data. */
  static frame(data: Buffer | string, options: FrameOptions): Buffer[] {
    let mask: Buffer | undefined;
    let skipMasking = false;
    if (options.mask) {
      mask = options.maskBuffer ?? sharedMask;
      fillMask(mask, options.generateMask);
      skipMasking = (mask[0]! | mask[1]! | mask[2]! | mask[3]!) === 0;
    }
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const merge = typeof data !== 'string' && !!options.mask && !!options.readOnly && !skipMasking;
    const length = bytes.length;
    const extra = options.mask ? 4 : 0;
    const { target, offset } = header(options.fin ?? false, options.rsv1 ?? false, options.opcode, length, extra + (merge ? length : 0));
    if (!mask) return length ? [target, bytes] : [target];
    target[1]! |= 0x80;
    mask.copy(target, offset);
    if (!length) return [target];
    if (skipMasking) return [target, bytes];
    if (merge) {
      bytes.copy(target, offset + 4);
      native.applyMask(target.subarray(offset + 4), mask, 0);
      return [target];
    }
    native.applyMask(bytes, mask, 0);
    return [target, bytes];
  }

  /** Sends a close frame; `code` undefined sends an empty one. Throws like ws on bad arguments. */
  close(code: number | undefined, data: string | Uint8Array | undefined, mask: boolean, cb?: Callback): void {
    let buf: Buffer;
    if (code === undefined) buf = EMPTY_BUFFER;
    else if (typeof code !== 'number' || !isValidStatusCode(code)) {
      throw new TypeError('First argument must be a valid error code number');
    } else if (data === undefined || !data.length) {
      buf = Buffer.allocUnsafe(2);
      buf.writeUInt16BE(code, 0);
    } else {
      const length = Buffer.byteLength(data as string);
      if (length > 123) throw new RangeError('The message must not be greater than 123 bytes');
      buf = Buffer.allocUnsafe(2 + length);
      buf.writeUInt16BE(code, 0);
      if (typeof data === 'string') buf.write(data, 2);
      else if (data instanceof Uint8Array) buf.set(data, 2);
      else throw new TypeError('Second argument must be a string or a Uint8Array');
    }
    this.#submit({ kind: 'frame', data: buf, compress: false, options: this.#opts(0x08, true, false, mask, false), byteLength: buf.length, cb });
  }

  ping(data: unknown, mask: boolean, cb?: Callback): void {
    this.#control(0x09, data, mask, cb);
  }

  pong(data: unknown, mask: boolean, cb?: Callback): void {
    this.#control(0x0a, data, mask, cb);
  }

  #control(opcode: number, data: unknown, mask: boolean, cb?: Callback): void {
    if (isBlob(data)) {
      if (data.size > 125) throw new RangeError('The data size must not be greater than 125 bytes');
      this.#submit({ kind: 'blob', data, compress: false, options: this.#opts(opcode, true, false, mask, false), byteLength: data.size, cb });
      return;
    }
    const { buffer, readOnly } = typeof data === 'string' ? { buffer: Buffer.from(data), readOnly: false } : toBuffer(data ?? EMPTY_BUFFER);
    if (buffer.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    this.#submit({ kind: 'frame', data: buffer, compress: false, options: this.#opts(opcode, true, false, mask, readOnly), byteLength: buffer.length, cb });
  }

  /** Sends a data message or fragment (ws's options: binary, compress, fin, mask). */
  send(data: unknown, options: { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean }, cb?: Callback): void {
    const pmd = this._extensions['permessage-deflate'];
    let opcode = options.binary ? 2 : 1;
    let rsv1 = !!options.compress;
    let converted: Converted | undefined;
    let byteLength: number;
    if (isBlob(data)) byteLength = data.size;
    else {
      converted = typeof data === 'string' ? { buffer: Buffer.from(data), readOnly: false } : toBuffer(data);
      byteLength = converted.buffer.length;
    }
    if (this._firstFragment) {
      this._firstFragment = false;
      if (rsv1 && pmd && pmd._ourNoContextTakeover()) rsv1 = byteLength >= pmd._threshold;
      this._compress = rsv1 && pmd !== undefined;
    } else {
      rsv1 = false;
      opcode = 0;
    }
    const fin = !!options.fin;
    if (fin) this._firstFragment = true;
    const opts = this.#opts(opcode, fin, rsv1, !!options.mask, converted ? converted.readOnly : false);
    if (converted) this.#submit({ kind: 'frame', data: converted.buffer, compress: this._compress, options: opts, byteLength, cb });
    else this.#submit({ kind: 'blob', data: data as Blob, compress: this._compress, options: opts, byteLength, cb });
  }

  #opts(opcode: number, fin: boolean, rsv1: boolean, mask: boolean, readOnly: boolean): FrameOptions {
    const opts: FrameOptions = { opcode, fin, rsv1, mask, readOnly };
    if (this._maskBuffer) opts.maskBuffer = this._maskBuffer;
    if (this._generateMask) opts.generateMask = this._generateMask;
    return opts;
  }

  #submit(job: Job): void {
    if (this._state !== DEFAULT) {
      this._bufferedBytes += job.byteLength;
      this._queue.push(job);
      return;
    }
    this.#run(job);
  }

  #run(job: Job): void {
    if (job.kind === 'blob') return this.#readBlob(job);
    if (!job.compress) return this.#write(Sender.frame(job.data, job.options), job.cb);
    this.#deflate(job.data, job.options, job.cb, job.byteLength);
  }

  #deflate(data: Buffer, options: FrameOptions, cb: Callback | undefined, byteLength: number): void {
    const pmd = this._extensions['permessage-deflate']!;
    this._bufferedBytes += byteLength;
    this._state = DEFLATING;
    pmd.compress(data, options.fin ?? false, (err, compressed) => {
      if (this._socket.destroyed) {
        this.#failAll(new Error('The socket was closed while data was being compressed'), cb);
        return;
      }
      if (err) {
        this.#failAll(err, cb);
        this.onerror(err);
        return;
      }
      this._bufferedBytes -= byteLength;
      this._state = DEFAULT;
      this.#write(Sender.frame(compressed!, { ...options, readOnly: false }), cb);
      this.#dequeue();
    });
  }

  #readBlob(job: Extract<Job, { kind: 'blob' }>): void {
    this._bufferedBytes += job.byteLength;
    this._state = GET_BLOB_DATA;
    job.data.arrayBuffer().then(
      (arrayBuffer) => {
        if (this._socket.destroyed) {
          process.nextTick(() => this.#failAll(new Error('The socket was closed while the blob was being read'), job.cb));
          return;
        }
        this._bufferedBytes -= job.byteLength;
        const bytes = toBuffer(arrayBuffer).buffer;
        if (!job.compress) {
          this._state = DEFAULT;
          this.#write(Sender.frame(bytes, job.options), job.cb);
          this.#dequeue();
        } else {
          this.#deflate(bytes, job.options, job.cb, job.byteLength);
        }
      },
      (err: Error) => {
        process.nextTick(() => {
          this.#failAll(err, job.cb);
          this.onerror(err);
        });
      },
    );
  }

  #dequeue(): void {
    while (this._state === DEFAULT && this._queue.length) {
      const job = this._queue.shift()!;
      this._bufferedBytes -= job.byteLength;
      this.#run(job);
    }
  }

  /** Calls the current callback and every queued one with `err` (ws `callCallbacks`). */
  #failAll(err: Error, cb: Callback | undefined): void {
    if (typeof cb === 'function') cb(err);
    for (const job of this._queue) if (typeof job.cb === 'function') job.cb(err);
  }

  #write(list: Buffer[], cb?: Callback): void {
    if (list.length === 2) {
      this._socket.cork();
      this._socket.write(list[0]);
      this._socket.write(list[1], cb);
      this._socket.uncork();
    } else {
      this._socket.write(list[0], cb);
    }
  }
}
