/**
 * Errors with ws's shapes: a stable `code` (`WS_ERR_*`) plus the close status under
 * `kStatusCode`, built in one place (ws `lib/receiver.js` `createError`).
 */
import { kStatusCode } from './constants';

export interface ProtocolError extends Error {
  code: string;
  [kStatusCode]: number;
}

/** Builds a frame-level error as ws's receiver does. */
export function protocolError(
  ctor: ErrorConstructor | RangeErrorConstructor,
  message: string,
  code: string,
  statusCode: number,
): ProtocolError {
  const err = new ctor(message) as ProtocolError;
  Error.captureStackTrace(err, protocolError);
  err.code = code;
  err[kStatusCode] = statusCode;
  return err;
}

/**
 * Decodes the engine's error record: the payload is `"CODE\nmessage"`, the flags carry the
 * close code (low 16 bits) and whether ws raises it as a RangeError (bit 16).
 */
export function errorFromRecord(text: string, flags: number): ProtocolError {
  const newline = text.indexOf('\n');
  const code = text.slice(0, newline);
  const message = text.slice(newline + 1);
  const statusCode = flags & 0xffff;
  const ctor = flags & 0x10000 ? RangeError : Error;
  const err = protocolError(ctor, message, code, statusCode);
  // zlib's errors carry errno; ws surfaces them unchanged (Z_DATA_ERROR is -3).
  if (code === 'Z_DATA_ERROR') (err as ProtocolError & { errno: number }).errno = -3;
  return err;
}
