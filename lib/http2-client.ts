/**
 * The client handshake over HTTP/2 (RFC 8441): an extended CONNECT (`:protocol websocket`) on a
 * shared `ClientHttp2Session`, sent once the server's SETTINGS enable it; a 2xx answer makes the
 * `Http2Stream` the WebSocket's socket. The answer is checked by the Rust core
 * (`checkConnectResponse`) and the extension answer exactly as over HTTP/1.1.
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import * as http2 from 'node:http2';
import { PassThrough, type Duplex } from 'node:stream';
import { acceptExtensions, header, socketOptions } from './client-accept';
import { acquire, whenReady, type Readiness } from './http2-session-pool';
import { cancelStream } from './http2-stream';
import { native } from './native';
import type { PerMessageDeflate } from './permessage-deflate';
import { abortHandshake, emitErrorAndClose, WebSocket } from './websocket';

/** The `http2` option: false (HTTP/1.1 only), true (HTTP/2 required), 'auto' (fall back). */
export type Http2Mode = boolean | 'auto';

/** What `initAsClient` prepared, for the HTTP/2 request. */
export interface Http2Handshake {
  url: URL;
  opts: Record<string, unknown>;
  /** The HTTP/1.1 request headers; the ones HTTP/2 forbids are dropped. */
  headers: Record<string, unknown>;
  protocolSet: Set<string>;
  perMessageDeflate: PerMessageDeflate | undefined;
  /** Does the HTTP/1.1 upgrade instead (`http2: 'auto'`); null when HTTP/2 is required. */
  fallback: (() => void) | null;
}

/** Headers that are connection-specific (RFC 9113 §8.2.2) or replaced by `:protocol`/`:authority`. */
const DROPPED = new Set([
  'connection', 'upgrade', 'host', 'sec-websocket-key', 'keep-alive', 'proxy-connection',
  'transfer-encoding', 'te', 'http2-settings',
]);


/** Reads the `http2`/`http2Session` options; throws on a value that is neither. */
export function http2Mode(opts: Record<string, unknown>): Http2Mode {
  const mode = opts['http2'];
  if (mode === undefined) return opts['http2Session'] !== undefined;
  if (mode === true || mode === false || mode === 'auto') return mode;
  throw new TypeError(`The "http2" option must be true, false or 'auto' (received ${String(mode)})`);
}

/** Starts the HTTP/2 handshake; `ws._req` is the pending request until the answer. */
export function connectHttp2(ws: WebSocket, hs: Http2Handshake): void {
  if (hs.url.protocol === 'ws+unix:' && hs.opts['http2Session'] === undefined) {
    if (hs.fallback) return hs.fallback();
    process.nextTick(emitErrorAndClose, ws, new Error('WebSockets over HTTP/2 need a ws: or wss: URL (or an http2Session)'));
    return;
  }
  const req = new Http2Request(ws, hs);
  ws._req = req as unknown as ClientRequest;
  req.start();
}

/** The request headers of the extended CONNECT. */
function requestHeaders(hs: Http2Handshake): http2.OutgoingHttpHeaders {
  const { url } = hs;
  const out: http2.OutgoingHttpHeaders = {};
  let authority = url.host;
  for (const [name, value] of Object.entries(hs.headers)) {
    const lower = name.toLowerCase();
    if (value === undefined) continue;
    if (lower === 'host') authority = String(value);
    else if (!DROPPED.has(lower)) out[lower] = value as string | string[];
  }
  if (hs.opts['auth'] && out['authorization'] === undefined) {
    out['authorization'] = 'Basic ' + Buffer.from(hs.opts['auth'] as string).toString('base64');
  }
  return {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': url.protocol === 'wss:' ? 'https' : 'http',
    ':path': url.pathname + url.search,
    ':authority': authority,
    ...out,
  };
}

/**
 * The answer, shaped like the `http.IncomingMessage` ws hands to `'upgrade'` and
 * `'unexpected-response'` (`statusCode`, `headers`, `httpVersion` '2.0'); on a refusal the body
 * streams through it.
 */
export class Http2Response extends PassThrough {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly httpVersion = '2.0';
  readonly httpVersionMajor = 2;
  readonly httpVersionMinor = 0;

  constructor(headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader) {
    super();
    this.statusCode = Number(headers[':status']);
    this.statusMessage = STATUS_CODES[this.statusCode] ?? '';
    this.headers = {};
    this.rawHeaders = [];
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith(':') || value === undefined) continue;
      (this.headers as Record<string, unknown>)[name] = value;
      for (const one of Array.isArray(value) ? value : [value]) this.rawHeaders.push(name, String(one));
    }
  }
}

/**
 * The pending extended CONNECT: what ws keeps in `ws._req` and passes to
 * `'unexpected-response'`. `destroy()` cancels it (RST_STREAM CANCEL once the stream exists).
 */
