/// <reference types="node" />
/**
 * Types of the `ferrows` CommonJS entry: `require('ferrows')` is the `WebSocket` class with ws's
 * statics. The shape is structurally compatible with `@types/ws` 8.18 — code typed against `ws`
 * compiles unchanged — and adds what ws 8.19–8.23 added plus `WebSocketStream`.
 */
import { EventEmitter } from 'events';
import {
  Agent,
  ClientRequest,
  ClientRequestArgs,
  IncomingMessage,
  OutgoingHttpHeaders,
  Server as HTTPServer,
} from 'http';
import { Server as HTTPSServer } from 'https';
import {
  Http2SecureServer,
  Http2Server,
  Http2ServerRequest,
  IncomingHttpHeaders as IncomingHttpHeaders2,
  ServerHttp2Stream,
} from 'http2';
import { createConnection } from 'net';
import { Duplex, DuplexOptions, Writable } from 'stream';
import { SecureContextOptions } from 'tls';
import { URL } from 'url';
import { ZlibOptions } from 'zlib';

/** Everything `send()` accepts: what `Buffer.from` takes, plus Blob. */
type BufferLike =
  | string
  | Buffer
  | DataView
  | number
  | ArrayBufferView
  | Uint8Array
  | ArrayBuffer
  | SharedArrayBuffer
  | Blob
  | readonly any[]
  | readonly number[]
  | { valueOf(): ArrayBuffer }
  | { valueOf(): SharedArrayBuffer }
  | { valueOf(): Uint8Array }
  | { valueOf(): readonly number[] }
  | { valueOf(): string }
  | { [Symbol.toPrimitive](hint: string): string };

type ReadyState = 0 | 1 | 2 | 3;

declare class WebSocket extends EventEmitter {
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;

  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;

  /** `'blob'` is accepted at run time where a global `Blob` exists (ws 8.18). */
  binaryType: 'nodebuffer' | 'arraybuffer' | 'fragments';
  /** Bytes queued and not yet written, framing included. */
  readonly bufferedAmount: number;
  /** Negotiated extension names, comma-separated (`'permessage-deflate'` or `''`). */
  readonly extensions: string;
  readonly isPaused: boolean;
  readonly protocol: string;
  readonly readyState: ReadyState;
  readonly url: string;

  onopen: ((event: WebSocket.Event) => void) | null;
  onerror: ((event: WebSocket.ErrorEvent) => void) | null;
  onclose: ((event: WebSocket.CloseEvent) => void) | null;
  onmessage: ((event: WebSocket.MessageEvent) => void) | null;

  constructor(address: null);
  constructor(address: string | URL, options?: WebSocket.ClientOptions | ClientRequestArgs);
  constructor(
    address: string | URL,
    protocols?: string | string[],
    options?: WebSocket.ClientOptions | ClientRequestArgs,
  );

  close(code?: number, data?: string | Buffer | Uint8Array): void;
  ping(data?: any, mask?: boolean, cb?: (err: Error) => void): void;
  pong(data?: any, mask?: boolean, cb?: (err: Error) => void): void;
  send(data: BufferLike, cb?: (err?: Error) => void): void;
  send(
    data: BufferLike,
    options: {
      mask?: boolean | undefined;
      binary?: boolean | undefined;
      compress?: boolean | undefined;
      fin?: boolean | undefined;
    },
    cb?: (err?: Error) => void,
  ): void;
  terminate(): void;
  /** Stops reading from the socket; already-parsed events may still arrive. */
  pause(): void;
  resume(): void;

  addEventListener<K extends keyof WebSocket.WebSocketEventMap>(
    type: K,
    listener:
      | ((event: WebSocket.WebSocketEventMap[K]) => void)
      | { handleEvent(event: WebSocket.WebSocketEventMap[K]): void },
    options?: WebSocket.EventListenerOptions,
  ): void;
  removeEventListener<K extends keyof WebSocket.WebSocketEventMap>(
    type: K,
    listener:
      | ((event: WebSocket.WebSocketEventMap[K]) => void)
      | { handleEvent(event: WebSocket.WebSocketEventMap[K]): void },
  ): void;

