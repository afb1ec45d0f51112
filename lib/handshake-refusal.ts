/**
 * How a WebSocket server refuses a handshake (ws `abortHandshake`, SM7, and `wsClientError`):
 * over HTTP/1.1 an error response written on the socket, over HTTP/2 a response on the stream.
 */
import type { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { refuseStream, type Http2Request } from './http2-server';

/** Writes ws's error response (SM7) and ends the socket. */
export function abortHandshake(socket: Duplex, code: number, message?: string, headers?: http.OutgoingHttpHeaders): void {
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

/**
 * A request check failed: `'wsClientError'` listeners decide what to answer, else ws's response.
 */
export function abortOrEmitClientError(
  server: EventEmitter,
  req: http.IncomingMessage,
  socket: Duplex,
  code: number,
  message: string,
  headers?: http.OutgoingHttpHeaders,
): void {
  clientErrorOr(server, message, socket, req, () => abortHandshake(socket, code, message, headers));
}

/** `abortOrEmitClientError` for a stream: `'wsClientError'` gets the stream as its socket. */
export function streamClientError(
  server: EventEmitter,
  req: Http2Request,
  stream: http2.ServerHttp2Stream,
  code: number,
  message: string,
  headers?: http.OutgoingHttpHeaders,
): void {
  clientErrorOr(server, message, stream, req, () => refuseStream(stream, code, message, headers));
}

/** Emits `'wsClientError'` when someone listens; otherwise `refuse` answers the client. */
function clientErrorOr(server: EventEmitter, message: string, socket: unknown, req: unknown, refuse: () => void): void {
  if (server.listenerCount('wsClientError') === 0) return refuse();
  const err = new Error(message);
  Error.captureStackTrace(err, clientErrorOr);
  server.emit('wsClientError', err, socket, req);
}
