/**
 * Test support for WebSockets over HTTP/2 (RFC 8441): a ferrows server on Node's `http2`
 * (h2c or TLS) and a raw extended-CONNECT peer built on Node's own `http2` client, whose stream
 * is read and written with the frame helpers of `helpers.ts`.
 */
import type { ExecutionContext } from 'ava';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { RawPeer, WebSocketServer, type ServerT, type WebSocketT } from './helpers.ts';
import { closeAll, selfSignedCert } from './helpers-server.ts';

export type Http2AnyServer = http2.Http2Server | http2.Http2SecureServer;

/** A ferrows server on an HTTP/2 server, closed with everything it holds at teardown. */
export interface H2Setup {
  wss: ServerT;
  server: Http2AnyServer;
  port: number;
  origin: string;
  cert: Buffer;
}

/** Starts `http2.createServer` (h2c) or, with `tls`, `createSecureServer({ allowHTTP1: true })`. */
export async function h2Server(
  t: ExecutionContext,
  { tls = false, wssOptions = {}, serverOptions = {}, app }: {
    tls?: boolean;
    wssOptions?: Record<string, unknown>;
    serverOptions?: http2.SecureServerOptions;
    app?: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;
  } = {},
): Promise<H2Setup> {
  const { key, cert } = selfSignedCert();
  const server = tls
    ? http2.createSecureServer({ key, cert, allowHTTP1: true, ...serverOptions }, app)
    : http2.createServer(serverOptions, app);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  const wss = new WebSocketServer({ server, ...wssOptions });
  t.teardown(async () => {
    await closeAll(wss);
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { wss, server, port, origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, cert };
}

/** Opens an HTTP/2 session and waits for the server's SETTINGS. */
export async function h2Session(t: ExecutionContext, setup: Pick<H2Setup, 'origin' | 'cert'>, options: http2.SecureClientSessionOptions = {}): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(setup.origin, { ca: setup.cert, servername: 'localhost', ...options });
  session.on('error', () => {});
  t.teardown(() => {
    session.destroy();
  });
  const [settings] = (await once(session, 'remoteSettings')) as [http2.Settings];
  if (!settings.enableConnectProtocol) throw new Error('the server did not enable extended CONNECT');
  return session;
}

/** The request headers of a WebSocket over HTTP/2; `overrides` replace or (with undefined) drop. */
export function connectHeaders(overrides: Record<string, string | undefined> = {}): http2.OutgoingHttpHeaders {
  const headers: Record<string, string | undefined> = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':path': '/',
    ':authority': 'localhost',
    'sec-websocket-version': '13',
    ...overrides,
  };
  for (const name of Object.keys(headers)) if (headers[name] === undefined) delete headers[name];
  return headers as http2.OutgoingHttpHeaders;
}

/** An extended CONNECT stream and the server's answer. */
export interface H2Peer {
  stream: http2.ClientHttp2Stream;
  status: number;
  headers: http2.IncomingHttpHeaders;
  /** Frames on the stream (only meaningful after a 200). */
  peer: RawPeer;
  /** Resolves with the RST_STREAM code (0 for a clean close) when the stream closes. */
  closed: Promise<number>;
}

/** Sends an extended CONNECT on `session` and waits for the response headers (or the stream's end). */
export async function h2Connect(session: http2.ClientHttp2Session, overrides: Record<string, string | undefined> = {}): Promise<H2Peer> {
  const stream = session.request(connectHeaders(overrides), { endStream: false });
  stream.on('error', () => {});
  const closed = new Promise<number>((resolve) => stream.once('close', () => resolve(stream.rstCode ?? 0)));
  const peer = new RawPeer(stream as unknown as Socket);
  const response = await Promise.race([
    once(stream, 'response').then(([headers]) => headers as http2.IncomingHttpHeaders),
    closed.then(() => undefined),
  ]);
  return { stream, status: Number(response?.[':status'] ?? 0), headers: response ?? {}, peer, closed };
}

/** Echoes every message back with its type. */
export function echoOn(wss: ServerT): void {
  wss.on('connection', (ws: WebSocketT) => {
    ws.on('error', () => {});
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
}