  on(event: 'close', listener: (this: WebSocket, code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (this: WebSocket, error: Error) => void): this;
  on(event: 'upgrade', listener: (this: WebSocket, request: IncomingMessage) => void): this;
  on(event: 'message', listener: (this: WebSocket, data: WebSocket.RawData, isBinary: boolean) => void): this;
  on(event: 'open', listener: (this: WebSocket) => void): this;
  /** Everything queued is written (`bufferedAmount` is back to 0); see README "Backpressure". A ferrows extension. */
  on(event: 'drain', listener: (this: WebSocket) => void): this;
  on(event: 'ping' | 'pong', listener: (this: WebSocket, data: Buffer) => void): this;
  on(event: 'redirect', listener: (this: WebSocket, url: string, request: ClientRequest) => void): this;
  on(event: 'unexpected-response', listener: (this: WebSocket, request: ClientRequest, response: IncomingMessage) => void): this;
  on(event: string | symbol, listener: (this: WebSocket, ...args: any[]) => void): this;

  once(event: 'close', listener: (this: WebSocket, code: number, reason: Buffer) => void): this;
  once(event: 'error', listener: (this: WebSocket, error: Error) => void): this;
  once(event: 'upgrade', listener: (this: WebSocket, request: IncomingMessage) => void): this;
  once(event: 'message', listener: (this: WebSocket, data: WebSocket.RawData, isBinary: boolean) => void): this;
  once(event: 'open', listener: (this: WebSocket) => void): this;
  /** Everything queued is written (`bufferedAmount` is back to 0); see README "Backpressure". A ferrows extension. */
  once(event: 'drain', listener: (this: WebSocket) => void): this;
  once(event: 'ping' | 'pong', listener: (this: WebSocket, data: Buffer) => void): this;
  once(event: 'redirect', listener: (this: WebSocket, url: string, request: ClientRequest) => void): this;
  once(event: 'unexpected-response', listener: (this: WebSocket, request: ClientRequest, response: IncomingMessage) => void): this;
  once(event: string | symbol, listener: (this: WebSocket, ...args: any[]) => void): this;

  off(event: 'close', listener: (this: WebSocket, code: number, reason: Buffer) => void): this;
  off(event: 'error', listener: (this: WebSocket, error: Error) => void): this;
  off(event: 'upgrade', listener: (this: WebSocket, request: IncomingMessage) => void): this;
  off(event: 'message', listener: (this: WebSocket, data: WebSocket.RawData, isBinary: boolean) => void): this;
  off(event: 'open', listener: (this: WebSocket) => void): this;
  /** Everything queued is written (`bufferedAmount` is back to 0); see README "Backpressure". A ferrows extension. */
  off(event: 'drain', listener: (this: WebSocket) => void): this;
  off(event: 'ping' | 'pong', listener: (this: WebSocket, data: Buffer) => void): this;
  off(event: 'redirect', listener: (this: WebSocket, url: string, request: ClientRequest) => void): this;
  off(event: 'unexpected-response', listener: (this: WebSocket, request: ClientRequest, response: IncomingMessage) => void): this;
  off(event: string | symbol, listener: (this: WebSocket, ...args: any[]) => void): this;

  addListener(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  addListener(event: 'error', listener: (error: Error) => void): this;
  addListener(event: 'upgrade', listener: (request: IncomingMessage) => void): this;
  addListener(event: 'message', listener: (data: WebSocket.RawData, isBinary: boolean) => void): this;
  addListener(event: 'open', listener: () => void): this;
  addListener(event: 'drain', listener: () => void): this;
  addListener(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
  addListener(event: 'redirect', listener: (url: string, request: ClientRequest) => void): this;
  addListener(event: 'unexpected-response', listener: (request: ClientRequest, response: IncomingMessage) => void): this;
  addListener(event: string | symbol, listener: (...args: any[]) => void): this;

  removeListener(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  removeListener(event: 'error', listener: (error: Error) => void): this;
  removeListener(event: 'upgrade', listener: (request: IncomingMessage) => void): this;
  removeListener(event: 'message', listener: (data: WebSocket.RawData, isBinary: boolean) => void): this;
  removeListener(event: 'open', listener: () => void): this;
  removeListener(event: 'drain', listener: () => void): this;
  removeListener(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
  removeListener(event: 'redirect', listener: (url: string, request: ClientRequest) => void): this;
  removeListener(event: 'unexpected-response', listener: (request: ClientRequest, response: IncomingMessage) => void): this;
  removeListener(event: string | symbol, listener: (...args: any[]) => void): this;
}

declare const WebSocketAlias: typeof WebSocket;
interface WebSocketAlias extends WebSocket {}

declare namespace WebSocket {
  /** A received message: binary follows `binaryType`; text arrives as a Buffer. */
  type RawData = Buffer | ArrayBuffer | Buffer[];
  /** A message as EventTarget listeners see it (text as a string). */
  type Data = string | Buffer | ArrayBuffer | Buffer[];
  type CertMeta = string | string[] | Buffer | Buffer[];

  type VerifyClientCallbackSync<Request extends IncomingMessage = IncomingMessage> = (info: {
    origin: string;
    secure: boolean;
    req: Request;
  }) => boolean;

  type VerifyClientCallbackAsync<Request extends IncomingMessage = IncomingMessage> = (
    info: { origin: string; secure: boolean; req: Request },
    callback: (res: boolean, code?: number, message?: string, headers?: OutgoingHttpHeaders) => void,
  ) => void;

  /** Called instead of `request.end()`; it must end the request itself. */
  type FinishRequestCallback = (request: ClientRequest, websocket: WebSocket) => void;

  interface ClientOptions extends SecureContextOptions {
    protocol?: string | undefined;
    /** Subprotocols, as an alternative to the positional argument (ws 8.22). */
    protocols?: string | string[] | undefined;
    followRedirects?: boolean | undefined;
    generateMask?(mask: Buffer): void;
    handshakeTimeout?: number | undefined;
    maxRedirects?: number | undefined;
    perMessageDeflate?: boolean | PerMessageDeflateOptions | undefined;
    localAddress?: string | undefined;
    protocolVersion?: number | undefined;
    headers?: { [key: string]: string } | undefined;
    origin?: string | undefined;
    agent?: Agent | undefined;
    host?: string | undefined;
    family?: number | undefined;
    checkServerIdentity?(servername: string, cert: CertMeta): boolean;
    rejectUnauthorized?: boolean | undefined;
    allowSynchronousEvents?: boolean | undefined;
    autoPong?: boolean | undefined;
    /** ms to wait for the closing handshake before destroying the socket (ws 8.19; default 30000). */
    closeTimeout?: number | undefined;
    maxPayload?: number | undefined;
    maxBufferedChunks?: number | undefined;
    maxFragments?: number | undefined;
    /** Terminate when more automatic pongs are pending (ws 8.23; default 60). */
    maxPendingAutoPongs?: number | undefined;
    /**
     * Cap, in bytes, on what one connection may have queued (`bufferedAmount`): a `send()` that
     * would take `bufferedAmount` past it is not queued. Default `0`: no cap (ws's behaviour).
     * Like uWebSockets.js' `maxBackpressure`. A ferrows extension; see README "Backpressure".
     */
    maxBufferedAmount?: number | undefined;
    /**
     * What a `send()` past `maxBufferedAmount` does. Either way the message is not queued and its
     * callback gets an error with `code: 'ERR_WS_BACKPRESSURE'`.
     * - `'close'` (default): the connection is closed with 1008 (Policy Violation); the close frame
     *   follows the queued bytes, and a peer that never reads them is dropped after `closeTimeout`.
     * - `'drop'`: only this message is refused; the connection stays open.
     */
    backpressurePolicy?: 'close' | 'drop' | undefined;
    skipUTF8Validation?: boolean | undefined;
    createConnection?: typeof createConnection | undefined;
    finishRequest?: FinishRequestCallback | undefined;
    /**
     * WebSockets over HTTP/2 (RFC 8441), for `ws:` (h2c, prior knowledge) and `wss:` (ALPN `h2`)
     * URLs. A ferrows extension; ws has no such option.
     *
     * - `false` (default): the HTTP/1.1 upgrade, as in ws.
     * - `true`: HTTP/2 is required. The client opens (or reuses) an HTTP/2 session to the origin,
     *   waits for the server's SETTINGS and sends an extended CONNECT (`:protocol websocket`) only
     *   when they enable `SETTINGS_ENABLE_CONNECT_PROTOCOL`. If they do not, ALPN does not
     *   select `h2`, or an h2c server does not answer the HTTP/2 preface, the WebSocket emits
     *   `'error'` ("The server does not support WebSockets over HTTP/2 (…)") then `'close'` 1006.
     * - `'auto'`: try HTTP/2 as with `true`; in those three cases do the normal HTTP/1.1 upgrade
     *   instead (a new connection; `handshakeTimeout` restarts). Other connection errors (refused,
     *   TLS verification) are reported, not retried.
     *
     * Sessions are pooled by origin and connection options (TLS options, `family`,
     * `localAddress`, `lookup`): WebSockets to one origin share one TCP connection, one stream
     * each, and the session is closed when its last WebSocket closes. A GOAWAY stops new
     * WebSockets from using the session; a session error closes its WebSockets with 1006.
     *
     * Over HTTP/2 the answer is a 2xx (no 101, no `Sec-WebSocket-Key`/`Accept`); `'upgrade'` and
     * `'unexpected-response'` receive an `IncomingMessage`-like object with `httpVersion` `'2.0'`,
     * and the request passed to `'unexpected-response'` is a ClientRequest-like object whose
     * `destroy()` cancels the stream. `agent`, `createConnection` and `finishRequest` are not
     * used, and redirects are not followed (a 3xx is an unexpected response).
     */
    http2?: boolean | 'auto' | undefined;
    /**
     * An HTTP/2 session to use instead of a pooled one (implies `http2: true` unless `http2` is
     * given). ferrows waits for its SETTINGS like for its own sessions and never closes it.
     */
    http2Session?: import('http2').ClientHttp2Session | undefined;
  }

  interface PerMessageDeflateOptions {
    serverNoContextTakeover?: boolean | undefined;
    clientNoContextTakeover?: boolean | undefined;
    serverMaxWindowBits?: number | undefined;
    clientMaxWindowBits?: number | undefined;
    zlibDeflateOptions?:
      | {
          flush?: number | undefined;
          finishFlush?: number | undefined;
          chunkSize?: number | undefined;
          windowBits?: number | undefined;
          level?: number | undefined;
          memLevel?: number | undefined;
          strategy?: number | undefined;
          dictionary?: Buffer | Buffer[] | DataView | undefined;
          info?: boolean | undefined;
        }
      | undefined;
    zlibInflateOptions?: ZlibOptions | undefined;
    threshold?: number | undefined;
    concurrencyLimit?: number | undefined;
  }

  interface Event {
    type: string;
    target: WebSocket;
  }

  interface ErrorEvent {
    error: any;
    message: string;
    type: string;
    target: WebSocket;
  }

  interface CloseEvent {
    wasClean: boolean;
    code: number;
    reason: string;
    type: string;
    target: WebSocket;
  }

  interface MessageEvent {
    data: Data;
    type: string;
    target: WebSocket;
  }

  interface WebSocketEventMap {
    open: Event;
    error: ErrorEvent;
    close: CloseEvent;
    message: MessageEvent;
  }

  interface EventListenerOptions {
    once?: boolean | undefined;
  }

  interface ServerOptions<
    U extends typeof WebSocket.WebSocket = typeof WebSocket.WebSocket,
    V extends typeof IncomingMessage = typeof IncomingMessage,
  > {
    host?: string | undefined;
    port?: number | undefined;
    backlog?: number | undefined;
    /**
     * An HTTP/1.1 server, or an HTTP/2 server of Node's `http2` module: then RFC 8441 extended
     * CONNECT streams are WebSockets too (ferrows turns on `enableConnectProtocol` for new
     * sessions), next to HTTP/1.1 upgrades from `allowHTTP1` clients; the request of an HTTP/2
     * WebSocket is an `Http2ServerRequest` whose `httpVersion` is `'2.0'`.
     */
    server?: HTTPServer<V> | HTTPSServer<V> | Http2Server | Http2SecureServer | undefined;
    verifyClient?: VerifyClientCallbackAsync<InstanceType<V>> | VerifyClientCallbackSync<InstanceType<V>> | undefined;
    handleProtocols?: (protocols: Set<string>, request: InstanceType<V>) => string | false;
    path?: string | undefined;
    noServer?: boolean | undefined;
    allowSynchronousEvents?: boolean | undefined;
    autoPong?: boolean | undefined;
    clientTracking?: boolean | undefined;
    closeTimeout?: number | undefined;
    /**
     * ferrows only, `port` mode only: the milliseconds a new connection gets to deliver a complete
     * upgrade request (from TCP accept to the HTTP server's `'upgrade'` event). A connection that
     * stays silent, trickles its headers, or stops mid-request is destroyed when it runs out; from
     * `'upgrade'` on (including an asynchronous `verifyClient`) ws's own rules apply, and an open
     * WebSocket is never affected. `0` or `Infinity` turns it off. Default `10000` (10 s, as
     * uWebSockets.js; Node's own `headersTimeout` is 60 s and does not cover a connection that
     * sends nothing). With `server` you own the sockets: tighten that server's `headersTimeout`
     * and `requestTimeout` instead (see the README).
     */
    upgradeTimeout?: number | undefined;
    /**
     * ferrows only: a built-in heartbeat (ws's README recipe for broken connections). Every
     * `interval` ms each open connection is pinged; one whose pong has not come back `timeout` ms
     * (default: `interval`) after the ping is terminated: its socket is destroyed and `'close'`
     * fires with 1006, as after `terminate()`. No second ping is sent while one is unanswered;
     * any pong counts. Timed by the Rust engine, with no JavaScript timer per connection
     * (connections on JavaScript-owned sockets, such as TLS or HTTP/2, share one timer that runs
     * every quarter of the shorter span, 10 ms to 1 s). Whole milliseconds from 1 to 2^31 - 1.
     * Default: off, as in ws.
     */
    heartbeat?: { interval: number; timeout?: number | undefined } | null | undefined;
    perMessageDeflate?: boolean | PerMessageDeflateOptions | undefined;
    maxPayload?: number | undefined;
    maxBufferedChunks?: number | undefined;
    maxFragments?: number | undefined;
    maxPendingAutoPongs?: number | undefined;
    /**
     * Cap, in bytes, on what one connection may have queued (`bufferedAmount`): a `send()` that
     * would take `bufferedAmount` past it is not queued. Default `0`: no cap (ws's behaviour).
     * Like uWebSockets.js' `maxBackpressure`. A ferrows extension; see README "Backpressure".
     */
    maxBufferedAmount?: number | undefined;
    /**
     * What a `send()` past `maxBufferedAmount` does. Either way the message is not queued and its
     * callback gets an error with `code: 'ERR_WS_BACKPRESSURE'`.
     * - `'close'` (default): the connection is closed with 1008 (Policy Violation); the close frame
     *   follows the queued bytes, and a peer that never reads them is dropped after `closeTimeout`.
     * - `'drop'`: only this message is refused; the connection stays open.
     */
    backpressurePolicy?: 'close' | 'drop' | undefined;
    skipUTF8Validation?: boolean | undefined;
    WebSocket?: U | undefined;
  }

  /** Options of `WebSocketServer#shutdown`. */
  interface ShutdownOptions {
    /** The close code sent to every client. Default `1001` (Going Away). */
    code?: number | undefined;
    /** The close reason sent to every client. Default empty. */
    reason?: string | Buffer | undefined;
    /** Milliseconds to wait for the closing handshakes before terminating the rest. Default `10000`. */
    timeout?: number | undefined;
  }

  interface AddressInfo {
    address: string;
    family: string;
    port: number;
  }

  class Server<
    T extends typeof WebSocket.WebSocket = typeof WebSocket.WebSocket,
    U extends typeof IncomingMessage = typeof IncomingMessage,
  > extends EventEmitter {
    options: ServerOptions<T, U>;
    path: string;
    clients: Set<InstanceType<T>>;

    constructor(options?: ServerOptions<T, U>, callback?: () => void);

    address(): AddressInfo | string | null;
    close(cb?: (err?: Error) => void): void;
    /**
     * ferrows only: drains the server for a deploy. Stops accepting (`port` mode stops listening;
     * upgrades on a user's server get 503), sends every tracked client a close frame behind the
     * data already queued for it, waits up to `timeout` ms for the closing handshakes, then
     * terminates the rest. Resolves (and calls `cb`) once every client is closed and the server
     * has emitted `'close'`. With `clientTracking: false` only the listener is stopped.
     */
    shutdown(options?: ShutdownOptions, cb?: (err?: Error) => void): Promise<void>;
    handleUpgrade(
      request: InstanceType<U>,
      socket: Duplex,
      upgradeHead: Buffer,
      callback: (client: InstanceType<T>, request: InstanceType<U>) => void,
    ): void;
    /**
     * Takes an RFC 8441 extended CONNECT stream (the `stream` and `headers` of an `http2`
     * server's `'stream'` event): the same checks, hooks and events as `handleUpgrade`, answered
     * with 200 instead of 101. `request` defaults to the `Http2ServerRequest` Node would build.
     */
    handleStream(
      stream: ServerHttp2Stream,
      headers: IncomingHttpHeaders2,
      callback: (client: InstanceType<T>, request: InstanceType<U>) => void,
      request?: Http2ServerRequest,
    ): void;
    shouldHandle(request: InstanceType<U>): boolean | Promise<boolean>;

    on(event: 'connection', cb: (this: Server<T>, websocket: InstanceType<T>, request: InstanceType<U>) => void): this;
    on(event: 'stream', cb: (this: Server<T>, stream: WebSocket.WebSocketStream, request: InstanceType<U>) => void): this;
    on(event: 'error', cb: (this: Server<T>, error: Error) => void): this;
    on(event: 'headers', cb: (this: Server<T>, headers: string[], request: InstanceType<U>) => void): this;
    on(event: 'close' | 'listening', cb: (this: Server<T>) => void): this;
    on(event: 'wsClientError', cb: (this: Server<T>, error: Error, socket: Duplex, request: InstanceType<U>) => void): this;
    on(event: string | symbol, listener: (this: Server<T>, ...args: any[]) => void): this;

    once(event: 'connection', cb: (this: Server<T>, websocket: InstanceType<T>, request: InstanceType<U>) => void): this;
    once(event: 'stream', cb: (this: Server<T>, stream: WebSocket.WebSocketStream, request: InstanceType<U>) => void): this;
    once(event: 'error', cb: (this: Server<T>, error: Error) => void): this;
    once(event: 'headers', cb: (this: Server<T>, headers: string[], request: InstanceType<U>) => void): this;
    once(event: 'close' | 'listening', cb: (this: Server<T>) => void): this;
    once(event: 'wsClientError', cb: (this: Server<T>, error: Error, socket: Duplex, request: InstanceType<U>) => void): this;
    once(event: string | symbol, listener: (this: Server<T>, ...args: any[]) => void): this;

    off(event: 'connection', cb: (this: Server<T>, socket: InstanceType<T>, request: InstanceType<U>) => void): this;
    off(event: 'stream', cb: (this: Server<T>, stream: WebSocket.WebSocketStream, request: InstanceType<U>) => void): this;
    off(event: 'error', cb: (this: Server<T>, error: Error) => void): this;
    off(event: 'headers', cb: (this: Server<T>, headers: string[], request: InstanceType<U>) => void): this;
    off(event: 'close' | 'listening', cb: (this: Server<T>) => void): this;
    off(event: 'wsClientError', cb: (this: Server<T>, error: Error, socket: Duplex, request: InstanceType<U>) => void): this;
    off(event: string | symbol, listener: (this: Server<T>, ...args: any[]) => void): this;

    addListener(event: 'connection', cb: (websocket: InstanceType<T>, request: InstanceType<U>) => void): this;
    addListener(event: 'stream', cb: (stream: WebSocket.WebSocketStream, request: InstanceType<U>) => void): this;
    addListener(event: 'error', cb: (error: Error) => void): this;
    addListener(event: 'headers', cb: (headers: string[], request: InstanceType<U>) => void): this;
    addListener(event: 'close' | 'listening', cb: () => void): this;
    addListener(event: 'wsClientError', cb: (error: Error, socket: Duplex, request: InstanceType<U>) => void): this;
    addListener(event: string | symbol, listener: (...args: any[]) => void): this;

    removeListener(event: 'connection', cb: (websocket: InstanceType<T>, request: InstanceType<U>) => void): this;
    removeListener(event: 'stream', cb: (stream: WebSocket.WebSocketStream, request: InstanceType<U>) => void): this;
    removeListener(event: 'error', cb: (error: Error) => void): this;
    removeListener(event: 'headers', cb: (headers: string[], request: InstanceType<U>) => void): this;
    removeListener(event: 'close' | 'listening', cb: () => void): this;
    removeListener(event: 'wsClientError', cb: (error: Error, socket: Duplex, request: InstanceType<U>) => void): this;
    removeListener(event: string | symbol, listener: (...args: any[]) => void): this;
  }

  const WebSocketServer: typeof Server;
  interface WebSocketServer extends Server {}
  const WebSocket: typeof WebSocketAlias;
  interface WebSocket extends WebSocketAlias {}

  function createWebSocketStream(websocket: WebSocket, options?: DuplexOptions): Duplex;

  /** ws's frame options for {@link Sender.frame}. */
  interface FrameOptions {
    fin?: boolean;
    rsv1?: boolean;
    opcode: number;
    mask?: boolean;
    maskBuffer?: Buffer;
    generateMask?: (mask: Buffer) => void;
    readOnly?: boolean;
  }

  /** ws's frame writer (exported by ws); `Sender.frame` pre-frames broadcasts. */
  class Sender {
    constructor(socket: Duplex, extensions?: Record<string, PerMessageDeflate>, generateMask?: (mask: Buffer) => void);
    static frame(data: Buffer | string, options: FrameOptions): Buffer[];
    send(data: BufferLike, options: { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean }, cb?: (err?: Error | null) => void): void;
    ping(data: any, mask: boolean, cb?: (err?: Error | null) => void): void;
    pong(data: any, mask: boolean, cb?: (err?: Error | null) => void): void;
    close(code: number | undefined, data: string | Uint8Array | undefined, mask: boolean, cb?: (err?: Error | null) => void): void;
  }

  interface ReceiverOptions {
    allowSynchronousEvents?: boolean;
    binaryType?: 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';
    extensions?: Record<string, PerMessageDeflate>;
    isServer?: boolean;
    maxBufferedChunks?: number;
    maxFragments?: number;
    maxPayload?: number;
    skipUTF8Validation?: boolean;
  }

  /** ws's frame parser (exported by ws): a Writable emitting message, ping, pong, conclude, error. */
  class Receiver extends Writable {
    constructor(options?: ReceiverOptions);
  }

  /** permessage-deflate (RFC 7692) as ws exports it (8.20+). */
  class PerMessageDeflate {
    static readonly extensionName: 'permessage-deflate';
    params: Record<string, number | true> | null;
    constructor(options?: PerMessageDeflateOptions & { isServer?: boolean; maxPayload?: number }, isServer?: boolean, maxPayload?: number);
    offer(): Record<string, number | true>;
    accept(configurations: Record<string, (string | true)[]>[]): Record<string, number | true>;
    cleanup(): void;
    compress(data: Buffer | string, fin: boolean, callback: (err: Error | null, result?: Buffer) => void): void;
    decompress(data: Buffer, fin: boolean, callback: (err: Error | null, result?: Buffer) => void): void;
  }

  /** `Sec-WebSocket-Extensions` helpers (ws 8.20+). */
  const extension: {
    parse(header: string): Record<string, Record<string, (string | true)[]>[]>;
    format(extensions: Record<string, Record<string, unknown> | Record<string, unknown>[]>): string;
  };

  /** `Sec-WebSocket-Protocol` helper (ws 8.20+). */
  const subprotocol: {
    parse(header: string): Set<string>;
  };

  /** WHATWG-style `WebSocketStream` options. */
  interface WebSocketStreamOptions {
    protocols?: string[] | undefined;
    signal?: AbortSignal | undefined;
    /** WebSockets over HTTP/2, as {@link ClientOptions.http2}. */
    http2?: boolean | 'auto' | undefined;
    /** As {@link ClientOptions.http2Session}. */
    http2Session?: import('http2').ClientHttp2Session | undefined;
    /** Any ws client option, passed through. */
    [option: string]: unknown;
  }

  /** What `opened` resolves to. */
  interface WebSocketStreamConnection {
    readable: ReadableStream<string | Uint8Array>;
    writable: WritableStream<string | ArrayBuffer | ArrayBufferView>;
    extensions: string;
    protocol: string;
  }

  /** What `closed` resolves to. */
  interface WebSocketCloseInfo {
    closeCode?: number | undefined;
    reason?: string | undefined;
  }

  /** Why a `WebSocketStream` closed abnormally or failed to open (`opened`/`closed` reject with it). */
  class WebSocketError extends Error {
    constructor(message: string, closeCode: number, reason?: string);
    readonly closeCode: number;
    readonly reason: string;
  }

  /** A WebSocket as a pair of WHATWG streams, with backpressure end to end. */
  class WebSocketStream {
    constructor(url: string | URL, options?: WebSocketStreamOptions);
    readonly url: string;
    readonly opened: Promise<WebSocketStreamConnection>;
    readonly closed: Promise<WebSocketCloseInfo>;
    close(closeInfo?: WebSocketCloseInfo): void;
    /** Wraps a server-side (or any open) ws-compatible WebSocket. */
    static from(websocket: WebSocket): WebSocketStream;
  }
}

export = WebSocket;
