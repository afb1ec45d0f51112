/**
 * Test support for transport tests: an in-memory Duplex pair, a self-signed certificate made
 * with the openssl CLI, the live native connection count, transport introspection, and the two
 * server transports a hostile-peer battery runs over (port mode, and an https.Server).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { delay, listen, shutdown, WebSocketServer, type ServerT } from './helpers.ts';

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

/** A listening WebSocketServer and how to reach it with a raw socket. */
export interface Listening {
  wss: ServerT;
  port: number;
  url: string;
  /** Terminates the clients and closes the servers. */
  close(): Promise<void>;
}

/** How a hostile-peer test reaches a WebSocketServer. */
export interface ServerTransport {
  /** Appended to test titles ('' for the port-mode default). */
  label: string;
  /** Whether accepted sockets run on the native driver. */
  native: boolean;
  listen(options?: Record<string, unknown>): Promise<Listening>;
  /**
   * A raw socket to `port`, connected (for TLS: handshake done, trusting the test certificate),
   * and the TCP socket under it (the same one for plain TCP), which `resetAndDestroy()` needs.
   */
  connect(port: number): Promise<{ socket: net.Socket; tcp: net.Socket }>;
}

/**
 * A WebSocketServer on an https.Server (JS-owned TLS sockets) on an ephemeral port. `Server` is
 * the WebSocketServer class (ours by default; the real ws's to compare against it).
 */
export async function listenTls(options: Record<string, unknown> = {}, Server: new (o: object) => ServerT = WebSocketServer): Promise<Listening> {
  const { key, cert } = selfSignedCert();
  const server = https.createServer({ key, cert }, (_req, res) => res.end('plain https'));
  const wss = new Server({ server, ...options });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    wss,
    port,
    url: `wss://127.0.0.1:${port}`,
    async close() {
      await shutdown(wss);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A TLS socket to `port` trusting the test certificate, after its handshake, over `tcp`. */
export async function connectTls(port: number): Promise<{ socket: tls.TLSSocket; tcp: net.Socket }> {
  const tcp = net.connect(port, '127.0.0.1');
  await once(tcp, 'connect');
  const socket = tls.connect({ socket: tcp, ca: selfSignedCert().cert, servername: 'localhost' });
  await once(socket, 'secureConnect');
  return { socket, tcp };
}

export const SERVER_TRANSPORTS: ServerTransport[] = [
  {
    label: '',
    native: true,
    async listen(options = {}) {
      const l = await listen(options);
      return { ...l, close: () => shutdown(l.wss) };
    },
    async connect(port) {
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      return { socket, tcp: socket };
    },
  },
  { label: ' over https.Server (TLS, JS transport)', native: false, listen: (options) => listenTls(options), connect: connectTls },
];
