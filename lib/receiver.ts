/**
 * ws's exported `Receiver` (`lib/receiver.js`): a Writable that parses frames and emits
 * `message`, `ping`, `pong`, `conclude` and `error`. It runs the same Rust engine as every
 * connection, with automatic replies disabled (a Receiver only reads).
 */
import { Writable } from 'node:stream';
import { toArrayBuffer } from './buffer-util';
import { BINARY_TYPES, kWebSocket, type BinaryType } from './constants';
import { errorFromRecord } from './errors';
import { fragmentsOf, Kind, native, RECORD, TABLE_RECORDS } from './native';
import type { PerMessageDeflate } from './permessage-deflate';

const table = new Int32Array(RECORD * TABLE_RECORDS);

export interface ReceiverOptions {
  allowSynchronousEvents?: boolean;
  binaryType?: BinaryType;
  extensions?: Record<string, PerMessageDeflate>;
  isServer?: boolean;
  maxBufferedChunks?: number;
  maxFragments?: number;
  maxPayload?: number;
  skipUTF8Validation?: boolean;
}

export class Receiver extends Writable {
  _allowSynchronousEvents: boolean;
  _binaryType: BinaryType;
  _extensions: Record<string, PerMessageDeflate>;
  _isServer: boolean;
  _maxBufferedChunks: number;
  _maxFragments: number;
  _maxPayload: number;
  _skipUTF8Validation: boolean;
  readonly #engine: InstanceType<typeof native.Engine>;
  #concluded = false;

  constructor(options: ReceiverOptions = {}) {
    super();
    this._allowSynchronousEvents = options.allowSynchronousEvents ?? true;
    this._binaryType = options.binaryType ?? (BINARY_TYPES[0] as BinaryType);
    this._extensions = options.extensions ?? {};
    this._isServer = !!options.isServer;
    this._maxBufferedChunks = (options.maxBufferedChunks ?? 0) | 0;
    this._maxFragments = (options.maxFragments ?? 0) | 0;
    this._maxPayload = (options.maxPayload ?? 0) | 0;
    this._skipUTF8Validation = !!options.skipUTF8Validation;
    (this as Record<symbol, unknown>)[kWebSocket] = undefined;
    const pmd = this._extensions['permessage-deflate'];
    this.#engine = new native.Engine(
      this._isServer,
      {
        maxPayload: this._maxPayload,
        maxFragments: this._maxFragments,
        maxBufferedChunks: this._maxBufferedChunks,
        maxPendingAutoPongs: 0,
        autoPong: false,
        skipUTF8Validation: this._skipUTF8Validation,
        deflate: pmd ? pmd._engineOptions() : undefined,
      },
      table,
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#concluded) return cb();
    const engine = this.#engine;
    let count = engine.receive(chunk, Date.now());
    let start = 0;
    let slab: Buffer | undefined;
    const events: (() => void)[] = [];
    let error: Error | undefined;
    while (count > 0) {
      for (let i = 0, at = 0; i < count; i++, at += RECORD) {
        const kind = table[at + 1]!;
        const a = table[at + 2]!;
        const b = table[at + 3]!;
        const c = table[at + 4]!;
        if (b > 0 || (kind === Kind.Binary && c > 0)) slab ??= engine.slab();
        const bytes = b > 0 ? slab!.subarray(a, a + b) : Buffer.alloc(0);
        if (kind === Kind.Error) error = errorFromRecord(bytes.toString('latin1'), c);
        else if (kind === Kind.Binary && c > 0) events.push(this.#event(kind, bytes, c, fragmentsOf(slab!, a, b, c)));
        else events.push(this.#event(kind, bytes, c));
      }
      start += count;
      count = count === TABLE_RECORDS ? engine.nextRecords(start) : 0;
    }
    this.#emitAll(events, () => cb(error));
  }

  #event(kind: number, bytes: Buffer, code: number, fragments?: Buffer[]): () => void {
    switch (kind) {
      case Kind.Text:
        return () => this.emit('message', bytes, false);
      case Kind.Binary:
        return () => this.emit('message', this.#binary(bytes, fragments), true);
      case Kind.Ping:
        return () => this.emit('ping', bytes);
      case Kind.Pong:
        return () => this.emit('pong', bytes);
      case Kind.CloseFrame:
        return () => {
          this.#concluded = true;
          this.emit('conclude', code, bytes);
          this.end();
        };
      default:
        return () => {};
    }
  }

  #binary(bytes: Buffer, fragments: Buffer[] | undefined): unknown {
    if (this._binaryType === 'arraybuffer') return toArrayBuffer(bytes);
    if (this._binaryType === 'fragments') return fragments ?? [bytes];
    if (this._binaryType === 'blob') return new Blob([bytes]);
    return bytes;
  }

  #emitAll(events: (() => void)[], done: () => void): void {
    if (this._allowSynchronousEvents) {
      for (const emit of events) emit();
      return done();
    }
    const next = (): void => {
      const emit = events.shift();
      if (!emit) return done();
      setImmediate(() => {
        emit();
        next();
      });
    };
    next();
  }
}
