/**
 * The ws-compatible `WebSocketServer` (ws `lib/websocket-server.js`): the same options, events,
 * status codes and upgrade sequence. Handshake checks run in the Rust core
 * (`handshake::check_upgrade`, `parse_subprotocols`, permessage-deflate negotiation); accepted
 * plain TCP sockets are adopted by the native driver with the 101 response as their first bytes.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { CLOSE_TIMEOUT, kWebSocket, UPGRADE_TIMEOUT } from './constants';
import {
  acceptStream,
  attachHttp2Server,
  flatHeaders,
  isAnswerable,
  isHttp2Server,
  refuseStream,
  requestFor,
  resetMalformed,
  type Http2AnyServer,
  type Http2Request,
} from './http2-server';
import { parseHeartbeat, type Heartbeat, type HeartbeatOption } from './heartbeat';
import { native } from './native';
import { abortHandshake, abortOrEmitClientError, streamClientError } from './handshake-refusal';
import { PerMessageDeflate } from './permessage-deflate';
import { shutdown, type ShutdownOptions } from './shutdown';
import { WebSocket, type BackpressurePolicy, type SetSocketOptions } from './websocket';
import { WebSocketStream } from './websocket-stream';

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

type Cb = (ws: WebSocket, req: http.IncomingMessage) => void;
type VerifyInfo = { origin: string | undefined; secure: boolean; req: http.IncomingMessage };
type VerifyCallback = (verified: boolean, code?: number, message?: string, headers?: http.OutgoingHttpHeaders) => void;

export interface ServerOptions {
  allowSynchronousEvents: boolean;
  autoPong: boolean;
  maxBufferedChunks: number;
  maxFragments: number;
  maxPayload: number;
  maxPendingAutoPongs: number;
  maxBufferedAmount: number;
  backpressurePolicy: BackpressurePolicy;
  skipUTF8Validation: boolean;
  perMessageDeflate: boolean | Record<string, unknown>;
  handleProtocols: ((protocols: Set<string>, req: http.IncomingMessage) => string | false) | null;
  clientTracking: boolean;
  closeTimeout: number;
  upgradeTimeout: number;
  heartbeat: HeartbeatOption | null;
  verifyClient: ((info: VerifyInfo, cb: VerifyCallback) => void) | ((info: VerifyInfo) => boolean) | null;
  noServer: boolean;
  backlog: number | null;
  server: http.Server | Http2AnyServer | null;
  host: string | null;
  path: string | null;
  port: number | null;
  WebSocket: typeof WebSocket;
  [key: string]: unknown;
}

type Timed = Duplex & { [kDeadline]?: NodeJS.Timeout | null };
type Tagged = Duplex & { [kWebSocket]?: unknown; encrypted?: boolean; authorized?: boolean };

export class WebSocketServer extends EventEmitter {
  options: ServerOptions;
  /** The tracked connections; left undefined when `clientTracking` is false (as in ws). */
  declare clients: Set<WebSocket>;
  _server: http.Server | Http2AnyServer | null = null;
  _state: number = RUNNING;
  _shouldEmitClose = false;
  _removeListeners: (() => void) | null = null;
  /** The checked `heartbeat` option, handed to every connection. */
  _heartbeat: Heartbeat | null = null;

  constructor(options: Partial<ServerOptions>, callback?: () => void) {
    super();
    const opts: ServerOptions = {
      allowSynchronousEvents: true,
      autoPong: true,
      maxBufferedChunks: 256 * 1024,
      maxFragments: 16 * 1024,
      maxPayload: 100 * 1024 * 1024,
      maxPendingAutoPongs: 60,
      maxBufferedAmount: 0,
      backpressurePolicy: 'close',
      skipUTF8Validation: false,
      perMessageDeflate: false,
      handleProtocols: null,
      clientTracking: true,
      closeTimeout: CLOSE_TIMEOUT,
      upgradeTimeout: UPGRADE_TIMEOUT,
      heartbeat: null,
      verifyClient: null,
      noServer: false,
      backlog: null,
      server: null,
      host: null,
      path: null,
      port: null,
      WebSocket,
      ...options,
    };
    if (
      (opts.port == null && !opts.server && !opts.noServer) ||
      (opts.port != null && (opts.server || opts.noServer)) ||
      (opts.server && opts.noServer)
    ) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    const deadline = (opts.upgradeTimeout ??= UPGRADE_TIMEOUT);
    if (typeof deadline !== 'number' || !(deadline >= 0)) {
      throw new TypeError('The "upgradeTimeout" option must be a non-negative number');
    }
    this._heartbeat = parseHeartbeat(opts.heartbeat);
    if (opts.port != null) {
      this._server = http.createServer((_req, res) => {
        const body = http.STATUS_CODES[426]!;
        res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
        res.end(body);
      });
      // Node reaps only connections that started a request (`headersTimeout`, checked every
      // 30 s): a socket that says nothing stays open forever. One absolute timer per socket
      // from accept until the 'upgrade' event covers silence, trickled and unfinished heads.
      if (deadline > 0 && deadline !== Infinity) {
        const ms = Math.min(deadline, MAX_TIMER);
        this._server.on('connection', (socket: Duplex) => armDeadline(socket, ms));
      }
      this._server.listen(opts.port, opts.host ?? undefined, opts.backlog ?? undefined, callback);
    } else if (opts.server) {
      this._server = opts.server;
    }
    if (this._server) {
      const emitConnection = this.emit.bind(this, 'connection') as Cb;
      this._removeListeners = addListeners(this._server, {
        listening: this.emit.bind(this, 'listening'),
        error: this.emit.bind(this, 'error'),
        upgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
          clearDeadline.call(socket as Timed);
          this.handleUpgrade(req, socket, head, emitConnection);
        },
      });
      if (isHttp2Server(this._server)) {
        const removeHttp1 = this._removeListeners;
        const removeHttp2 = attachHttp2Server(this._server, (stream, headers, req) =>
          this.handleStream(stream, headers, emitConnection as unknown as Cb, req),
        );
        this._removeListeners = () => {
          removeHttp1();
          removeHttp2();
        };
      }
    }
    if (opts.perMessageDeflate === true) opts.perMessageDeflate = {};
    if (opts.clientTracking) {
      this.clients = new Set();
      this._shouldEmitClose = false;
    }
    this.options = opts;
  }

  address(): ReturnType<http.Server['address']> {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    if (!this._server) return null;
    return this._server.address();
  }

  close(cb?: (err?: Error) => void): void {
    if (this._state === CLOSED) {
      if (cb) this.once('close', () => cb(new Error('The server is not running')));
      process.nextTick(emitClose, this);
      return;
    }
    if (cb) this.once('close', cb);
    if (this._state === CLOSING) return;
    this._state = CLOSING;
    if (this.options.noServer || this.options.server) {
      if (this._server) {
        this._removeListeners!();
        this._removeListeners = this._server = null;
      }
      if (this.clients && this.clients.size) this._shouldEmitClose = true;
      else process.nextTick(emitClose, this);
    } else {
      const server = this._server!;
      this._removeListeners!();
      this._removeListeners = this._server = null;
      // The HTTP server's 'close' waits for the upgraded sockets (adopted ones stay counted by
      // the native transport until they close).
      server.close(() => emitClose(this));
    }
  }

  /**
   * ferrows only: drains the server for a deploy — stops accepting, closes every tracked client
   * with `code` (1001) behind the data already queued for it, terminates those whose closing
   * handshake has not finished after `timeout` ms (10 s), and resolves once the server has closed.
   */
  shutdown(options?: ShutdownOptions, cb?: (err?: Error) => void): Promise<void> {
    const drained = shutdown(this, options);
    if (cb) drained.then(() => cb(), cb);
    return drained;
  }

  shouldHandle(req: http.IncomingMessage): boolean {
    if (this.options.path) {
      const url = req.url ?? '';
      const index = url.indexOf('?');
      const pathname = index !== -1 ? url.slice(0, index) : url;
      if (pathname !== this.options.path) return false;
    }
    return true;
  }

  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, cb: Cb): void {
    socket.on('error', socketOnError);
    const h = req.headers;
    const rejection = native.checkUpgradeRequest(
      req.method ?? '',
      single(h.upgrade),
      single(h['sec-websocket-key']),
      single(h['sec-websocket-version']),
    );
    if (rejection) {
      return abortOrEmitClientError(this, req, socket, rejection.status, rejection.message, headerMap(rejection.headers));
    }
    if (!this.shouldHandle(req)) return abortHandshake(socket, 400);
    const key = single(h['sec-websocket-key'])!;
    const refuse: Refuse = (code, message, headers, clientError) =>
      clientError
        ? abortOrEmitClientError(this, req, socket, code, message!, headers)
        : abortHandshake(socket, code, message, headers);
    const secure = isSecure(req.socket as Tagged);
    this._negotiate(req, Number(single(h['sec-websocket-version'])), secure, refuse, (extensions, protocols) =>
      this.completeUpgrade(extensions, key, protocols, req, socket, head, cb),
    );
  }

  /**
   * Takes an RFC 8441 extended CONNECT stream of a Node `http2` server (`'stream'` gives
   * `stream` and `headers`): the same checks, hooks, events and options as `handleUpgrade`, the
   * answer a 200 response instead of a 101. `req` defaults to the `Http2ServerRequest` Node's
   * compatibility layer would build (`req.httpVersion` is `'2.0'`).
   */
  handleStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, cb: Cb, req?: Http2Request): void {
    const request = req ?? requestFor(stream, headers);
    stream.on('error', socketOnError);
    const rejection = native.checkConnectRequest(flatHeaders(headers));
    if (rejection) {
      if (rejection.malformed) return resetMalformed(stream);
      return streamClientError(this, request, stream, rejection.status, rejection.message, headerMap(rejection.headers));
    }
    const asHttp1 = request as unknown as http.IncomingMessage;
    if (!this.shouldHandle(asHttp1)) return refuseStream(stream, 400, http.STATUS_CODES[400]!);
    const refuse: Refuse = (code, message, extra, clientError) =>
      clientError
        ? streamClientError(this, request, stream, code, message!, extra)
        : refuseStream(stream, code, message || http.STATUS_CODES[code] || '', extra);
    const secure = isSecure(stream.session?.socket as Tagged | undefined);
    this._negotiate(asHttp1, 13, secure, refuse, (extensions, protocols) =>
      this.completeStream(extensions, protocols, request, stream, cb),
    );
  }

  /**
   * What HTTP/1.1 and HTTP/2 handshakes share after the request checks: the subprotocol and
   * extension offers, then `verifyClient`; `proceed` runs when all of them passed.
   */
  _negotiate(
    req: http.IncomingMessage,
    version: number,
    secure: boolean,
    refuse: Refuse,
    proceed: (extensions: Record<string, PerMessageDeflate>, protocols: Set<string>) => void,
  ): void {
    const h = req.headers;
    let protocols = new Set<string>();
    const protocolHeader = single(h['sec-websocket-protocol']);
    if (protocolHeader !== undefined) {
      try {
        protocols = new Set(native.parseSubprotocols(protocolHeader));
      } catch {
        return refuse(400, 'Invalid Sec-WebSocket-Protocol header', undefined, true);
      }
    }
    const extensions: Record<string, PerMessageDeflate> = {};
    const extensionHeader = single(h['sec-websocket-extensions']);
    if (this.options.perMessageDeflate && extensionHeader !== undefined) {
      const pmd = new PerMessageDeflate({
        ...(this.options.perMessageDeflate as Record<string, unknown>),
        isServer: true,
        maxPayload: this.options.maxPayload,
      });
      try {
        if (pmd._acceptOffers(extensionHeader)) extensions[PerMessageDeflate.extensionName] = pmd;
      } catch {
        return refuse(400, 'Invalid or unacceptable Sec-WebSocket-Extensions header', undefined, true);
      }
    }
    const verify = this.options.verifyClient;
    if (!verify) return proceed(extensions, protocols);
    const info: VerifyInfo = { origin: single(h[version === 8 ? 'sec-websocket-origin' : 'origin']), secure, req };
    if (verify.length === 2) {
      (verify as (info: VerifyInfo, cb: VerifyCallback) => void)(info, (verified, code, message, headers) => {
        if (!verified) return refuse(code || 401, message, headers);
        proceed(extensions, protocols);
      });
      return;
    }
    if (!(verify as (info: VerifyInfo) => boolean)(info)) return refuse(401);
    proceed(extensions, protocols);
  }

  completeUpgrade(
    extensions: Record<string, PerMessageDeflate>,
    key: string,
    protocols: Set<string>,
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: Cb,
  ): void {
    // Checked first: an adopted socket has already been destroyed (its descriptor now belongs to
    // the native driver), so the readable/writable test below would hide the misconfiguration.
    const tagged = socket as Tagged;
    if (tagged[kWebSocket]) {
      throw new Error(
        'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
      );
    }
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    if (this._state > RUNNING) return abortHandshake(socket, 503);
    const headers = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${native.acceptKey(key)}`,
    ];
    const ws = this._negotiated(new this.options.WebSocket(null, undefined, this.options), headers, extensions, protocols, req);
    this.emit('headers', headers, req);
    tagged[kWebSocket] = ws;
    socket.removeListener('error', socketOnError);
    ws.setSocket(socket, head, { ...this._socketOptions(), _preface: Buffer.from(headers.concat('\r\n').join('\r\n')) });
    this._opened(ws, req, cb);
  }

  /** `completeUpgrade` for an HTTP/2 stream: a 200 response carries what the 101 would. */
  completeStream(
    extensions: Record<string, PerMessageDeflate>,
    protocols: Set<string>,
    req: Http2Request,
    stream: http2.ServerHttp2Stream,
    cb: Cb,
  ): void {
    const tagged = stream as unknown as Tagged;
    if (tagged[kWebSocket]) {
      throw new Error('server.handleStream() was called more than once with the same stream, possibly due to a misconfiguration');
    }
    if (!isAnswerable(stream)) {
      stream.destroy();
      return;
    }
    if (this._state > RUNNING) return refuseStream(stream, 503, http.STATUS_CODES[503]!);
    const asHttp1 = req as unknown as http.IncomingMessage;
    const lines = ['HTTP/2 200'];
    const ws = this._negotiated(new this.options.WebSocket(null, undefined, this.options), lines, extensions, protocols, asHttp1);
    this.emit('headers', lines, asHttp1);
    tagged[kWebSocket] = ws;
    acceptStream(stream, lines);
    stream.removeListener('error', socketOnError);
    ws.setSocket(stream, EMPTY, this._socketOptions());
    this._opened(ws, asHttp1, cb);
  }

  /** Applies the chosen subprotocol and extensions to `ws` and to the response lines. */
  _negotiated(
    ws: WebSocket,
    lines: string[],
    extensions: Record<string, PerMessageDeflate>,
    protocols: Set<string>,
    req: http.IncomingMessage,
  ): WebSocket {
    if (protocols.size) {
      const protocol = this.options.handleProtocols
        ? this.options.handleProtocols(protocols, req)
        : protocols.values().next().value;
      if (protocol) {
        lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
        ws._protocol = protocol;
      }
    }
    const pmd = extensions[PerMessageDeflate.extensionName];
    if (pmd) {
      lines.push(`Sec-WebSocket-Extensions: ${pmd._responseHeader()}`);
      ws._extensions = extensions;
    }
    return ws;
  }

  _socketOptions(): SetSocketOptions {
    const o = this.options;
    return {
      allowSynchronousEvents: o.allowSynchronousEvents,
      maxBufferedChunks: o.maxBufferedChunks,
      maxFragments: o.maxFragments,
      maxPayload: o.maxPayload,
      skipUTF8Validation: o.skipUTF8Validation,
      maxBufferedAmount: o.maxBufferedAmount,
      backpressurePolicy: o.backpressurePolicy,
      heartbeat: this._heartbeat,
    };
  }

  /** Tracks an opened WebSocket and hands it to the user. */
  _opened(ws: WebSocket, req: http.IncomingMessage, cb: Cb): void {
    if (this.clients) {
      this.clients.add(ws);
      // One shared listener (it finds the server through a symbol), not a closure per connection.
      (ws as WebSocket & { [kServer]?: WebSocketServer })[kServer] = this;
      ws.on('close', untrack);
    }
    cb(ws, req);
    if (this.listenerCount('stream') > 0) this.emit('stream', WebSocketStream.from(ws), req);
  }
}

type Refuse = (code: number, message?: string, headers?: http.OutgoingHttpHeaders, clientError?: boolean) => void;

const EMPTY = Buffer.alloc(0);

function isSecure(socket: Tagged | undefined): boolean {
  return !!(socket?.authorized || socket?.encrypted);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function headerMap(pairs: string[][]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) out[name!] = value!;
  return out;
}

type AnyListener = (...args: never[]) => void;

function addListeners(server: EventEmitter, map: Record<string, AnyListener>): () => void {
  const listener = (event: string): ((...args: unknown[]) => void) => map[event] as (...args: unknown[]) => void;
  for (const event of Object.keys(map)) server.on(event, listener(event));
  return () => {
    for (const event of Object.keys(map)) server.removeListener(event, listener(event));
  };
}

const kServer: unique symbol = Symbol('server');
const kDeadline: unique symbol = Symbol('upgrade deadline');
/** The longest delay `setTimeout` honours (larger ones fire after 1 ms). */
const MAX_TIMER = 2 ** 31 - 1;

/** Starts a port-mode socket's upgrade deadline: destroyed unless 'upgrade' comes first. */
function armDeadline(socket: Timed, ms: number): void {
  const timer = setTimeout(destroySocket, ms, socket);
  timer.unref();
  socket[kDeadline] = timer;
  socket.once('close', clearDeadline);
}

function clearDeadline(this: Timed): void {
  const timer = this[kDeadline];
  if (!timer) return;
  clearTimeout(timer);
  this[kDeadline] = null;
  this.removeListener('close', clearDeadline);
}

function destroySocket(socket: Timed): void {
  socket[kDeadline] = null;
  socket.destroy();
}

/** The `'close'` listener of tracked clients: forgets the client, closes a draining server. */
function untrack(this: WebSocket & { [kServer]?: WebSocketServer }): void {
  const server = this[kServer];
  if (!server || !server.clients) return;
  server.clients.delete(this);
  if (server._shouldEmitClose && !server.clients.size) process.nextTick(emitClose, server);
}

function emitClose(server: WebSocketServer): void {
  server._state = CLOSED;
  server.emit('close');
}

function socketOnError(this: Duplex): void {
  this.destroy();
}
