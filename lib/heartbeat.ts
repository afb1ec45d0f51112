/**
 * The server's `heartbeat` option: ping every open connection each `interval` ms and terminate
 * those whose pong does not come back within `timeout` ms (ws's README recipe "How to detect and
 * close broken connections", built in).
 *
 * The Rust engine keeps each connection's heartbeat state and deadline. On the native driver its
 * timer fires them, so no JavaScript runs at all; connections whose socket JavaScript owns (TLS,
 * HTTP/2 streams, any Duplex) share one timer here, whatever their number.
 */

/** The option as given: `{ interval, timeout? }` in milliseconds; `timeout` defaults to `interval`. */
export interface HeartbeatOption {
  interval: number;
  timeout?: number;
}

/** The option checked and defaulted, as the engine takes it. */
export interface Heartbeat {
  heartbeatInterval: number;
  heartbeatTimeout: number;
}

/** Node's timers take at most 2^31 - 1 ms. */
const MAX_MS = 2 ** 31 - 1;

const isMs = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_MS;

/** Validates the option (a `TypeError` names what is wrong); `undefined`/`null`/`false` is off. */
export function parseHeartbeat(option: unknown): Heartbeat | null {
  if (option === undefined || option === null || option === false) return null;
  const { interval, timeout = (option as HeartbeatOption).interval } = (option ?? {}) as HeartbeatOption;
  if (typeof option !== 'object' || !isMs(interval) || !isMs(timeout)) {
    throw new TypeError(
      `The "heartbeat" option must be { interval, timeout? } with whole milliseconds from 1 to ${MAX_MS}`,
    );
  }
  return { heartbeatInterval: interval, heartbeatTimeout: timeout };
}

/** A JavaScript-owned connection with a running heartbeat. */
export interface Beating {
  /** Fires the engine's due deadline at `now` (ms since the epoch, the engine's clock there). */
  beat(now: number): void;
}

const beating = new Set<Beating>();
let timer: NodeJS.Timeout | null = null;
let period = Infinity;

/**
 * How often the shared timer runs for a heartbeat: a quarter of its shorter span, so a ping or a
 * verdict is at most that late, between 10 ms and 1 s.
 */
const periodFor = (h: Heartbeat): number =>
  Math.min(1000, Math.max(10, Math.floor(Math.min(h.heartbeatInterval, h.heartbeatTimeout) / 4)));

function tick(): void {
  const now = Date.now();
  for (const connection of beating) connection.beat(now);
}

/** Starts beating `connection` on the shared timer. */
export function watch(connection: Beating, heartbeat: Heartbeat): void {
  beating.add(connection);
  const wanted = periodFor(heartbeat);
  if (timer !== null && wanted >= period) return;
  if (timer !== null) clearInterval(timer);
  period = wanted;
  timer = setInterval(tick, period);
  timer.unref();
}

/** Stops beating `connection`; the timer stops with the last one. */
export function unwatch(connection: Beating): void {
  if (!beating.delete(connection) || beating.size > 0 || timer === null) return;
  clearInterval(timer);
  timer = null;
  period = Infinity;
}
