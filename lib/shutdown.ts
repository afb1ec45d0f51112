/**
 * Graceful shutdown for a deploy (`WebSocketServer#shutdown`): stop accepting, send every tracked
 * client a close frame (1001 Going Away by default) behind the data already queued for it, wait
 * for the closing handshakes up to a deadline, then terminate whoever is left.
 */
import type { WebSocket } from './websocket';

/** Options of `WebSocketServer#shutdown`. */
export interface ShutdownOptions {
  /** The close code sent to every client. Default `1001` (Going Away). */
  code?: number;
  /** The close reason sent to every client. Default empty. */
  reason?: string | Buffer;
  /** Milliseconds to wait for the closing handshakes before terminating the rest. Default `10000`. */
  timeout?: number;
}

/** Default `timeout` of `shutdown`. */
export const SHUTDOWN_TIMEOUT = 10_000;

/** What `shutdown` needs of a `WebSocketServer`. */
interface Drainable {
  clients?: Set<WebSocket>;
  close(cb?: (err?: Error) => void): void;
}

/** Validated options, with their defaults. */
function resolve(options: ShutdownOptions): Required<ShutdownOptions> {
  const { code = 1001, reason = '', timeout = SHUTDOWN_TIMEOUT } = options;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new TypeError(`The "timeout" option must be a non-negative number of milliseconds; received ${String(timeout)}`);
  }
  return { code, reason, timeout };
}

/**
 * Drains `server`; resolves once every client is closed and the server has emitted `'close'`.
 * Clients are reached through `server.clients`, so with `clientTracking: false` only the
 * listener is stopped (the application owns its connections then).
 */
export function shutdown(server: Drainable, options: ShutdownOptions = {}): Promise<void> {
  const { code, reason, timeout } = resolve(options);
  const clients = [...(server.clients ?? [])];
  const closed = new Promise<void>((done) => server.close(() => done()));
  const open = clients.filter((ws) => ws.readyState !== ws.CLOSED);
  const handshakes = Promise.all(open.map((ws) => new Promise<void>((done) => ws.once('close', () => done()))));
  for (const ws of open) {
    // CONNECTING sockets are refused by close() (ws throws); they are terminated instead.
    if (ws.readyState === ws.CONNECTING) ws.terminate();
    else if (ws.readyState === ws.OPEN) ws.close(code, reason);
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((done) => {
    timer = setTimeout(() => {
      for (const ws of open) if (ws.readyState !== ws.CLOSED) ws.terminate();
      done();
    }, timeout);
  });
  return Promise.race([handshakes, deadline])
    .then(() => {
      clearTimeout(timer);
      return handshakes;
    })
    .then(() => closed);
}
