/**
 * WebSockets over HTTP/2 (RFC 8441) on a user's Node `http2` server: the routing of extended
 * CONNECT streams to `WebSocketServer.handleStream`, the request object handlers see, and how a
 * stream is answered or refused.
 *
 * Node's http2 module has two ways of delivering a stream, and which one runs depends on the
 * user's server (`../shared/spec/h2-h3-route.md` §3 was found by running them):
 * - with any `'request'` listener (`http2.createSecureServer(options, app)`), the compatibility
 *   layer answers CONNECT with 405 itself unless the server has a `'connect'` listener, which then
 *   receives `(Http2ServerRequest, Http2ServerResponse)`;
 * - without one, every stream arrives on `'stream'` as `(stream, headers, flags, rawHeaders)`.
 * So the server listens on both and decides per stream, at the time it arrives.
 */
import * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';

const { NGHTTP2_PROTOCOL_ERROR } = http2.constants;

/** A server of Node's http2 module: `http2.createServer()` or `http2.createSecureServer()`. */
export type Http2AnyServer = http2.Http2Server | http2.Http2SecureServer;

/** What an HTTP/2 WebSocket handler receives as `req`: Node's own compatibility request. */
export type Http2Request = http2.Http2ServerRequest;

/** Whether `server` is an HTTP/2 server (it can change its SETTINGS). */
export function isHttp2Server(server: unknown): server is Http2AnyServer {
  return typeof (server as { updateSettings?: unknown } | null)?.updateSettings === 'function';
}

/** Called for each extended CONNECT stream the server should handle. */
export type StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, req: Http2Request) => void;

/**
 * Advertises `SETTINGS_ENABLE_CONNECT_PROTOCOL` on the server's new sessions and routes its
 * CONNECT streams to `handle`; other requests are left to the user's handlers. Returns the
 * function that removes the listeners.
 */
export function attachHttp2Server(server: Http2AnyServer, handle: StreamHandler): () => void {
  server.updateSettings({ enableConnectProtocol: true });
  const onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]): void => {
    // With a 'request' listener, the compatibility layer owns the stream and emits 'connect'.
    if (headers[':method'] !== 'CONNECT' || server.listenerCount('request') > 0) return;
    handle(stream, headers, requestFor(stream, headers, raw));
  };
  const onConnect = (req: Http2Request | { httpVersionMajor: number }, second: unknown, head?: Buffer): void => {
    if (!('stream' in req)) return refuseHttp1Connect(server, second as Duplex, head);
    handle(req.stream, req.headers, req);
  };
  server.on('stream', onStream);
  server.on('connect', onConnect);
  return () => {
    server.removeListener('stream', onStream);
    server.removeListener('connect', onConnect);
  };
}

/**
 * An HTTP/1.1 CONNECT (an `allowHTTP1` client asking for a tunnel) is not a WebSocket: answered
 * with 405 unless another `'connect'` listener is there to take it.
 */
function refuseHttp1Connect(server: Http2AnyServer, socket: Duplex, _head: Buffer | undefined): void {
  if (server.listenerCount('connect') > 1) return;
  socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

/** The `req` of a stream that arrived on `'stream'`: the object Node's compatibility layer builds. */
export function requestFor(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, raw?: string[]): Http2Request {
  const rawHeaders = raw ?? Object.entries(headers).flatMap(([n, v]) => (Array.isArray(v) ? v.flatMap((x) => [n, x]) : [n, String(v)]));
  return new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
}

/** The headers as the core's checks take them: one string per name, pseudo-headers included. */
export function flatHeaders(headers: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** Whether the stream can still be answered. */
export function isAnswerable(stream: http2.ServerHttp2Stream): boolean {
  return !stream.destroyed && !stream.closed && !stream.headersSent;
}

/** Refuses a handshake with a response (ws's `abortHandshake` for HTTP/2): status, headers, body. */
export function refuseStream(stream: http2.ServerHttp2Stream, status: number, message: string, headers?: Record<string, unknown>): void {
  if (!isAnswerable(stream)) return;
  const body = Buffer.from(message);
  const response: http2.OutgoingHttpHeaders = {
    ':status': status,
    'content-type': 'text/html',
    'content-length': body.length,
  };
  for (const [name, value] of Object.entries(headers ?? {})) response[name.toLowerCase()] = value as string;
  stream.respond(response);
  stream.end(body);
}

/** A malformed request (RFC 9113 §8.1.1): reset the stream, no response. */
export function resetMalformed(stream: http2.ServerHttp2Stream): void {
  if (!stream.destroyed) stream.close(NGHTTP2_PROTOCOL_ERROR);
}

/**
 * Answers an accepted WebSocket with 200. `lines` are the HTTP/1.1-style header lines the
 * `'headers'` event showed the user (the status line first); lines the user added are sent too.
 */
export function acceptStream(stream: http2.ServerHttp2Stream, lines: string[]): void {
  const response: http2.OutgoingHttpHeaders = { ':status': 200 };
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = response[name];
    response[name] = previous === undefined ? value : ([] as string[]).concat(previous as string | string[], value);
  }
  stream.respond(response);
}
