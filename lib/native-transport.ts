/**
 * Rust-owned connections: the socket is adopted into the native driver, which reads, parses,
 * corks and writes inside Node's libuv loop and calls {@link dispatch} once per loop turn with
 * every event of that turn.
 */
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { errorFromRecord } from './errors';
import { Flag, fragmentsOf, Kind, native, RECORD, reportUncaught, RESULT_CLOSING, sendFlags, TABLE_RECORDS, type ConnOptions } from './native';
import type { Transport, TransportSink, WriteCallback } from './transport';

type Driver = InstanceType<typeof native.NativeDriver>;

const table = new Int32Array(RECORD * TABLE_RECORDS);
const live: (NativeTransport | undefined)[] = [];
let driver: Driver | null | undefined;

/**
 * The outbox (see `crates/node/src/driver/outbox.rs`): small sends are copied here and drained
 * by the driver once per loop turn instead of costing a native call each.
 */
const OUT_BYTES = 1 << 20;
const OUT_RECORDS = 8192;
const OUT_RECORD = 5;
/** Sends up to this size go through the outbox; larger ones are handed over directly. */
const OUT_SMALL = 16 * 1024;
const outBytes = Buffer.allocUnsafeSlow(OUT_BYTES);
const outRecords = new Int32Array(OUT_RECORD * OUT_RECORDS);
/** [records queued, bytes used, drain generation, drain requested]. */
const outState = new Int32Array(4);
/** True while the driver delivers a batch (it drains the outbox right after). */
let inDispatch = false;

/**
 * Whether this addon build has the native driver: Unix builds do; Windows builds have no
 * `NativeDriver` (it polls raw file descriptors) and report `false`.
 */
const driverBuilt: boolean = typeof native.NativeDriver === 'function' && native.nativeDriverSupported();

/** The driver of this thread, created on first use; `null` where it cannot run (e.g. Bun). */
function getDriver(): Driver | null {
  if (driver === undefined) {
    try {
      driver = !driverBuilt || process.versions['bun'] ? null : new native.NativeDriver(dispatch as (arg?: unknown) => unknown, table);
      driver?.setOutbox(outBytes, outRecords, outState);
    } catch {
      driver = null;
    }
  }
  return driver;
}

/** Whether `socket` can be handed to the native driver: plain TCP/IPC with a real fd. */
export function canAdopt(socket: unknown): socket is Socket {
  if (process.env['FERROWS_NO_NATIVE'] || !driverBuilt) return false;
  const s = socket as Socket & { _handle?: { fd?: number }; encrypted?: boolean };
  if (!s || s.encrypted || typeof s.write !== 'function' || !s._handle) return false;
  const fd = s._handle.fd;
  return typeof fd === 'number' && fd >= 0 && s.writableLength === 0 && !s.destroyed && getDriver() !== null;
}

/**
 * Dispatches one batch of records; see `crates/node/src/batch.rs`. A batch holds the events of
 * many connections: a handler that throws is reported as an uncaught exception at once (each
 * throw, as ws reports each socket's), and the rest of the batch is still delivered.
 */
function dispatch(count: number, slab: Buffer | undefined): void {
  inDispatch = true;
  for (let i = 0, at = 0; i < count; i++, at += RECORD) {
    const transport = live[table[at]!];
    if (transport === undefined) continue;
    try {
      transport.deliver(table[at + 1]!, table[at + 2]!, table[at + 3]!, table[at + 4]!, slab);
    } catch (error) {
      reportUncaught(error);
    }
  }
  inDispatch = false;
}

/** Hands queued outbox sends to the driver now (it is full, or order matters for what follows). */
function drainOutbox(d: Driver): void {
  if (outState[0]! > 0) d.drainOutbox();
}

/** The internals of `net.Server` that track open connections. */
interface CountingServer {
  _connections: number;
  _emitCloseIfDrained?: () => void;
}

/** Shared by every connection with no callback waiting (never written to). */
const NO_CALLBACKS: WriteCallback[] = [];

/** Addresses snapshotted from the Node socket before it was destroyed. */
interface Addresses {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: string | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
}

/**
 * What `ws._socket` answers for a native connection: the addresses user code reads, and the
 * socket methods ws users call (`setNoDelay`, `setKeepAlive`, `pause`, `destroy`, ...).
 */
