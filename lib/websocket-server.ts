/**
 * The ws-compatible `WebSocketServer` (ws `lib/websocket-server.js`): the same options, events,
 * status codes and upgrade sequence. Handshake checks run in the Rust core
 * (`handshake::check_upgrade`, `parse_subprotocols`, permessage-deflate negotiation); accepted
 * plain TCP sockets are adopted by the native driver with the 101 response as their first bytes.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE_TIMEOUT, kWebSocket } from './constants';
import { native } from './native';
import { PerMessageDeflate } from './permessage-deflate';
import { WebSocket } from './websocket';
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
  skipUTF8Validation: boolean;
  perMessageDeflate: boolean | Record<string, unknown>;
  handleProtocols: ((protocols: Set<string>, req: http.IncomingMessage) => string | false) | null;
  clientTracking: boolean;
  closeTimeout: number;
  verifyClient: ((info: VerifyInfo, cb: VerifyCallback) => void) | ((info: VerifyInfo) => boolean) | null;
  noServer: boolean;
  backlog: number | null;
  server: http.Server | null;
  host: string | null;
  path: string | null;
  port: number | null;
  WebSocket: typeof WebSocket;
  [key: string]: unknown;
}

type Tagged = Duplex & { [kWebSocket]?: unknown; encrypted?: boolean; authorized?: boolean };

export class WebSocketServer extends EventEmitter {
  options: ServerOptions;
  /** The tracked connections; left undefined when `clientTracking` is false (as in ws). */
  declare clients: Set<WebSocket>;
  _server: http.Server | null = null;
  _state: number = RUNNING;
  _shouldEmitClose = false;
  _removeListeners: (() => void) | null = null;

  constructor(options: Partial<ServerOptions>, callback?: () => void) {
    super();
    const opts: ServerOptions = {
      allowSynchronousEvents: true,
      autoPong: true,
      maxBufferedChunks: 256 * 1024,
      maxFragments: 16 * 1024,
      maxPayload: 100 * 1024 * 1024,
      maxPendingAutoPongs: 60,
      skipUTF8Validation: false,
      perMessageDeflate: false,
      handleProtocols: null,
      clientTracking: true,
      closeTimeout: CLOSE_TIMEOUT,
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
    if (opts.port != null) {
      this._server = http.createServer((_req, res) => {
        const body = http.STATUS_CODES[426]!;
        res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
        res.end(body);
      });
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
          this.handleUpgrade(req, socket, head, emitConnection);
        },
      });
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
    let protocols = new Set<string>();
    const protocolHeader = single(h['sec-websocket-protocol']);
    if (protocolHeader !== undefined) {
      try {
        protocols = new Set(native.parseSubprotocols(protocolHeader));
      } catch {
        return abortOrEmitClientError(this, req, socket, 400, 'Invalid Sec-WebSocket-Protocol header');
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
        return abortOrEmitClientError(this, req, socket, 400, 'Invalid or unacceptable Sec-WebSocket-Extensions header');
      }
    }
    const key = single(h['sec-websocket-key'])!;
    const verify = this.options.verifyClient;
    if (verify) {
      const version = Number(single(h['sec-websocket-version']));
      const tagged = req.socket as Tagged;
      const info: VerifyInfo = {
        origin: single(h[version === 8 ? 'sec-websocket-origin' : 'origin']),
        secure: !!(tagged.authorized || tagged.encrypted),
        req,
      };
      if (verify.length === 2) {
        (verify as (info: VerifyInfo, cb: VerifyCallback) => void)(info, (verified, code, message, headers) => {
          if (!verified) return abortHandshake(socket, code || 401, message, headers);
          this.completeUpgrade(extensions, key, protocols, req, socket, head, cb);
        });
        return;
      }
      if (!(verify as (info: VerifyInfo) => boolean)(info)) return abortHandshake(socket, 401);
    }
    this.completeUpgrade(extensions, key, protocols, req, socket, head, cb);
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
    const ws = new this.options.WebSocket(null, undefined, this.options);
    if (protocols.size) {
      const protocol = this.options.handleProtocols
        ? this.options.handleProtocols(protocols, req)
        : protocols.values().next().value;
      if (protocol) {
        headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
        ws._protocol = protocol;
      }
    }
    const pmd = extensions[PerMessageDeflate.extensionName];
    if (pmd) {
      headers.push(`Sec-WebSocket-Extensions: ${pmd._responseHeader()}`);
      ws._extensions = extensions;
    }
    this.emit('headers', headers, req);
    tagged[kWebSocket] = ws;
    socket.removeListener('error', socketOnError);
    ws.setSocket(socket, head, {
      allowSynchronousEvents: this.options.allowSynchronousEvents,
      maxBufferedChunks: this.options.maxBufferedChunks,
      maxFragments: this.options.maxFragments,
      maxPayload: this.options.maxPayload,
      skipUTF8Validation: this.options.skipUTF8Validation,
      _preface: Buffer.from(headers.concat('\r\n').join('\r\n')),
    });
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

/** Writes ws's error response (SM7) and ends the socket. */
function abortHandshake(socket: Duplex, code: number, message?: string, headers?: http.OutgoingHttpHeaders): void {
  const body = message || http.STATUS_CODES[code] || '';
  const all: http.OutgoingHttpHeaders = {
    Connection: 'close',
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  };
  socket.once('finish', socket.destroy);
  socket.end(
    `HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\n` +
      Object.keys(all)
        .map((h) => `${h}: ${all[h]}`)
        .join('\r\n') +
      '\r\n\r\n' +
      body,
  );
}

function abortOrEmitClientError(
  server: WebSocketServer,
  req: http.IncomingMessage,
  socket: Duplex,
  code: number,
  message: string,
  headers?: http.OutgoingHttpHeaders,
): void {
  if (server.listenerCount('wsClientError')) {
    const err = new Error(message);
    Error.captureStackTrace(err, abortOrEmitClientError);
    server.emit('wsClientError', err, socket, req);
  } else {
    abortHandshake(socket, code, message, headers);
  }
}
