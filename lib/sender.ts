/**
 * ws's exported `Sender` (`lib/sender.js`): `Sender.frame()`, which third-party code uses to
 * pre-frame broadcasts, and a Sender instance writing frames to a socket. Connections made by
 * this library do not use it — their frames come from the Rust engine — but its shapes match ws.
 */
import { randomFillSync } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { isBlob, isValidStatusCode, toBuffer } from './buffer-util';
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

export class Sender {
  readonly _socket: Duplex;
  readonly _extensions: Record<string, PerMessageDeflate>;
  readonly _generateMask: ((mask: Buffer) => void) | undefined;
  readonly _maskBuffer: Buffer = Buffer.alloc(4);
  _bufferedBytes = 0;
  _firstFragment = true;
  _compress = false;
  onerror: (err: Error) => void = () => {};

  constructor(socket: Duplex, extensions?: Record<string, PerMessageDeflate>, generateMask?: (mask: Buffer) => void) {
    this._socket = socket;
    this._extensions = extensions ?? {};
    this._generateMask = generateMask;
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
    this.#write(Sender.frame(buf, this.#opts(0x08, true, false, mask, false)), cb);
  }

  ping(data: unknown, mask: boolean, cb?: Callback): void {
    this.#control(0x09, data, mask, cb);
  }

  pong(data: unknown, mask: boolean, cb?: Callback): void {
    this.#control(0x0a, data, mask, cb);
  }

  #control(opcode: number, data: unknown, mask: boolean, cb?: Callback): void {
    const { buffer, readOnly } = typeof data === 'string' ? { buffer: Buffer.from(data), readOnly: false } : toBuffer(data ?? EMPTY_BUFFER);
    if (buffer.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    this.#write(Sender.frame(buffer, this.#opts(opcode, true, false, mask, readOnly)), cb);
  }

  send(data: unknown, options: { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean }, cb?: Callback): void {
    if (isBlob(data)) {
      data.arrayBuffer().then((ab) => this.send(Buffer.from(ab), options, cb), (err: Error) => this.onerror(err));
      return;
    }
    const pmd = this._extensions['permessage-deflate'];
    let opcode = options.binary ? 2 : 1;
    let rsv1 = !!options.compress;
    const converted = typeof data === 'string' ? { buffer: Buffer.from(data), readOnly: false } : toBuffer(data);
    if (this._firstFragment) {
      this._firstFragment = false;
      if (rsv1 && pmd && pmd._ourNoContextTakeover()) rsv1 = converted.buffer.length >= pmd._threshold;
      this._compress = rsv1 && pmd !== undefined;
    } else {
      rsv1 = false;
      opcode = 0;
    }
    const fin = options.fin ?? true;
    if (fin) this._firstFragment = true;
    if (!this._compress || !pmd) {
      this.#write(Sender.frame(converted.buffer, this.#opts(opcode, fin, false, !!options.mask, converted.readOnly)), cb);
      return;
    }
    pmd.compress(converted.buffer, fin, (err, compressed) => {
      if (err) return this.onerror(err);
      this.#write(Sender.frame(compressed!, this.#opts(opcode, fin, rsv1, !!options.mask, false)), cb);
    });
  }

  #opts(opcode: number, fin: boolean, rsv1: boolean, mask: boolean, readOnly: boolean): FrameOptions {
    const opts: FrameOptions = { opcode, fin, rsv1, mask, maskBuffer: this._maskBuffer, readOnly };
    if (this._generateMask) opts.generateMask = this._generateMask;
    return opts;
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