export class NativeSocket extends EventEmitter {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly #transport: NativeTransport;
  destroyed = false;

  constructor(transport: NativeTransport, addresses: Addresses) {
    super();
    this.#transport = transport;
    this.remoteAddress = addresses.remoteAddress;
    this.remotePort = addresses.remotePort;
    this.remoteFamily = addresses.remoteFamily;
    this.localAddress = addresses.localAddress;
    this.localPort = addresses.localPort;
  }

  get readable(): boolean {
    return !this.destroyed;
  }

  get writable(): boolean {
    return !this.destroyed;
  }

  get bufferSize(): number {
    return this.#transport.bufferedAmount();
  }

  get writableLength(): number {
    return this.#transport.bufferedAmount();
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    if (this.localAddress === undefined) return {};
    return { address: this.localAddress, family: this.remoteFamily ?? 'IPv4', port: this.localPort ?? 0 };
  }

  setNoDelay(noDelay = true): this {
    this.#transport.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#transport.setKeepAlive(enable, initialDelay);
    return this;
  }

  setTimeout(_timeout: number, callback?: () => void): this {
    if (callback) this.once('timeout', callback);
    return this;
  }

  pause(): this {
    this.#transport.pause();
    return this;
  }

  resume(): this {
    this.#transport.resume();
    return this;
  }

  isPaused(): boolean {
    return this.#transport.paused;
  }

  end(): this {
    this.#transport.end();
    return this;
  }

