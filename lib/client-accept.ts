/**
 * What the HTTP/1.1 and the HTTP/2 (RFC 8441) client handshakes share once the server has
 * answered: the extension check and the options handed to `setSocket`.
 */
import { PerMessageDeflate } from './permessage-deflate';
import type { BackpressurePolicy, SetSocketOptions, WebSocket } from './websocket';

/**
 * Accepts the server's `Sec-WebSocket-Extensions` answer (ws's rules); returns the failure
 * message, or undefined once `ws._extensions` is set (or nothing was negotiated).
 */
export function acceptExtensions(
  ws: WebSocket,
  offered: PerMessageDeflate | undefined,
  answer: string | undefined,
): string | undefined {
  if (answer === undefined) return undefined;
  if (!offered) return 'Server sent a Sec-WebSocket-Extensions header but no extension was requested';
  const problem = offered._acceptResponse(answer);
  if (problem) return problem;
  ws._extensions = { [PerMessageDeflate.extensionName]: offered };
  return undefined;
}

/** The `setSocket` options of a client, from its normalized options. */
export function socketOptions(opts: Record<string, unknown>): SetSocketOptions {
  return {
    allowSynchronousEvents: opts['allowSynchronousEvents'] as boolean,
    generateMask: opts['generateMask'] as ((mask: Buffer) => void) | undefined,
    maxBufferedChunks: opts['maxBufferedChunks'] as number,
    maxFragments: opts['maxFragments'] as number,
    maxPayload: opts['maxPayload'] as number,
    skipUTF8Validation: opts['skipUTF8Validation'] as boolean,
    maxBufferedAmount: opts['maxBufferedAmount'] as number | undefined,
    backpressurePolicy: opts['backpressurePolicy'] as BackpressurePolicy | undefined,
  };
}

/** A header value as one string (repeated headers joined as HTTP joins them). */
export function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
