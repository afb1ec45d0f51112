/**
 * Test support for the HTTP/2 client (RFC 8441): a Node `http2` server (TLS or h2c) that
 * answers extended CONNECT, with each accepted stream wrapped as a {@link RawPeer} so the test
 * writes server frames (unmasked) and reads the client's frames itself.
 */
import { once } from 'node:events';
import * as http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { frame, RawPeer } from './helpers.ts';
import { selfSignedCert } from './helpers-server.ts';

/** One accepted extended CONNECT. */
export interface H2Peer {
  stream: http2.ServerHttp2Stream;
  headers: http2.IncomingHttpHeaders;
  peer: RawPeer;
  /** Resolves with the stream's `rstCode` when it closes; rejects after 5 s. */
  closed: Promise<number>;
}

export interface H2ServerOptions {
  secure?: boolean;
  /** `settings.enableConnectProtocol` (default true). */
  connect?: boolean;
  allowHTTP1?: boolean;
  /** Answers the CONNECT; the default is 200 with the first offered subprotocol. */
  answer?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
}

export interface H2Server {
  server: http2.Http2Server | http2.Http2SecureServer;
  port: number;
  url: string;
  ca: Buffer;
  /** TCP connections accepted so far, and how many of them have closed. */
  connections: { opened: number; closed: number };
  sessions: http2.ServerHttp2Session[];
  nextPeer(ms?: number): Promise<H2Peer>;
}

export function answer200(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const offered = headers['sec-websocket-protocol'];
  const first = typeof offered === 'string' ? offered.split(',')[0]!.trim() : undefined;
  stream.respond({ ':status': 200, ...(first ? { 'sec-websocket-protocol': first } : {}) });
}

/** Starts an HTTP/2 server on loopback, closed (with its sessions) when the test ends. */
export async function h2Server(t: { teardown(fn: () => unknown): void }, o: H2ServerOptions = {}): Promise<H2Server> {
  const { key, cert } = selfSignedCert();
  const settings = { enableConnectProtocol: o.connect ?? true };
  const secure = o.secure ?? true;
  const server = secure
    ? http2.createSecureServer({ key, cert, settings, allowHTTP1: o.allowHTTP1 ?? false })
    : http2.createServer({ settings });
  const connections = { opened: 0, closed: 0 };
  const sessions: http2.ServerHttp2Session[] = [];
  const peers: H2Peer[] = [];
  const waiters: (() => void)[] = [];
  server.on('connection', (socket: Socket) => {
    connections.opened++;
    socket.on('close', () => connections.closed++);
  });
  server.on('session', (session) => sessions.push(session));
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const closed = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server stream did not close')), 5000);
      stream.on('close', () => {
        clearTimeout(timer);
        resolve(stream.rstCode);
      });
    });
    closed.catch(() => {});
    peers.push({ stream, headers, peer: new RawPeer(stream as unknown as Socket), closed });
    for (const wake of waiters.splice(0)) wake();
    (o.answer ?? answer200)(stream, headers);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  t.teardown(() => {
    for (const session of sessions) session.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const nextPeer = async (ms = 5000): Promise<H2Peer> => {
    const deadline = Date.now() + ms;
    while (peers.length === 0) {
      if (Date.now() > deadline) throw new Error('no extended CONNECT arrived');
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return peers.shift()!;
  };
  const url = `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}`;
  return { server, port, url, ca: cert, connections, sessions, nextPeer };
}

/** Echoes data frames (unmasked) until the client's Close, then answers it and ends the stream. */
export async function echo(p: H2Peer): Promise<void> {
  for (;;) {
    const f = await p.peer.readFrame();
    if (f.opcode === 8) {
      p.stream.end(frame(8, f.payload, { mask: false }));
      return;
    }
    if (f.opcode === 1 || f.opcode === 2) p.stream.write(frame(f.opcode, f.payload, { mask: false }));
  }
}