  destroy(): this {
    this.#transport.destroy();
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

/** A connection owned by the native driver. */
export class NativeTransport implements Transport {
  readonly isNative = true;
  /** Created on first use of `ws._socket` (most servers never touch it). */
  #socket: NativeSocket | undefined;
  readonly #addresses: Addresses;
  paused = false;
  readonly #driver: Driver;
  readonly #id: number;
  readonly #sink: TransportSink;
  /** Callbacks of sends whose bytes are not written yet, in send order (`Sent` records pop them). */
  #callbacks: WriteCallback[] = NO_CALLBACKS;
  #callbackHead = 0;
  /** Payload bytes this connection has in the outbox, valid while the generation matches. */
  #outboxBytes = 0;
  #outboxGeneration = -1;
  #closed = false;
  /** A `Drain` record was asked for and has not come yet. */
  #drainArmed = false;
  /** The Node server that accepted the socket, whose connection count we hold. */
  #server: CountingServer | null = null;

  private constructor(driver: Driver, id: number, sink: TransportSink, addresses: Addresses) {
    this.#driver = driver;
    this.#id = id;
    this.#sink = sink;
    this.#addresses = addresses;
    live[id] = this;
  }

  /**
   * Adopts `socket` (which must pass {@link canAdopt}): duplicates its descriptor into the driver
   * and destroys Node's handle without sending FIN. `preface` is written first; `head` is parsed.
   */
  static adopt(socket: Socket, sink: TransportSink, isServer: boolean, options: ConnOptions, preface: Buffer | null, head: Buffer): NativeTransport {
    const driver = getDriver()!;
    const addresses: Addresses = {
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      remoteFamily: socket.remoteFamily,
      localAddress: socket.localAddress,
      localPort: socket.localPort,
    };
    const buffered = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
    const firstBytes = buffered ? Buffer.concat([head, buffered]) : head;
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    const id = driver.adopt(fd, isServer, options, preface ?? undefined, firstBytes.length ? firstBytes : undefined);
    // Destroying Node's socket makes its http server forget the connection; keep it counted so
    // `server.close(cb)` and `getConnections()` still wait for and see it, as with ws.
    const server = (socket as unknown as { _server?: CountingServer })._server ?? null;
    if (server) server._connections++;
    socket.destroy();
    const transport = new NativeTransport(driver, id, sink, addresses);
    transport.#server = server;
    return transport;
  }

  get socket(): NativeSocket {
    return (this.#socket ??= new NativeSocket(this, this.#addresses));
  }

  /** Handles one record (called by the dispatcher). */
  deliver(kind: number, a: number, b: number, c: number, slab: Buffer | undefined): void {
    switch (kind) {
      case Kind.Text:
        return this.#sink._onMessage(payload(slab, a, b), false);
      case Kind.Binary:
        return this.#sink._onMessage(payload(slab, a, b), true, c > 0 ? fragmentsOf(slab!, a, b, c) : undefined);
      case Kind.Ping:
        return this.#sink._onPing(payload(slab, a, b));
      case Kind.Pong:
        return this.#sink._onPong(payload(slab, a, b));
      case Kind.CloseFrame:
        return this.#sink._onConclude(c, payload(slab, a, b));
      case Kind.Error:
        return this.#sink._onProtocolError(errorFromRecord(slab!.toString('latin1', a, a + b), c));
      case Kind.Sent:
        return this.#sent(a, b);
      case Kind.End:
        try {
          this.#socket?.emit('end');
        } finally {
          this.#sink._onEnd();
        }
        return undefined;
      case Kind.Closed:
        return this.#onClosed(a);
      case Kind.Drain:
        this.#drainArmed = false;
        return this.#sink._onDrain();
      default:
        return undefined;
    }
  }

  /** `ok` callbacks completed, then `failed` ones refused (the connection was closing). */
  #sent(ok: number, failed: number): void {
    // One record completes many sends: a callback that throws must not strand the ones after it.
    for (let i = 0; i < ok; i++) settle(this.#nextCallback(), null);
    if (failed > 0) {
      const err = new Error('WebSocket is not open: readyState 2 (CLOSING)');
      for (let i = 0; i < failed; i++) settle(this.#nextCallback(), err);
    }
  }

  #nextCallback(): WriteCallback | undefined {
    const cb = this.#callbacks[this.#callbackHead];
    if (cb === undefined) return undefined;
    this.#callbacks[this.#callbackHead++] = undefined as unknown as WriteCallback;
    if (this.#callbackHead === this.#callbacks.length) {
      this.#callbacks = NO_CALLBACKS;
      this.#callbackHead = 0;
    }
    return cb;
  }

  #onClosed(errno: number): void {
    this.#closed = true;
    live[this.#id] = undefined;
    const socket = this.#socket;
    if (socket) socket.destroyed = true;
    const pending = this.#callbacks.slice(this.#callbackHead);
    this.#callbacks = NO_CALLBACKS;
    this.#callbackHead = 0;
    if (pending.length) {
      const err = Object.assign(new Error('Cannot call write after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' });
      for (const cb of pending) settle(cb, err);
    }
    // Listeners on `ws._socket` may throw too; the server count and 'close' must still follow.
    try {
      if (socket && errno && socket.listenerCount('error') > 0) {
        socket.emit('error', Object.assign(new Error(`socket error (errno ${errno})`), { errno }));
      }
    } catch (error) {
      reportUncaught(error);
    }
    try {
      socket?.emit('close', errno !== 0);
    } catch (error) {
      reportUncaught(error);
    }
    const server = this.#server;
    this.#server = null;
    if (server) {
      server._connections--;
      server._emitCloseIfDrained?.();
    }
    this.#sink._onTransportClose();
  }

  /** Registers a callback for a send handed over directly (`position` < 0: refused). */
  #track(position: number, cb: WriteCallback | undefined): void {
    if (cb === undefined) return;
    if (position < 0) {
      process.nextTick(cb, new Error('WebSocket is not open: readyState 2 (CLOSING)'));
      return;
    }
    this.#pushCallback(cb);
  }

  #pushCallback(cb: WriteCallback): void {
    if (this.#callbacks === NO_CALLBACKS) this.#callbacks = [];
    this.#callbacks.push(cb);
  }

  send(data: Buffer | string, flags: number, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    if (this.#closed) return this.#track(RESULT_CLOSING, cb);
    if (cb !== undefined) flags |= Flag.Notify;
    const small = typeof data === 'string' ? data.length <= OUT_SMALL / 3 : data.length <= OUT_SMALL;
    if (small) return this.#queue(data, flags, maskKey, cb);
    drainOutbox(this.#driver);
    const position =
      typeof data === 'string'
        ? this.#driver.sendText(this.#id, data, flags, maskKey)
        : this.#driver.send(this.#id, data, flags, maskKey);
    this.#track(position, cb);
  }

  /** Copies a small send into the outbox; the driver frames it at the next drain. */
  #queue(data: Buffer | string, flags: number, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    let count = outState[0]!;
    let at = outState[1]!;
    const room = typeof data === 'string' ? data.length * 3 : data.length;
    if (count === OUT_RECORDS || at + room > OUT_BYTES) {
      this.#driver.drainOutbox();
      count = 0;
      at = 0;
    }
    let length: number;
    if (typeof data === 'string') length = outBytes.write(data, at, 'utf8');
    else {
      outBytes.set(data, at);
      length = data.length;
    }
    outState[1] = at + length;
    this.#record(count, flags, at, length, maskKey, cb);
  }

  /** Appends outbox record `count` (payload already placed) and accounts for it. */
  #record(count: number, flags: number, offset: number, length: number, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    const rec = count * OUT_RECORD;
    outRecords[rec] = this.#id;
    outRecords[rec + 1] = maskKey === undefined ? flags : flags | Flag.Key;
    outRecords[rec + 2] = offset;
    outRecords[rec + 3] = length;
    outRecords[rec + 4] = maskKey ?? 0;
    outState[0] = count + 1;
    if (this.#outboxGeneration !== outState[2]) {
      this.#outboxGeneration = outState[2]!;
      this.#outboxBytes = 0;
    }
    // bufferedAmount counts framing bytes too (ws-api W4): the header and, when masked, the key.
    this.#outboxBytes += length + (length < 126 ? 2 : length < 65536 ? 4 : 10) + (flags & Flag.Mask ? 4 : 0);
    if (cb !== undefined) this.#pushCallback(cb);
    if (!inDispatch && outState[3] === 0) {
      outState[3] = 1;
      this.#driver.requestFlush();
    }
  }

  ping(data: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    this.#control(false, data, mask, maskKey, cb);
  }

  pong(data: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    this.#control(true, data, mask, maskKey, cb);
  }

  #control(pong: boolean, data: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback | undefined): void {
    if (this.#closed) return this.#track(RESULT_CLOSING, cb);
    drainOutbox(this.#driver);
    const flags = sendFlags(false, true, false, mask, cb !== undefined);
    this.#track(this.#driver.control(this.#id, pong, data, flags, maskKey), cb);
  }

  close(code: number | undefined, reason: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback): void {
    if (this.#closed) return this.#track(RESULT_CLOSING, cb);
    drainOutbox(this.#driver);
    const flags = sendFlags(false, true, false, mask, true);
    this.#track(this.#driver.close(this.#id, code ?? -1, reason, flags, maskKey), cb);
  }

  end(): void {
    if (this.#closed) return;
    drainOutbox(this.#driver);
    this.#driver.end(this.#id);
  }

  destroy(): void {
    if (this.#closed) return;
    drainOutbox(this.#driver);
    this.#driver.terminate(this.#id);
  }

  pause(): void {
    this.paused = true;
    if (!this.#closed) this.#driver.setPaused(this.#id, true);
  }

  resume(): void {
    this.paused = false;
    if (!this.#closed) this.#driver.setPaused(this.#id, false);
  }

  bufferedAmount(): number {
    if (this.#closed) return 0;
    const queued = this.#outboxGeneration === outState[2] ? this.#outboxBytes : 0;
    const amount = this.#driver.bufferedAmount(this.#id) + queued;
    if (amount > 0 && !this.#drainArmed) {
      this.#drainArmed = true;
      this.#driver.armDrain(this.#id);
    }
    return amount;
  }

  setNoDelay(on: boolean): void {
    if (!this.#closed) this.#driver.setNoDelay(this.#id, on);
  }

  setKeepAlive(on: boolean, delayMs: number): void {
    if (!this.#closed) this.#driver.setKeepAlive(this.#id, on, delayMs);
  }
}

/** Runs a send callback; a throw is reported as uncaught and the caller goes on. */
function settle(cb: WriteCallback | undefined, err: Error | null): void {
  if (cb === undefined) return;
  try {
    cb(err);
  } catch (error) {
    reportUncaught(error);
  }
}

/** A payload: a view into this batch's slab (each batch has its own). */
function payload(slab: Buffer | undefined, offset: number, length: number): Buffer {
  return slab === undefined || length === 0 ? Buffer.alloc(0) : slab.subarray(offset, offset + length);
}

/** Live native connections (for tests). */
export function nativeConnections(): number {
  return driver ? driver.connections : 0;
}
