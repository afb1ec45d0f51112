/**
 * `WebSocketStream`: a WebSocket as a pair of WHATWG streams (the shape of the WHATWG
 * WebSocketStream proposal), for clients (`new WebSocketStream(url)`) and servers
 * (`WebSocketStream.from(ws)` or the server's `'stream'` event).
 *
 * Backpressure runs end to end:
 * - the readable is pull-based: when its queue is full the socket is paused (the driver stops
 *   reading, so TCP pushes back on the peer) and `pull()` resumes it;
 * - the writable counts bytes: a write resolves at once while the connection's queued bytes are
 *   under the high-water mark, otherwise only when its bytes reach the kernel, so a peer that
 *   stops reading stalls the writer instead of growing memory.
 */
import { kStatusCode } from './constants';
import { WebSocket } from './websocket';

type Chunk = string | ArrayBuffer | ArrayBufferView;
type Message = string | Uint8Array;

export interface WebSocketStreamOptions {
  protocols?: string[] | undefined;
  signal?: AbortSignal | undefined;
  [option: string]: unknown;
}

export interface WebSocketStreamConnection {
  readable: ReadableStream<Message>;
  writable: WritableStream<Chunk>;
  extensions: string;
  protocol: string;
}

export interface WebSocketCloseInfo {
  closeCode?: number | undefined;
  reason?: string | undefined;
}

/** The error `opened`/`closed` reject with and the streams are errored with. */
export class WebSocketError extends Error {
  readonly closeCode: number;
  readonly reason: string;

  constructor(message: string, closeCode: number, reason = '') {
    super(message);
    this.name = 'WebSocketError';
    this.closeCode = closeCode;
    this.reason = reason;
  }
}

/** Bytes the writable lets the connection queue before a write waits for the socket. */
const WRITE_HIGH_WATER = 64 * 1024;
/**
 * Bytes the readable buffers before the socket is paused: counted in bytes, not messages, so a
 * slow reader holds at most this much plus one message whatever the message size.
 */
const READ_HIGH_WATER = 1024 * 1024;

function byteLength(chunk: Chunk): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
}

