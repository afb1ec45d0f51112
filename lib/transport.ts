/**
 * The seam between the ws-compatible `WebSocket` and the engine that frames its bytes.
 *
 * Two transports run the same Rust protocol engine:
 * - `NativeTransport`: Rust owns the socket inside Node's libuv loop (plain TCP on POSIX);
 * - `JsTransport`: JavaScript owns the stream (TLS, any Duplex, Windows, Bun) and Rust frames.
 * Both report to a {@link TransportSink} with the events ws's Receiver and socket would emit.
 */
import type { ProtocolError } from './errors';

/** Receives what the engine and the transport observed, in order. */
export interface TransportSink {
  /**
   * A complete message. `fragments` holds one Buffer per frame for a binary message that
   * arrived in several frames (ws's `binaryType = 'fragments'`), else undefined.
   */
  _onMessage(data: Buffer, isBinary: boolean, fragments?: Buffer[]): void;
  /** A ping (its automatic pong is already queued when enabled). */
  _onPing(data: Buffer): void;
  /** A pong. */
  _onPong(data: Buffer): void;
  /** The peer's close frame (ws `'conclude'`); the reply is already queued. */
  _onConclude(code: number, reason: Buffer): void;
  /** The peer broke the protocol; a close frame with the error's code is queued. */
  _onProtocolError(err: ProtocolError): void;
  /** The peer ended its side (TCP FIN). */
  _onEnd(): void;
  /** Everything queued is written, after bytes were seen queued or the socket pushed back. */
  _onDrain(): void;
  /** The transport is gone. Called exactly once. */
  _onTransportClose(): void;
}

/** Write completion: `err` is set when the bytes can no longer be written. */
export type WriteCallback = (err?: Error | null) => void;


/** What the WebSocket asks of its transport. */
export interface Transport {
  /** What `ws._socket` answers: the Node socket, or a socket-like facade for native connections. */
  readonly socket: object;
  /** Whether Rust owns the socket. */
  readonly isNative: boolean;
  /** Queues a message; `flags` come from `sendFlags()` (native.ts), `maskKey` from `generateMask`. */
  send(data: Buffer | string, flags: number, maskKey: number | undefined, cb: WriteCallback | undefined): void;
  ping(data: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback | undefined): void;
  pong(data: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback | undefined): void;
  /** Queues our close frame (`code` undefined: empty payload). */
  close(code: number | undefined, reason: Buffer, mask: boolean | undefined, maskKey: number | undefined, cb: WriteCallback): void;
  /** Half-closes once everything queued is written (`socket.end()`). */
  end(): void;
  /** Destroys the connection now (`socket.destroy()`). */
  destroy(): void;
  pause(): void;
  resume(): void;
  /**
   * Bytes queued and not yet written. A nonzero answer arms a `_onDrain` report for when they
   * are all written.
   */
  bufferedAmount(): number;
}
