/**
 * Support for the client-side and instance-API tests: a scripted raw HTTP/WebSocket server (hand-written
 * responses over real loopback sockets), the real `ws` package as a reference peer, and a self-signed
 * certificate for `wss:` (CN=localhost, SAN localhost and 127.0.0.1; generated for these tests only).
 */
import { once } from 'node:events';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { createRequire } from 'node:module';
import { acceptFor, next, RawPeer, WebSocket, type WebSocketT } from './helpers.ts';

const require = createRequire(import.meta.url);
type WsModule = typeof import('ws', { with: { 'resolution-mode': 'require' } });
/** The real ws 8.23 (a devDependency), used as the peer. */
export const RealWs = require('ws') as WsModule;
export type RealServerT = InstanceType<typeof RealWs.WebSocketServer>;
export type RealSocketT = InstanceType<typeof RealWs>;

/** One accepted raw connection: the request head has been read. */
export interface RawConn {
  peer: RawPeer;
  /** Request line. */
  requestLine: string;
  /** Lower-cased header names; repeated headers joined with ', '. */
  headers: Record<string, string | undefined>;
  /** The client's Sec-WebSocket-Key. */
  key: string;
  /** Every byte received on this connection (head included). */
  wire(): Buffer;
}

export function parseHead(head: string): { line: string; headers: Record<string, string | undefined> } {
  const [line = '', ...rest] = head.split('\r\n');
  const headers: Record<string, string | undefined> = {};
  for (const row of rest) {
    const i = row.indexOf(':');
    if (i === -1) continue;
    const name = row.slice(0, i).trim().toLowerCase();
    const value = row.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { line, headers };
}

export interface RawServer {
  port: number;
  url: string;
  /** Resolves with the next connection whose head was read. */
  nextConn(ms?: number): Promise<RawConn>;
  close(): Promise<void>;
}

/**
 * A TCP server (with `secure`, a TLS server with {@link TLS_CERT} and a `wss:` url) that reads
 * each request head and hands the connection to `onConn`, which writes whatever bytes the test
 * wants (the default does nothing: a server that never answers).
 */
export async function rawServer(onConn: (conn: RawConn) => void = () => {}, host = '127.0.0.1', secure = false): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const ready: RawConn[] = [];
  const waiting: ((c: RawConn) => void)[] = [];
  const onSocket = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const peer = new RawPeer(socket);
    peer.readHead(10000).then(
      (head) => {
        const { line, headers } = parseHead(head);
        const conn: RawConn = {
          peer,
          requestLine: line,
          headers,
          key: headers['sec-websocket-key'] ?? '',
          wire: () => Buffer.concat(chunks),
        };
        onConn(conn);
        const w = waiting.shift();
        if (w) w(conn);
        else ready.push(conn);
      },
      () => socket.destroy(),
    );
  };
  const server = secure ? tls.createServer({ key: TLS_KEY, cert: TLS_CERT }, onSocket) : net.createServer(onSocket);
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `${secure ? 'wss' : 'ws'}://${host}:${port}`,
    nextConn(ms = 5000) {
      const c = ready.shift();
      if (c) return Promise.resolve(c);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no connection reached the raw server')), ms);
        waiting.push((conn) => {
          clearTimeout(timer);
          resolve(conn);
        });
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes a 101 response for `conn` with optional extra header lines (or replacements for the defaults). */
export function answer101(conn: RawConn, extra: string[] = [], { accept = acceptFor(conn.key), upgrade = 'websocket' } = {}): void {
  const lines = ['HTTP/1.1 101 Switching Protocols', `Upgrade: ${upgrade}`, 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, ...extra];
  conn.peer.write(Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'));
}

/** Starts a real ws server on an ephemeral port; `received` collects the upgrade requests' headers. */
export async function realServer(
  options: Record<string, unknown> = {},
): Promise<{ wss: RealServerT; port: number; url: string; requests: Record<string, string | string[] | undefined>[]; close(): Promise<void> }> {
  const wss = new RealWs.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const requests: Record<string, string | string[] | undefined>[] = [];
  wss.on('headers', (_h: string[], req: { headers: Record<string, string | string[] | undefined>; url?: string }) => {
    requests.push({ ...req.headers, ':path': req.url });
  });
  return {
    wss,
    port,
    url: `ws://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Resolves once `fn` returns truthy (polling), or rejects after `ms`. */
export async function until(fn: () => unknown, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Records the order of events on an emitter as strings such as `error:msg` or `close:1006`. */
export function recordEvents(emitter: NodeJS.EventEmitter, names: string[]): string[] {
  const log: string[] = [];
  for (const name of names) {
    emitter.on(name, (...args: unknown[]) => {
      const a = args[0];
      if (a instanceof Error) log.push(`${name}:${a.message}`);
      else if (typeof a === 'number') log.push(`${name}:${a}`);
      else log.push(name);
    });
  }
  return log;
}

export const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCyeZ8l5NI4PIIy
Q85PDMugGiXnTuHP/Jgr191o3UI5kRB3I7T7bdiu3EnOFF/RoU+Wd4nm9jvkKfst
5dujRmU/pF2bxGFPKeM9+FEE3HNBv786lub68pab3vYWLHfIwsxmuv/RrRDmBJ7d
acmQt5G3D3fj7jRoLjF2yM4+XFyqqpcd5sXMkcs2Ngb4smY2WJawUVktgaYKndpH
hjDGm3L05E5oVD6EgOknmj6A8RU4LVpHcRsHmuF2qDKUFeUnNiAul9PACyydi7I/
a9zGxZ1G2rV3lPLkjbX3xps05DuP87jorMv9DQJo/eyIxo2VDUYLk22YR1b4GIT2
xf/3cYMlAgMBAAECggEAA1oKSnqpAduDgrzqovPffKI8J6+YellN5L/31M8X25px
g3yAzBCcqISh8eQ0/Cco6yp67ILasMbd+pJgXFf/8TvgEAL4vSs9ceKkQGlF6Dsd
7/Hli/hRFtdeAtGEM0rXsz2Ut7P0pyIgT80ZGYEd9oNdsy8K9Exf8DPBhGpLUzfs
ltOTUWPFWE3r5vv9M+eGyRNH/9rLBAb7ja6QJM50ydmjimk9h5gQ7D3/kTCJ+Bmh
z9mIhV1bHRaq9YjUTxuBZpmu7Bz3AgHby+acG6S95Un/xQxYePvle3yoD0hvCJQ2
DvBkjrKj7i2/uJv+WSRRyj7H0V6zt1/SSfS4dZhWAQKBgQDaYPGrulUCecHWSwpC
JIZoieaMDSBNdCiGjQ/7s9NZwckX/wJYja23ndVah9HCZa7TfL8Hd7maiBpyDwpn
zw9xrpZLN0220h+4JFPAoWMZ3aRLrUQRbi9lQiu5X1nHgxOTRouhrMWOIM1euWtD
anxS0cgUqtVhvErPQlSpmV1gQwKBgQDRONPCgq7W3U95pFXcqvMHXm9xFQwkGNvQ
dELylJvc2RC/TAmXMthVgYumcjAz12CPklHfDiVGChZRcAhrDbGVfGumDGla31Zq
9LSm8Pvr0hECTvbFutXuJk/nivE0GH0aOeAumUcp3yLpKNLuN9XYId4eRbBjVGll
Vcz+t8TsdwKBgGzT6xv9m+fD7clxVAdqVGE8d9xLnlF7FccX/WMeVrFgVWrT9sNS
t8PNsEmRbgNG0T0r6bc6/w/3y9YTkMfy9Gte6h9JzDzTsmL+F47j3pNBVWMxUb6t
/oij1U5oKkG3HMZEXcmQZFNUHYSbOs06AAL18JP8HqK6Rz3KfI6Yk2QpAoGAOIz1
n9OW0njLLIPguV5zhgBeeuBHgdI+R9/E4LCOWGlLf4lb5kRV+Pak+n5OzRRgAy53
dqTqKj47vhNcEyOGZnNU3XLpXyiSwSIXWjA0x47mDgut49AWVuKAIoOJop0j41zV
XYMMmyK22vKv4Ley01KEKQaJILAGNN+2Ivsk/Q0CgYBqcfiNDx+AUN4kHIgzx+Ob
vJz0ieuZZ7xmgLqe+5vsrWeEwuKQzgSLNX3VX+rABvSOEUu/DcMJZcSXlBncbDRk
w4762xDa/d8qYeG/CEQZW1zk/SGdNipuj6JMF4oqNWdT52KjZpFbt1dEf2/d2uhZ
4ud3yvkR3ypVSVEOGjjEiA==
-----END PRIVATE KEY-----
`;

export const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIDJzCCAg+gAwIBAgIUHdk8YlgIxGSvw4OC6andOPLvv14wDQYJKoZIhvcNAQEL
BQAwFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNDE2MjU1NVoYDzIxMjYx
MDMxMTYyNTU1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQCyeZ8l5NI4PIIyQ85PDMugGiXnTuHP/Jgr191o3UI5
kRB3I7T7bdiu3EnOFF/RoU+Wd4nm9jvkKfst5dujRmU/pF2bxGFPKeM9+FEE3HNB
v786lub68pab3vYWLHfIwsxmuv/RrRDmBJ7dacmQt5G3D3fj7jRoLjF2yM4+XFyq
qpcd5sXMkcs2Ngb4smY2WJawUVktgaYKndpHhjDGm3L05E5oVD6EgOknmj6A8RU4
LVpHcRsHmuF2qDKUFeUnNiAul9PACyydi7I/a9zGxZ1G2rV3lPLkjbX3xps05DuP
87jorMv9DQJo/eyIxo2VDUYLk22YR1b4GIT2xf/3cYMlAgMBAAGjbzBtMB0GA1Ud
DgQWBBQQZX7MLMFR/g1EVRtSj/IRr4bMFzAfBgNVHSMEGDAWgBQQZX7MLMFR/g1E
VRtSj/IRr4bMFzAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGCCWxvY2FsaG9z
dIcEfwAAATANBgkqhkiG9w0BAQsFAAOCAQEAmoTc2SyxaNtbMfAcN0Z1p+4OYRJh
CcqgmMy/IOquaYlIhtWYohoT53r6bOER2+/TXFbgYIUUAq9VhBOJDZV5MJVYS+05
Z5DVXaKJvnP1YslEdpZWzp6o2/F/YKoNXirlenTaieSF3ROjO+yPH1yAejE/k845
YqzluF3jR8z8/ZCC7K26HXCd3cTna8r89ft2VKg/+4Z22GpsjpFhyE/XtXdzgjAT
IBCmLcjpyKOXwi5Ldq/FCoUbyQVKU8UVmkv1q5fpkkygwJl4meqqH+vhkkO+Mtss
QcAoUGYHS/tFPQHAk/MO0p5s5a20Ene/BDYWcOzHagDsB93trQ5FKIlpaA==
-----END CERTIFICATE-----
`;

/**
 * A client of ours connected to a raw server that answered 101 (with `extra` header lines): the test
 * then writes frames with `conn.peer.write(frame(..., { mask: false }))` and reads what the client sent.
 */
export async function rawPair(
  options: Record<string, unknown> = {},
  extra: string[] = [],
): Promise<{ srv: RawServer; conn: RawConn; ws: WebSocketT; close(): Promise<void> }> {
  const srv = await rawServer((c) => answer101(c, extra));
  const ws = new WebSocket(srv.url, { perMessageDeflate: false, ...options } as never);
  const [conn] = await Promise.all([srv.nextConn(), next(ws, 'open')]);
  return {
    srv,
    conn,
    ws,
    async close() {
      if (ws.readyState !== WebSocket.CLOSED) {
        const closed = next(ws, 'close');
        ws.terminate();
        await closed;
      }
      await srv.close();
    },
  };
}

/** Resolves with the `close` event's arguments (unlike `next`, an `error` before it does not reject). */
export function closed(ws: WebSocketT, ms = 5000): Promise<[number, Buffer]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out waiting for 'close'")), ms);
    ws.once('close', (code: number, reason: Buffer) => {
      clearTimeout(timer);
      resolve([code, reason]);
    });
  });
}

/** Writes a redirect response and ends the connection. */
export function answerRedirect(conn: RawConn, location: string, status = 302): void {
  conn.peer.write(Buffer.from(`HTTP/1.1 ${status} Redirect\r\nLocation: ${location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 'latin1'));
  conn.peer.socket.end();
}