function toSendable(chunk: Chunk): string | Buffer {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof ArrayBuffer) return Buffer.from(chunk);
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('WebSocketStream writes strings, ArrayBuffers and ArrayBuffer views');
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export class WebSocketStream {
  readonly url: string;
  readonly opened: Promise<WebSocketStreamConnection>;
  readonly closed: Promise<WebSocketCloseInfo>;
  readonly #ws: WebSocket;
  readonly #opened = deferred<WebSocketStreamConnection>();
  readonly #closed = deferred<WebSocketCloseInfo>();
  #failure: WebSocketError | undefined;
  #readable: ReadableStreamDefaultController<Message> | undefined;
  #writable: WritableStreamDefaultController | undefined;

  constructor(url: string | URL, options: WebSocketStreamOptions = {}, existing?: WebSocket) {
    const { protocols, signal, ...rest } = options;
    this.opened = this.#opened.promise;
    this.closed = this.#closed.promise;
    if (signal?.aborted) {
      this.url = String(url);
      // Aborted before it began: no connection is attempted; a detached instance stands in.
      this.#ws = existing ?? new WebSocket(null);
      this.#abort(signal.reason);
      return;
    }
    this.#ws = existing ?? new WebSocket(url, protocols ?? [], rest);
    this.url = this.#ws.url ?? String(url);
    this.#wire(signal);
  }

  /** Wraps an open (typically server-side) ws-compatible WebSocket. */
  static from(websocket: WebSocket): WebSocketStream {
    return new WebSocketStream(websocket.url ?? '', {}, websocket);
  }

  #wire(signal: AbortSignal | undefined): void {
    const ws = this.#ws;
    if (signal) {
      const onAbort = (): void => {
        if (ws.readyState === WebSocket.CONNECTING) this.#abort(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Released once the handshake settles either way, so a long-lived signal keeps nothing alive.
      const release = (): void => signal.removeEventListener('abort', onAbort);
      ws.once('open', release);
      ws.once('close', release);
    }
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('error', (err: Error) => {
      const code = (err as { [kStatusCode]?: number })[kStatusCode] ?? 1006;
      this.#failure ??= Object.assign(new WebSocketError(err.message, code), { cause: err });
    });
    ws.on('close', (code: number, reason: Buffer) => this.#onClose(code, reason.toString()));
    if (ws.readyState === WebSocket.OPEN) this.#onOpen();
    else ws.once('open', () => this.#onOpen());
  }

  #onOpen(): void {
    const ws = this.#ws;
    const readable = new ReadableStream<Message>(
      {
        start: (controller) => {
          this.#readable = controller;
        },
        pull: () => {
          if (ws.isPaused) ws.resume();
        },
        cancel: () => {
          this.close();
        },
      },
      // Strings by their UTF-16 length: cheap, and within 3x of their UTF-8 size.
      { highWaterMark: READ_HIGH_WATER, size: (m: Message) => (typeof m === 'string' ? m.length : m.byteLength) },
    );
    const writable = new WritableStream<Chunk>(
      {
        start: (controller) => {
          this.#writable = controller;
        },
        write: (chunk) => this.#write(chunk),
        close: () => {
          this.close();
          return this.closed.then(() => undefined);
        },
        abort: () => {
          this.close();
        },
      },
      // Counted in bytes; strings by their UTF-8 length (ByteLengthQueuingStrategy would see NaN).
      { highWaterMark: WRITE_HIGH_WATER, size: byteLength },
    );
    this.#opened.resolve({ readable, writable, extensions: ws.extensions, protocol: ws.protocol });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const controller = this.#readable;
    if (!controller) return;
    const message: Message = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString();
    try {
      controller.enqueue(message);
    } catch {
      return;
    }
    if ((controller.desiredSize ?? 0) <= 0) this.#ws.pause();
  }

  #write(chunk: Chunk): Promise<void> | undefined {
    const ws = this.#ws;
    if (ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new WebSocketError('WebSocket is not open', 1006));
    }
    const data = toSendable(chunk);
    const binary = typeof chunk !== 'string';
    if (ws.bufferedAmount + byteLength(chunk) < WRITE_HIGH_WATER) {
      ws.send(data, { binary }, (err?: Error | null) => {
        if (err) this.#writable?.error(err);
      });
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      ws.send(data, { binary }, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }

  #onClose(code: number, reason: string): void {
    const ws = this.#ws;
    const clean = ws._closeFrameReceived && ws._closeFrameSent && !this.#failure;
    if (clean) {
      this.#closed.resolve({ closeCode: code, reason });
      try {
        this.#readable?.close();
      } catch {
        // already closed or errored by the consumer
      }
      this.#writable?.error(new WebSocketError('The WebSocket is closed', code, reason));
    } else {
      const failure = this.#failure ?? new WebSocketError('The WebSocket closed abnormally', code, reason);
      this.#fail(failure);
    }
    this.#opened.reject(this.#failure ?? new WebSocketError('The WebSocket closed before it opened', code, reason));
  }

  #fail(failure: WebSocketError): void {
    this.#closed.reject(failure);
    this.#opened.reject(failure);
    this.#readable?.error(failure);
    this.#writable?.error(failure);
  }

  #abort(reason: unknown): void {
    // The signal's reason as given (any value, as fetch() does); an AbortError when there is none.
    const error = reason !== undefined ? reason : new DOMException('The operation was aborted', 'AbortError');
    this.#opened.reject(error);
    this.#closed.reject(error);
    if (this.#ws.readyState === WebSocket.CONNECTING && this.#ws.url !== undefined) this.#ws.terminate();
  }

  /**
   * Starts the closing handshake: with `closeCode` when given, 1000 when only a `reason` is given,
   * otherwise a close frame without a status code (so `closed` reports 1005), as in the WHATWG
   * proposal. Before the handshake completes, the connection attempt is dropped instead.
   */
  close(closeInfo: WebSocketCloseInfo = {}): void {
    const ws = this.#ws;
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
      return;
    }
    const code = closeInfo.closeCode ?? (closeInfo.reason ? 1000 : undefined);
    ws.close(code, closeInfo.reason);
  }
}
