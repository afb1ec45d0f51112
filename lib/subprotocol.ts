/**
 * ws's `subprotocol` helper (`{ parse }`, exported since 8.20) over the Rust core's linear
 * `Sec-WebSocket-Protocol` parser (CVE-2021-32640): invalid tokens and duplicates are rejected.
 */
import { native } from './native';

/** Parses a `Sec-WebSocket-Protocol` value into a Set; throws `SyntaxError` like ws. */
export function parse(header: string): Set<string> {
  try {
    return new Set(native.parseSubprotocols(String(header)));
  } catch (err) {
    throw new SyntaxError((err as Error).message);
  }
}
