/**
 * Test support for transport tests: an in-memory Duplex pair, a self-signed certificate made
 * with the openssl CLI, the live native connection count, and transport introspection.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { delay } from './helpers.ts';

const require = createRequire(import.meta.url);
// The same module instance the package uses (CommonJS cache), so the count is the package's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nativeTransport = require('../dist/lib/native-transport.js') as { nativeConnections(): number };

/** Live connections owned by the native driver (both ends of a loopback pair count). */
export function nativeConnections(): number {
  return nativeTransport.nativeConnections();
}

/** Polls until the live native connection count equals `expected`; returns the last count seen. */
export async function settleNative(expected: number, ms = 5000): Promise<number> {
  const deadline = Date.now() + ms;
  let count = nativeConnections();
  while (count !== expected && Date.now() < deadline) {
    await delay(10);
    count = nativeConnections();
  }
  return count;
}

/** Whether a WebSocket runs on a Rust-owned socket. */
export function isNative(ws: unknown): boolean {
  return (ws as { _transport: { isNative: boolean } })._transport.isNative;
}

/** The `_socket` of a WebSocket, as user code reads it. */
export function socketOf(ws: unknown): {
  remoteAddress?: string;
  remotePort?: number;
  localAddress?: string;
  localPort?: number;
} {
  return (ws as { _socket: never })._socket;
}

/**
 * Two connected in-memory Duplex streams: what one writes, the other reads. `end()` on one side
 * ends the other's readable side; destroying one side destroys the other after what is in flight.
 */
export function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  // Bytes arrive on a later turn, as from a socket: a synchronous pair re-enters ws's close().
  const deliver = (to: number, chunk: Buffer | null): void => {
    setImmediate(() => {
      if (!sides[to]!.destroyed) sides[to]!.push(chunk);
    });
  };
  const make = (index: number): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, cb) {
        deliver(1 - index, chunk);
        cb();
      },
      final(cb) {
        deliver(1 - index, null);
        cb();
      },
      destroy(err, cb) {
        const other = sides[1 - index]!;
        setImmediate(() => {
          if (!other.destroyed) other.destroy();
        });
        cb(err);
      },
    });
  sides.push(make(0), make(1));
  return [sides[0]!, sides[1]!];
}

let cached: { key: string; cert: string } | undefined;

/** A self-signed certificate for 127.0.0.1/localhost, generated once per process with openssl. */
export function selfSignedCert(): { key: string; cert: string } {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'ferrows-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    cached = { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
