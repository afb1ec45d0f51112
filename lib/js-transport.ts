/**
 * JavaScript-owned connections: a Node `Duplex` (TLS socket, in-memory pair, anything handed to
 * `handleUpgrade`) carries the bytes; the Rust engine parses and frames them. This mirrors how ws
 * wires its Receiver and Sender to `socket` (ws `lib/websocket.js` `setSocket`).
 */
import type { Duplex } from 'node:stream';
import { errorFromRecord } from './errors';
import { cancelStream, isHttp2Stream } from './http2-stream';
import { fragmentsOf, Kind, native, RECORD, sendFlags, TABLE_RECORDS, type ConnOptions } from './native';
import type { Transport, TransportSink, WriteCallback } from './transport';

type Engine = InstanceType<typeof native.Engine>;

/** One record table per thread: engines fill it synchronously inside `receive`. */
const table = new Int32Array(RECORD * TABLE_RECORDS);

type Stream = Duplex & {
  setTimeout?: (ms: number) => void;
  setNoDelay?: (noDelay?: boolean) => void;
};

/** A connection whose socket JavaScript reads and writes. */
export class JsTransport implements Transport {
  readonly isNative = false;
  readonly socket: Stream;
  readonly #engine: Engine;
  readonly #sink: TransportSink;
  #closed = false;

  constructor(socket: Stream, sink: TransportSink, isServer: boolean, options: ConnOptions, head: Buffer) {
    this.socket = socket;
    this.#sink = sink;
    this.#engine = new native.Engine(isServer, options, table);
    if (socket.setTimeout) socket.setTimeout(0);
    if (socket.setNoDelay) socket.setNoDelay();
    if (head.length > 0) socket.unshift(head);
    socket.on('close', this.#onClose);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    const engine = this.#engine;
    let count = engine.receive(chunk, Date.now());
    let slab: Buffer | undefined;
    let start = 0;
    while (count > 0) {
      for (let i = 0, at = 0; i < count; i++, at += RECORD) {
        if (table[at + 1]! <= Kind.Error && (table[at + 3]! > 0 || table[at + 4]! > 0)) slab ??= engine.slab();
        this.#deliver(table[at + 1]!, table[at + 2]!, table[at + 3]!, table[at + 4]!, slab);
      }
      start += count;
      count = count === TABLE_RECORDS ? engine.nextRecords(start) : 0;
    }
    engine.commit(Date.now());
    this.#flush(undefined);
    if (engine.aborted) this.destroy();
    else if (engine.shouldShutdown) this.socket.end();
  };

  #deliver(kind: number, a: number, b: number, c: number, slab: Buffer | undefined): void {
    const bytes = b > 0 ? slab!.subarray(a, a + b) : Buffer.alloc(0);
    switch (kind) {
      case Kind.Text:
        return this.#sink._onMessage(bytes, false);
      case Kind.Binary:
        return this.#sink._onMessage(bytes, true, c > 0 ? fragmentsOf(slab!, a, b, c) : undefined);
      case Kind.Ping:
        return this.#sink._onPing(bytes);
      case Kind.Pong:
        return this.#sink._onPong(bytes);
      case Kind.CloseFrame:
        return this.#sink._onConclude(c, bytes);
      case Kind.Error:
        return this.#sink._onProtocolError(errorFromRecord(bytes.toString('latin1'), c));
      default:
        return undefined;
    }
  }

  readonly #onEnd = (): void => {
    this.#engine.receiveEof();
    this.#sink._onEnd();
    this.socket.end();
  };

  readonly #onError = (): void => {
    this.socket.removeListener('error', this.#onError);
    this.socket.on('error', () => {});
    this.destroy();
  };

  readonly #onClose = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.removeListener('data', this.#onData);
    this.socket.removeListener('end', this.#onEnd);
    this.#sink._onTransportClose();
  };

  /** Writes everything the engine queued; `cb` fires when those bytes are flushed. */
  #flush(cb: WriteCallback | undefined): void {
    const out = this.#engine.takeOutput();
    if (out) this.socket.write(out, cb);
    else if (cb) process.nextTick(cb);
  }

  #fail(cb: WriteCallback | undefined): void {
    if (cb) process.nextTick(cb, new Error('WebSocket is not open: readyState 2 (CLOSING)'));
  }

  send(data: Buffer | string, flags: number, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.#engine.send(bytes, flags, maskKey) < 0) return this.#fail(cb);
    this.#flush(cb);
  }

  ping(data: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    if (this.#engine.control(false, data, sendFlags(false, true, false, mask, false), maskKey) < 0) return this.#fail(cb);
    this.#flush(cb);
  }

  pong(data: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    if (this.#engine.control(true, data, sendFlags(false, true, false, mask, false), maskKey) < 0) return this.#fail(cb);
    this.#flush(cb);
  }

  close(code: number | undefined, reason: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback): void {
    const flags = sendFlags(false, true, false, mask, false);
    if (this.#engine.close(code ?? -1, reason, Date.now(), flags, maskKey) < 0) return this.#fail(cb);
    this.#flush(cb);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    if (isHttp2Stream(this.socket)) cancelStream(this.socket);
    else this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  bufferedAmount(): number {
    return this.socket.writableLength;
  }
}