export class Http2Request extends EventEmitter {
  readonly method = 'CONNECT';
  readonly path: string;
  readonly host: string;
  readonly protocol: string;
  session: http2.ClientHttp2Session | null = null;
  stream: http2.ClientHttp2Stream | null = null;
  destroyed = false;
  readonly #ws: WebSocket;
  readonly #hs: Http2Handshake;
  #release: () => void = () => {};
  #timer: NodeJS.Timeout | null = null;
  #answered = false;
  #upgraded = false;

  constructor(ws: WebSocket, hs: Http2Handshake) {
    super();
    this.#ws = ws;
    this.#hs = hs;
    this.path = hs.url.pathname + hs.url.search;
    this.host = hs.url.host;
    this.protocol = hs.url.protocol === 'wss:' ? 'https:' : 'http:';
  }

  /** Still waiting for the answer, and still the WebSocket's request. */
  get #pending(): boolean {
    return !this.destroyed && !this.#answered && this.#ws._req === (this as unknown as ClientRequest);
  }

  start(): void {
    const ms = this.#hs.opts['handshakeTimeout'] as number | undefined;
    if (ms) this.#timer = setTimeout(() => this.#abort('Opening handshake has timed out'), ms);
    try {
      const lease = acquire(this.#hs.url, this.#hs.opts);
      this.session = lease.session;
      this.#release = lease.release;
    } catch (err) {
      process.nextTick(() => this.#fail(err as Error));
      return;
    }
    whenReady(this.session).then(
      (state) => this.#onReady(state),
      (err: Error) => this.#fail(err),
    );
  }

  /** Cancels the request. After a 2xx the stream belongs to the WebSocket and is left alone. */
  destroy(err?: Error): this {
    if (this.destroyed || this.#upgraded) return this;
    const byUser = this.#ws._req === (this as unknown as ClientRequest) && this.#ws.readyState === WebSocket.CONNECTING;
    this.#cancel();
    if (byUser) {
      this.#ws._req = null;
      process.nextTick(emitErrorAndClose, this.#ws, err ?? new Error('socket hang up'));
    }
    process.nextTick(() => {
      if (err && this.listenerCount('error') > 0) this.emit('error', err);
      this.emit('close');
    });
    return this;
  }

  /** ws's `ClientRequest.abort()` spelling. */
  abort(): void {
    this.destroy();
  }

  #abort(message: string): void {
    if (this.#ws._req === (this as unknown as ClientRequest) && !this.destroyed) {
      abortHandshake(this.#ws, this as unknown as Duplex, message);
    }
  }

  #cancel(): void {
    this.destroyed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.stream) this.#release();
    else if (!this.stream.closed) cancelStream(this.stream);
  }

  #fail(err: Error): void {
    if (!this.#pending) return;
    this.#cancel();
    this.#ws._req = null;
    emitErrorAndClose(this.#ws, err);
  }

  #onReady(state: Readiness): void {
    if (!this.#pending) return;
    if (state === 'ready') return this.#send();
    const fallback = this.#hs.fallback;
    if (!fallback) {
      return this.#fail(new Error(`The server does not support WebSockets over HTTP/2 (${notReady(state, this.session!)})`));
    }
    this.#cancel();
    this.#ws._req = null;
    fallback();
  }

  #send(): void {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.session!.request(requestHeaders(this.#hs), { endStream: false });
    } catch (err) {
      return this.#fail(err as Error);
    }
    this.stream = stream;
    stream.on('error', (err: Error) => this.#fail(err));
    stream.on('close', () => {
      this.#release();
      this.#fail(new Error(`The HTTP/2 stream closed before the server answered (RST_STREAM code ${stream.rstCode})`));
    });
    stream.once('response', (headers) => this.#onResponse(headers));
  }

  #onResponse(headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    if (!this.#pending) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#answered = true;
    const res = new Http2Response(headers);
    if (res.statusCode >= 200 && res.statusCode < 300) return this.#upgrade(res);
    this.stream!.pipe(res);
    if (!this.#ws.emit('unexpected-response', this, res)) this.#abort(`Unexpected server response: ${res.statusCode}`);
  }

  #upgrade(res: Http2Response): void {
    const ws = this.#ws;
    ws.emit('upgrade', res);
    if (ws.readyState !== WebSocket.CONNECTING) return;
    const protocol = header(res.headers['sec-websocket-protocol']);
    const failure = native.checkConnectResponse(res.statusCode, protocol ?? null, [...this.#hs.protocolSet]);
    if (failure) return this.#abort(failure);
    if (protocol) ws._protocol = protocol;
    const problem = acceptExtensions(ws, this.#hs.perMessageDeflate, header(res.headers['sec-websocket-extensions']));
    if (problem) return this.#abort(problem);
    ws._req = null;
    this.#upgraded = true;
    ws.setSocket(this.stream!, Buffer.alloc(0), socketOptions(this.#hs.opts));
  }
}

function notReady(state: Readiness, session: http2.ClientHttp2Session): string {
  if (state === 'alpn') return `ALPN selected ${session.alpnProtocol || 'no protocol'}`;
  if (state === 'preface') return 'it did not answer the HTTP/2 connection preface';
  return 'it did not enable SETTINGS_ENABLE_CONNECT_PROTOCOL';
}
