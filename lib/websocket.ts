/**
 * The ws-compatible `WebSocket` (ws `lib/websocket.js`): the same states, events, errors and
 * quirks, over a {@link Transport} that runs the Rust engine either on a Rust-owned socket in
 * Node's loop or on a JavaScript-owned stream.
 */
import { EventEmitter } from 'node:events';
import { isUint8Array } from 'node:util/types';
import type { ClientRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import { byteLengthOf, bytesOf, isBlob, isValidStatusCode, toArrayBuffer } from './buffer-util';
import {
  BINARY_TYPES,
  CLOSE_TIMEOUT,
  CLOSED,
  CLOSING,
  CONNECTING,
  EMPTY_BUFFER,
  kForOnEventAttribute,
  kListener,
  OPEN,
  READY_STATES,
  type BinaryType,
} from './constants';
import { addEventListener, removeEventListener } from './event-target';
import type { ProtocolError } from './errors';
import { JsTransport } from './js-transport';
import type { Heartbeat } from './heartbeat';
import { sendFlags, type ConnOptions } from './native';
import { canAdopt, NativeTransport } from './native-transport';
import type { PerMessageDeflate } from './permessage-deflate';
import type { Transport, TransportSink, WriteCallback } from './transport';

/** Options `setSocket` receives (ws's internal contract, S20/W18). */
export interface SetSocketOptions {
  allowSynchronousEvents?: boolean;
  generateMask?: (mask: Buffer) => void;
  maxBufferedChunks?: number;
  maxFragments?: number;
  maxPayload?: number;
  skipUTF8Validation?: boolean;
  /** Cap on `bufferedAmount` for `send()` (0: none); see {@link WebSocket._overCap}. */
  maxBufferedAmount?: number;
  backpressurePolicy?: BackpressurePolicy;
  /** The server's checked `heartbeat` option (see lib/heartbeat.ts). */
  heartbeat?: Heartbeat | null;
  /** Bytes to write before any frame (our server's 101 response), when the socket is adopted. */
  _preface?: Buffer;
}

type Deferred = () => void;

/** What `send()` does past `maxBufferedAmount`: close the connection (1008), or refuse the message. */
export type BackpressurePolicy = 'close' | 'drop';

/** The close code of the `'close'` policy: 1008 (Policy Violation), see README "Backpressure". */
export const BACKPRESSURE_CLOSE_CODE = 1008;

/** Shared until an extension is negotiated (then replaced, never mutated). */
const NO_EXTENSIONS: Record<string, PerMessageDeflate> = Object.freeze({}) as Record<string, PerMessageDeflate>;

/** The deflate parameters the engine needs, from an accepted PerMessageDeflate. */
function deflateOptions(pmd: PerMessageDeflate | undefined): ConnOptions['deflate'] {
  return pmd ? pmd._engineOptions() : undefined;
}

export class WebSocket extends EventEmitter implements TransportSink {
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  _binaryType: BinaryType = 'nodebuffer';
  _closeCode = 1006;
  _closeFrameReceived = false;
  _closeFrameSent = false;
  _closeMessage: Buffer = EMPTY_BUFFER;
  _closeTimer: NodeJS.Timeout | null = null;
  _errorEmitted = false;
  _extensions: Record<string, PerMessageDeflate> = NO_EXTENSIONS;
  _paused = false;
  _protocol = '';
  _readyState: number = CONNECTING;
  _receiver: null = null;
  _sender: null = null;
  _transport: Transport | null = null;
  _isServer: boolean;
  _bufferedAmount = 0;
  _url: string | undefined;
  _req: ClientRequest | null = null;
  _redirects = 0;
  _autoPong = true;
  _closeTimeout: number = CLOSE_TIMEOUT;
  _maxPendingAutoPongs = 60;
  _allowSynchronousEvents = true;
  _generateMask: ((mask: Buffer) => void) | undefined;
  _deferred: Deferred[] | null = null;
  _drainScheduled = false;
  _receiverErrored = false;
  /** Frames waiting behind a Blob read, in call order (null: nothing pending). */
  _queue: { blob: boolean; run: () => void }[] | null = null;
  _ctorOptions: Record<string, unknown>;
  /** `maxBufferedAmount` (0: no cap, as in ws) and what happens past it. */
  _maxBufferedAmount = 0;
  _backpressurePolicy: BackpressurePolicy = 'close';

  constructor(address: string | URL | null, protocols?: unknown, options?: Record<string, unknown>) {
    super();
    this._isServer = address === null;
    let opts: Record<string, unknown> = options ?? {};
    if (address !== null) {
      const normalized = normalizeProtocols(protocols, options);
      opts = clientInit(this, address, normalized.protocols, normalized.options);
    }
    this._ctorOptions = opts;
    this._autoPong = opts['autoPong'] !== false;
    this._maxPendingAutoPongs = opts['maxPendingAutoPongs'] === undefined ? 60 : (opts['maxPendingAutoPongs'] as number) | 0;
    this._closeTimeout = (opts['closeTimeout'] as number | undefined) ?? CLOSE_TIMEOUT;
  }

  /** The underlying socket (ws's undocumented `_socket`): a Node socket, or the native facade. */
  get _socket(): object | null {
    return this._transport === null ? null : this._transport.socket;
  }

  get binaryType(): BinaryType {
    return this._binaryType;
  }

  set binaryType(type: BinaryType) {
    if (!BINARY_TYPES.includes(type)) return;
    this._binaryType = type;
  }

  get bufferedAmount(): number {
    if (!this._transport) return this._bufferedAmount;
    return this._transport.bufferedAmount() + this._bufferedAmount;
  }

  get extensions(): string {
    return Object.keys(this._extensions).join();
  }

  get isPaused(): boolean {
    return this._paused;
  }

  get protocol(): string {
    return this._protocol;
  }

  get readyState(): number {
    return this._readyState;
  }

  get url(): string | undefined {
    return this._url;
  }

  declare onopen: ((event: unknown) => void) | null;
  declare onerror: ((event: unknown) => void) | null;
  declare onclose: ((event: unknown) => void) | null;
  declare onmessage: ((event: unknown) => void) | null;
  declare addEventListener: typeof addEventListener;
  declare removeEventListener: typeof removeEventListener;

  /**
   * Attaches the upgraded socket (ws's internal contract). Plain TCP sockets are adopted by the
   * native driver; anything else stays a JavaScript stream driven through the same engine.
   */
  setSocket(socket: Duplex, head: Buffer, options: SetSocketOptions): void {
    this._allowSynchronousEvents = options.allowSynchronousEvents !== false;
    this._generateMask = options.generateMask;
    this._maxBufferedAmount = options.maxBufferedAmount ?? 0;
    this._backpressurePolicy = options.backpressurePolicy === 'drop' ? 'drop' : 'close';
    const conn: ConnOptions = {
      maxPayload: options.maxPayload ?? 100 * 1024 * 1024,
      maxFragments: options.maxFragments ?? 16 * 1024,
      maxBufferedChunks: options.maxBufferedChunks ?? 256 * 1024,
      maxPendingAutoPongs: this._autoPong ? this._maxPendingAutoPongs : 0,
      skipUTF8Validation: !!options.skipUTF8Validation,
      autoPong: this._autoPong,
      closeTimeout: this._closeTimeout,
      deflate: deflateOptions(this._extensions['permessage-deflate']),
      ...options.heartbeat,
    };
    if (canAdopt(socket)) {
      this._transport = NativeTransport.adopt(socket, this, this._isServer, conn, options._preface ?? null, head);
    } else {
      if (options._preface) socket.write(options._preface);
      this._transport = new JsTransport(socket, this, this._isServer, conn, head);
    }
    this._readyState = OPEN;
    this.emit('open');
  }

  emitClose(): void {
    this._readyState = CLOSED;
    const pmd = this._extensions['permessage-deflate'];
    if (pmd) pmd.cleanup();
    this.emit('close', this._closeCode, this._closeMessage);
  }

  close(code?: number, data?: string | Buffer | Uint8Array): void {
    if (this._readyState === CLOSED) return;
    if (this._readyState === CONNECTING) {
      abortHandshake(this, this._req, 'WebSocket was closed before the connection was established');
      return;
    }
    const transport = this._transport!;
    if (this._readyState === CLOSING) {
      if (this._closeFrameSent && (this._closeFrameReceived || this._receiverErrored)) transport.end();
      return;
    }
    const reason = validateClose(code, data);
    const mask = !this._isServer;
    this._enqueue(() => {
      const maskKey = mask && this._generateMask ? this._nextMaskKey() : undefined;
      transport.close(code, reason, mask, maskKey, (err) => {
        if (err) return;
        this._closeFrameSent = true;
      });
    });
    this._readyState = CLOSING;
    this._setCloseTimer();
  }

  _setCloseTimer(): void {
    if (this._transport?.isNative || this._closeTimer) return;
    const transport = this._transport;
    this._closeTimer = setTimeout(() => transport?.destroy(), this._closeTimeout);
  }

  pause(): void {
    if (this._readyState === CONNECTING || this._readyState === CLOSED) return;
    this._paused = true;
    this._transport!.pause();
  }

  resume(): void {
    if (this._readyState === CONNECTING || this._readyState === CLOSED) return;
    this._paused = false;
    this._transport!.resume();
  }

  ping(data?: unknown, mask?: unknown, cb?: unknown): void {
    this._control(false, data, mask, cb);
  }

  pong(data?: unknown, mask?: unknown, cb?: unknown): void {
    this._control(true, data, mask, cb);
  }

  _control(pong: boolean, data: unknown, mask: unknown, cb: unknown): void {
    if (this._readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (typeof data === 'function') [cb, data, mask] = [data, undefined, undefined];
    else if (typeof mask === 'function') [cb, mask] = [mask, undefined];
    if (typeof data === 'number') data = data.toString();
    const callback = cb as WriteCallback | undefined;
    if (this._readyState !== OPEN) return sendAfterClose(this, data, callback);
    const bytes = data ? bytesOf(data) : EMPTY_BUFFER;
    if (bytes.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    const useMask = mask === undefined ? !this._isServer : !!mask;
    const transport = this._transport!;
    this._enqueue(() => {
      const maskKey = useMask && this._generateMask ? this._nextMaskKey() : undefined;
      if (pong) transport.pong(bytes, useMask, maskKey, callback);
      else transport.ping(bytes, useMask, maskKey, callback);
    });
  }

  send(data: unknown, options?: unknown, cb?: unknown): void {
    if (this._readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (typeof options === 'function') [cb, options] = [options, {}];
    if (typeof data === 'number') data = data.toString();
    const callback = cb as WriteCallback | undefined;
    if (this._readyState !== OPEN) return sendAfterClose(this, data, callback);
    const o = options as { binary?: boolean; mask?: boolean; compress?: boolean; fin?: boolean } | undefined;
    const binary = o?.binary ?? typeof data !== 'string';
    const compress = (o?.compress ?? true) && this._extensions['permessage-deflate'] !== undefined;
    const fin = o?.fin ?? true;
    const mask = o?.mask ?? !this._isServer;
    if (isBlob(data)) return this._sendBlob(data, binary, compress, fin, mask, callback);
    const payload = typeof data === 'string' ? data : data ? bytesOf(data) : EMPTY_BUFFER;
    const flags = sendFlags(binary, fin, compress, mask, false);
    if (this._queue !== null) {
      this._queue.push({ blob: false, run: () => this._sendNow(payload, flags, mask, callback) });
      return;
    }
    this._sendNow(payload, flags, mask, callback);
  }

  _sendNow(payload: Buffer | string, flags: number, mask: boolean, cb: WriteCallback | undefined): void {
    if (this._maxBufferedAmount > 0 && this._overCap(payload, cb)) return;
    const maskKey = mask && this._generateMask ? this._nextMaskKey() : undefined;
    this._transport!.send(payload, flags, maskKey, cb);
  }

  /**
   * Whether queuing `payload` would take `bufferedAmount` past `maxBufferedAmount`; if so applies
   * the policy: `'drop'` refuses the message, `'close'` also starts the closing handshake with
   * 1008. Either way the callback gets an `ERR_WS_BACKPRESSURE` error and nothing is queued.
   */
  _overCap(payload: Buffer | string, cb: WriteCallback | undefined): boolean {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const buffered = this.bufferedAmount;
    if (buffered + size <= this._maxBufferedAmount) return false;
    if (cb) {
      const err = Object.assign(
        new Error(`WebSocket send queue is full: ${buffered} bytes buffered, maxBufferedAmount is ${this._maxBufferedAmount}`),
        { code: 'ERR_WS_BACKPRESSURE' },
      );
      process.nextTick(cb, err);
    }
    if (this._backpressurePolicy === 'close' && this._readyState === OPEN) this.close(BACKPRESSURE_CLOSE_CODE, 'send queue full');
    return true;
  }

  /** Runs a frame-producing step now, or after pending Blob reads (ws keeps frames in call order). */
  _enqueue(run: () => void): void {
    if (this._queue === null) run();
    else this._queue.push({ blob: false, run });
  }

  /** Runs queued steps in order; a Blob read pauses the queue until its bytes are sent. */
  _drainQueue(): void {
    const queue = this._queue;
    if (queue === null) return;
    for (let step = queue.shift(); step; step = queue.shift()) {
      if (step.blob) return step.run();
      step.run();
    }
    this._queue = null;
  }

  _nextMaskKey(): number {
    const key = Buffer.alloc(4);
    this._generateMask!(key);
    return key.readUInt32BE(0);
  }

  /** Sends a Blob once its bytes are read; later frames wait for it (ws `GET_BLOB_DATA`). */
  _sendBlob(blob: Blob, binary: boolean, compress: boolean, fin: boolean, mask: boolean, cb: WriteCallback | undefined): void {
    const flags = sendFlags(binary, fin, compress, mask, false);
    const run = (): void => {
      blob.arrayBuffer().then(
        (ab) => {
          this._sendNow(Buffer.from(ab), flags, mask, cb);
          this._drainQueue();
        },
        (err: Error) => {
          process.nextTick(() => {
            if (cb) cb(err);
            this._failWithError(err);
          });
          this._drainQueue();
        },
      );
    };
    if (this._queue !== null) {
      this._queue.push({ blob: true, run });
      return;
    }
    this._queue = [];
    run();
  }

  _failWithError(err: Error): void {
    if (this._readyState === CLOSED) return;
    if (this._readyState === OPEN) {
      this._readyState = CLOSING;
      this._setCloseTimer();
    }
    this._transport?.end();
    if (!this._errorEmitted) {
      this._errorEmitted = true;
      this._emitError(err);
    }
  }

  /**
   * Emits `'error'` when someone listens. ws lets EventEmitter throw when nobody does, which
   * lets any peer crash a server that forgot the listener (bad-inputs F1, mercurius #939);
   * ferrows reports the failure through `'close'` alone in that case.
   */
  _emitError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  terminate(): void {
    if (this._readyState === CLOSED) return;
    if (this._readyState === CONNECTING) {
      abortHandshake(this, this._req, 'WebSocket was closed before the connection was established');
      return;
    }
    if (this._transport) {
      this._readyState = CLOSING;
      this._transport.destroy();
    }
  }

  // ---- TransportSink: what the engine reports -------------------------------------------------

  _emitOrDefer(fn: Deferred): void {
    if (this._allowSynchronousEvents && this._deferred === null) return fn();
    const queue = (this._deferred ??= []);
    queue.push(fn);
    if (!this._drainScheduled) {
      this._drainScheduled = true;
      setImmediate(drainDeferred, this);
    }
  }

  _onMessage(data: Buffer, isBinary: boolean, fragments?: Buffer[]): void {
    const value = isBinary && this._binaryType !== 'nodebuffer' ? convertBinary(data, this._binaryType, fragments) : data;
    if (this._allowSynchronousEvents && this._deferred === null) {
      this.emit('message', value, isBinary);
      return;
    }
    this._emitOrDefer(() => this.emit('message', value, isBinary));
  }

  _onPing(data: Buffer): void {
    this._emitOrDefer(() => this.emit('ping', data));
  }

  _onPong(data: Buffer): void {
    this._emitOrDefer(() => this.emit('pong', data));
  }

  _onConclude(code: number, reason: Buffer): void {
    this._closeFrameReceived = true;
    this._closeCode = code;
    this._closeMessage = reason.length === 0 ? EMPTY_BUFFER : Buffer.from(reason);
    if (this._readyState === OPEN) {
      this._readyState = CLOSING;
      this._closeFrameSent = true;
      this._setCloseTimer();
    }
  }

  _onProtocolError(err: ProtocolError): void {
    this._receiverErrored = true;
    if (this._readyState === OPEN) {
      this._readyState = CLOSING;
      this._setCloseTimer();
    }
    if (!this._errorEmitted) {
      this._errorEmitted = true;
      this._emitOrDefer(() => this._emitError(err));
    }
  }

  _onDrain(): void {
    if (this.listenerCount('drain') > 0) this._emitOrDefer(() => this.emit('drain'));
  }

  _onEnd(): void {
    this._readyState = CLOSING;
  }

  _onTransportClose(): void {
    this._readyState = CLOSING;
    if (this._closeTimer) clearTimeout(this._closeTimer);
    this._closeTimer = null;
    this._emitOrDefer(() => this.emitClose());
  }
}

/** Runs one deferred event per `setImmediate`, as ws does with `allowSynchronousEvents: false`. */
function drainDeferred(ws: WebSocket): void {
  const queue = ws._deferred;
  if (!queue || queue.length === 0) {
    ws._drainScheduled = false;
    return;
  }
  const next = queue.shift()!;
  ws._drainScheduled = false;
  try {
    next();
  } finally {
    // Scheduled after the handler, so a handler's own setImmediate runs before the next event.
    if (queue.length > 0 && !ws._drainScheduled) {
      ws._drainScheduled = true;
      setImmediate(drainDeferred, ws);
    } else if (queue.length === 0 && ws._allowSynchronousEvents) {
      ws._deferred = null;
    }
  }
}

function convertBinary(data: Buffer, type: BinaryType, fragments: Buffer[] | undefined): unknown {
  switch (type) {
    case 'arraybuffer':
      return toArrayBuffer(data);
    case 'fragments':
      return fragments ?? [data];
    case 'blob':
      return new Blob([data]);
    default:
      return data;
  }
}

/**
 * ws's close() argument checks, in ws's order: the code, then (for a reason with a length) its
 * byte length, then its type (8.20.1). A reason without a length (a number, `{}`, an
 * ArrayBuffer) is ignored and only the code is sent, as ws does.
 */
function validateClose(code: number | undefined, data: unknown): Buffer {
  if (code === undefined) return EMPTY_BUFFER;
  if (typeof code !== 'number' || !isValidStatusCode(code)) {
    throw new TypeError('First argument must be a valid error code number');
  }
  if (data === undefined || data === null || !(data as { length?: number }).length) return EMPTY_BUFFER;
  const length = Buffer.byteLength(data as string);
  if (length > 123) throw new RangeError('The message must not be greater than 123 bytes');
  if (typeof data === 'string') return Buffer.from(data);
  if (isUint8Array(data)) return Buffer.from(data);
  throw new TypeError('Second argument must be a string or a Uint8Array');
}

/** send()/ping()/pong() after close: count the bytes, fail the callback on the next tick. */
function sendAfterClose(ws: WebSocket, data: unknown, cb: WriteCallback | undefined): void {
  if (data) ws._bufferedAmount += byteLengthOf(data);
  if (cb) {
    const state = ws._readyState;
    process.nextTick(cb, new Error(`WebSocket is not open: readyState ${state} (${READY_STATES[state]})`));
  }
}

/** Fails a connection still in the handshake (client side). */
export function abortHandshake(ws: WebSocket, stream: ClientRequest | Duplex | null, message: string): void {
  ws._readyState = CLOSING;
  const err = new Error(message);
  Error.captureStackTrace(err, abortHandshake);
  if (stream && 'setHeader' in stream) {
    (stream as ClientRequest & { [kAborted]?: boolean })[kAborted] = true;
    stream.destroy();
    if (stream.socket && !stream.socket.destroyed) stream.socket.destroy();
    process.nextTick(emitErrorAndClose, ws, err);
  } else if (stream) {
    stream.destroy(err);
    stream.once('error', (e: Error) => ws._emitError(e));
    stream.once('close', () => ws.emitClose());
  } else {
    process.nextTick(emitErrorAndClose, ws, err);
  }
}

export const kAborted: unique symbol = Symbol('kAborted');

export function emitErrorAndClose(ws: WebSocket, err: Error): void {
  ws._readyState = CLOSING;
  ws._errorEmitted = true;
  ws._emitError(err);
  ws.emitClose();
}

function normalizeProtocols(
  protocols: unknown,
  options: Record<string, unknown> | undefined,
): { protocols: string[]; options: Record<string, unknown> | undefined } {
  const fromOptions = (o: Record<string, unknown> | undefined): string[] => {
    if (!o || o['protocols'] === undefined) return [];
    return Array.isArray(o['protocols']) ? (o['protocols'] as string[]) : [o['protocols'] as string];
  };
  if (protocols === undefined) return { protocols: fromOptions(options), options };
  if (Array.isArray(protocols)) return { protocols: protocols as string[], options };
  if (typeof protocols === 'object' && protocols !== null) {
    const opts = protocols as Record<string, unknown>;
    return { protocols: fromOptions(opts), options: opts };
  }
  return { protocols: [protocols as string], options };
}

// The client handshake lives in its own module; it is installed here to avoid an import cycle.
let clientInit: (
  ws: WebSocket,
  address: string | URL,
  protocols: string[],
  options: Record<string, unknown> | undefined,
) => Record<string, unknown> = () => {
  throw new Error('client support is not loaded');
};

export function installClient(init: typeof clientInit): void {
  clientInit = init;
}

for (const [name, value] of [
  ['CONNECTING', CONNECTING],
  ['OPEN', OPEN],
  ['CLOSING', CLOSING],
  ['CLOSED', CLOSED],
] as const) {
  Object.defineProperty(WebSocket, name, { enumerable: true, value });
  Object.defineProperty(WebSocket.prototype, name, { enumerable: true, value });
}

for (const property of ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url']) {
  Object.defineProperty(WebSocket.prototype, property, { enumerable: true });
}

type Listener = ((...args: unknown[]) => void) & { [kForOnEventAttribute]?: boolean; [kListener]?: unknown };

for (const method of ['open', 'error', 'close', 'message']) {
  Object.defineProperty(WebSocket.prototype, `on${method}`, {
    enumerable: true,
    get(this: WebSocket) {
      for (const listener of this.listeners(method) as Listener[]) {
        if (listener[kForOnEventAttribute]) return listener[kListener];
      }
      return null;
    },
    set(this: WebSocket, handler: unknown) {
      for (const listener of this.listeners(method) as Listener[]) {
        if (listener[kForOnEventAttribute]) {
          this.removeListener(method, listener);
          break;
        }
      }
      if (typeof handler !== 'function') return;
      this.addEventListener(method, handler as (event: unknown) => void, { [kForOnEventAttribute]: true });
    },
  });
}

WebSocket.prototype.addEventListener = addEventListener;
WebSocket.prototype.removeEventListener = removeEventListener;
