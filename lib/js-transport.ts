/**
 * JavaScript-owned connections: a Node `Duplex` (TLS socket, in-memory pair, anything handed to
 * `handleUpgrade`) carries the bytes; the Rust engine parses and frames them. This mirrors how ws
 * wires its Receiver and Sender to `socket` (ws `lib/websocket.js` `setSocket`).
 */
import type { Duplex } from 'node:stream';
import { errorFromRecord } from './errors';
import { unwatch, watch, type Beating } from './heartbeat';
import { cancelStream, isHttp2Stream } from './http2-stream';
import { fragmentsOf, Kind, native, RECORD, reportUncaught, sendFlags, TABLE_RECORDS, type ConnOptions } from './native';
import type { Transport, TransportSink, WriteCallback } from './transport';

type Engine = InstanceType<typeof native.Engine>;

const EMPTY = Buffer.alloc(0);

/** One record table per thread: engines fill it synchronously inside `receive`. */
const table = new Int32Array(RECORD * TABLE_RECORDS);

type Stream = Duplex & {
  setTimeout?: (ms: number) => void;
  setNoDelay?: (noDelay?: boolean) => void;
};

/** A connection whose socket JavaScript reads and writes. */
export class JsTransport implements Transport, Beating {
  readonly isNative = false;
  readonly socket: Stream;
  readonly #engine: Engine;
  readonly #sink: TransportSink;
  #closed = false;
  /**
   * True while the events of one read are delivered: what handlers send then stays in the
   * engine and leaves in one write after the last event (an echo of 16 messages read together is
   * one write, and over HTTP/2 one DATA frame, not 16).
   */
  #delivering = false;
  /** The callbacks of the sends held while delivering (created only when a send has one). */
  #held: WriteCallback[] | null = null;
  /** The engine's output position after the last queued frame, and the bytes taken from it. */
  #queued = 0;
  #taken = 0;
  /** A `_onDrain` report is pending (a socket `'drain'` or an empty write's callback). */
  #drainArmed = false;

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
    if (this.#engine.startHeartbeat(Date.now())) {
      watch(this, { heartbeatInterval: options.heartbeatInterval!, heartbeatTimeout: options.heartbeatTimeout! });
    }
  }

  /** The shared heartbeat timer's call: a ping to write, or a peer to drop. */
  beat(now: number): void {
    if (this.#closed) return;
    this.#engine.handleTimeout(now);
    if (this.#engine.aborted) this.destroy();
    else this.#flush(undefined);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    const engine = this.#engine;
    let count = engine.receive(chunk, Date.now());
    let slab: Buffer | undefined;
    let start = 0;
    this.#delivering = true;
    try {
      while (count > 0) {
        for (let i = 0, at = 0; i < count; i++, at += RECORD) {
          if (table[at + 1]! <= Kind.Error && (table[at + 3]! > 0 || table[at + 4]! > 0)) slab ??= engine.slab();
          try {
            this.#deliver(table[at + 1]!, table[at + 2]!, table[at + 3]!, table[at + 4]!, slab);
          } catch (error) {
            // As on the native path: each throw is reported, the read's other events still run.
            reportUncaught(error);
          }
        }
        start += count;
        count = count === TABLE_RECORDS ? engine.nextRecords(start) : 0;
      }
    } finally {
      this.#delivering = false;
      const held = this.#held;
      this.#held = null;
      engine.commit(Date.now());
      this.#flush(held === null ? undefined : held.length === 1 ? held[0] : (err) => runAll(held, err));
    }
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
    unwatch(this);
    this.socket.removeListener('data', this.#onData);
    this.socket.removeListener('end', this.#onEnd);
    this.#sink._onTransportClose();
  };

  /** Writes everything the engine queued; `cb` fires when those bytes are flushed. */
  #flush(cb: WriteCallback | undefined): void {
    if (this.#delivering) {
      if (cb) (this.#held ??= []).push(cb);
      return;
    }
    const out = this.#engine.takeOutput();
    if (out) {
      this.#taken += out.length;
      if (!this.socket.write(out, cb) && !this.#drainArmed) {
        this.#drainArmed = true;
        this.socket.once('drain', this.#drained);
      }
    } else if (cb) process.nextTick(cb);
  }

  /** Records where a queued frame ends; false when the engine refused it (closing). */
  #queuedTo(end: number): boolean {
    if (end < 0) return false;
    this.#queued = end;
    return true;
  }

  #fail(cb: WriteCallback | undefined): void {
    if (cb) process.nextTick(cb, new Error('WebSocket is not open: readyState 2 (CLOSING)'));
  }

  send(data: Buffer | string, flags: number, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (!this.#queuedTo(this.#engine.send(bytes, flags, maskKey))) return this.#fail(cb);
    this.#flush(cb);
  }

  ping(data: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    if (!this.#queuedTo(this.#engine.control(false, data, sendFlags(false, true, false, mask, false), maskKey))) return this.#fail(cb);
    this.#flush(cb);
  }

  pong(data: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    if (!this.#queuedTo(this.#engine.control(true, data, sendFlags(false, true, false, mask, false), maskKey))) return this.#fail(cb);
    this.#flush(cb);
  }

  close(code: number | undefined, reason: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback): void {
    const flags = sendFlags(false, true, false, mask, false);
    if (!this.#queuedTo(this.#engine.close(code ?? -1, reason, Date.now(), flags, maskKey))) return this.#fail(cb);
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
    const held = this.#delivering ? Math.max(0, this.#queued - this.#taken) : 0;
    const amount = this.socket.writableLength + held;
    if (amount > 0 && !this.#drainArmed && !this.#closed) this.#armDrain();
    return amount;
  }

  /**
   * Asks to hear when the socket's queue is empty: its `'drain'` when a write returned false,
   * else the callback of an empty write, which completes after every write before it.
   */
  #armDrain(): void {
    this.#drainArmed = true;
    if (this.socket.writableNeedDrain) this.socket.once('drain', this.#drained);
    else this.socket.write(EMPTY, this.#drained);
  }

  readonly #drained = (): void => {
    this.#drainArmed = false;
    if (this.#closed || this.socket.destroyed) return;
    // Bytes written since the report was asked for re-arm it (bufferedAmount() does).
    if (this.bufferedAmount() === 0) this.#sink._onDrain();
  };
}

/** Completes the callbacks of the sends that left in one write. */
function runAll(callbacks: WriteCallback[], err?: Error | null): void {
  for (const cb of callbacks) cb(err);
}
