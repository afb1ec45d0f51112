/**
 * An HTTP/2 stream as a WebSocket's transport (RFC 8441 §5 and `../shared/spec/h2-h3.md` §1.5):
 * the orderly close is END_STREAM (`end()`, as for TCP), and an abort — what a TCP reset is for
 * a socket — is `RST_STREAM(CANCEL)`, never a NO_ERROR reset that a peer could take for a clean
 * close.
 */
import * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';

const { NGHTTP2_CANCEL } = http2.constants;

/** Whether a Duplex is an HTTP/2 stream (server or client side). */
export function isHttp2Stream(socket: Duplex): socket is http2.Http2Stream {
  return 'rstCode' in socket && 'session' in socket && typeof (socket as { close?: unknown }).close === 'function';
}

/** Aborts the stream with `RST_STREAM(CANCEL)`. */
export function cancelStream(stream: http2.Http2Stream): void {
  if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
}
