/**
 * Programs for the typings tests, as source text. `WS_APP_BODY` is realistic application code
 * written against `@types/ws`; it is compiled unchanged against @types/ws and against ferrows.
 */

/** Shared body: server (subclass generics, verifyClient, handleProtocols), client, events, streams. */
const WS_APP_BODY = `
class TrackedSocket extends WebSocket {
  isAlive = true;
  userId: string | undefined;
}

const httpServer = http.createServer();

const wss = new WebSocketServer<typeof TrackedSocket>({
  server: httpServer,
  path: '/live',
  WebSocket: TrackedSocket,
  clientTracking: true,
  maxPayload: 1 << 20,
  skipUTF8Validation: false,
  allowSynchronousEvents: true,
  autoPong: true,
  perMessageDeflate: {
    zlibDeflateOptions: { level: 3, memLevel: 7, chunkSize: 1024 },
    zlibInflateOptions: { chunkSize: 10 * 1024 },
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    threshold: 1024,
    concurrencyLimit: 10,
  },
  verifyClient: (info: { origin: string; secure: boolean; req: IncomingMessage }, done) => {
    done(info.secure || info.origin === 'https://example.com', 401, 'Unauthorized', { 'X-Reason': 'origin' });
  },
  handleProtocols: (protocols: Set<string>, request: IncomingMessage) =>
    protocols.has('chat') && request.headers.host !== undefined ? 'chat' : false,
});

wss.on('connection', (socket, request) => {
  const tracked: TrackedSocket = socket;
  tracked.isAlive = true;
  tracked.userId = request.socket.remoteAddress;
  socket.on('pong', () => {
    socket.isAlive = true;
  });
  socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
    for (const client of wss.clients) {
      if (client !== socket && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
  socket.on('close', (code: number, reason: Buffer) => console.log(code, reason.toString()));
  socket.on('error', (err: Error) => console.error(err.message));
  socket.once('ping', (payload: Buffer) => socket.pong(payload));
  socket.send('welcome', (err?: Error) => err && console.error(err));
});
wss.on('headers', (headers: string[], request: IncomingMessage) => headers.push('X-Path: ' + request.url));
wss.on('wsClientError', (error: Error, socket: Duplex, request: IncomingMessage) => {
  console.log(error.message, request.method);
  socket.destroy();
});
wss.on('listening', () => console.log(wss.address()));

const heartbeat = setInterval(() => {
  wss.clients.forEach((client) => {
    if (!client.isAlive) return client.terminate();
    client.isAlive = false;
    client.ping();
  });
}, 30000);
wss.on('close', () => clearInterval(heartbeat));

const detached = new WebSocket.Server({ noServer: true, clientTracking: false });
httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
  if (!detached.shouldHandle(request)) return socket.destroy();
  detached.handleUpgrade(request, socket, head, (client, req) => detached.emit('connection', client, req));
});
const where = detached.options.noServer ? null : wss.address();
if (where !== null && typeof where !== 'string') console.log(where.port, where.address, where.family);
detached.close((err?: Error) => err && console.error(err));

function onServer(server: WebSocket.Server, options: WebSocket.ServerOptions): void {
  server.on('connection', (ws: WebSocket) => ws.close(1000));
  console.log(options.port);
}
onServer(new WebSocketServer({ port: 0 }, () => console.log('listening')), { port: 0 });

const clientOptions: WebSocket.ClientOptions = {
  headers: { Authorization: 'Bearer token' },
  handshakeTimeout: 5000,
  perMessageDeflate: { clientMaxWindowBits: 10 },
  followRedirects: true,
  maxRedirects: 3,
  rejectUnauthorized: false,
  origin: 'https://example.com',
  protocolVersion: 13,
  maxPayload: 1024,
  generateMask(mask: Buffer) {
    mask.fill(1);
  },
  finishRequest(request, websocket) {
    request.setHeader('X-Ws-State', String(websocket.readyState));
    request.end();
  },
  createConnection: net.createConnection,
};
const client = new WebSocket('wss://example.com/path', ['chat', 'superchat'], clientOptions);
const other = new WebSocket(new URL('ws://localhost:8080'), { perMessageDeflate: false });
const third = new WebSocket('ws://localhost:8080', 'chat');

client.binaryType = 'arraybuffer';
client.on('open', function open(this: WebSocket) {
  this.send('hello');
  client.send(Buffer.from([1, 2, 3]), { binary: true, compress: false, fin: true, mask: true }, (err) => err);
  client.send(new Uint8Array(4));
  client.send(new ArrayBuffer(8));
  client.send(42);
  client.ping('x', true, (err: Error) => console.log(err));
});
client.on('upgrade', (response: IncomingMessage) => console.log(response.headers['sec-websocket-protocol']));
client.on('unexpected-response', (request: ClientRequest, response: IncomingMessage) => {
  console.log(request.path, response.statusCode);
});
client.on('redirect', (url: string, request: ClientRequest) => console.log(url, request.path));
client.on('message', (data, isBinary) => {
  if (isBinary && data instanceof ArrayBuffer) console.log(data.byteLength);
  else if (Array.isArray(data)) console.log(data.length);
  else console.log(data.toString());
});

client.onopen = (event: WebSocket.Event) => console.log(event.type, event.target.url);
client.onmessage = (event: WebSocket.MessageEvent) => {
  const data: WebSocket.Data = event.data;
  if (typeof data === 'string') console.log(data.length);
};
client.onclose = (event: WebSocket.CloseEvent) => console.log(event.code, event.reason, event.wasClean);
client.onerror = (event: WebSocket.ErrorEvent) => console.log(event.message, event.error);

const onMessage = (event: WebSocket.MessageEvent) => console.log(event.data);
client.addEventListener('message', onMessage, { once: true });
client.addEventListener('close', { handleEvent: (event: WebSocket.CloseEvent) => console.log(event.code) });
client.addEventListener('open', (event) => console.log(event.target.protocol));
client.removeEventListener('message', onMessage);

const stream: Duplex = WebSocket.createWebSocketStream(other, { encoding: 'utf8', allowHalfOpen: false });
stream.pipe(process.stdout);
const stream2 = createWebSocketStream(third);
stream2.on('data', (chunk: Buffer) => console.log(chunk.length));

const state: 0 | 1 | 2 | 3 = client.readyState;
if (client.readyState === client.OPEN || state === WebSocket.CLOSING) client.close(1000, 'bye');
console.log(client.bufferedAmount + 1, client.protocol.length, client.extensions.length, client.isPaused, client.url.length);
client.pause();
client.resume();
client.terminate();

export function broadcast(server: WebSocket.Server<typeof TrackedSocket>, message: string): number {
  let sent = 0;
  server.clients.forEach((c) => {
    if (c.readyState === WebSocket.OPEN) {
      c.send(message);
      sent++;
    }
  });
  return sent;
}
`;

/** The @types/ws application as a CommonJS-era TypeScript module (esModuleInterop default import). */
export const APP_CJS = `
import WebSocket, { WebSocketServer, createWebSocketStream } from 'ws';
import * as http from 'http';
import * as net from 'net';
import type { ClientRequest, IncomingMessage } from 'http';
import type { Duplex } from 'stream';
${WS_APP_BODY}
`;

/** The same application written with \`import = require\` (no interop). */
export const APP_IMPORT_EQUALS = `
import WebSocket = require('ws');
import http = require('http');
import net = require('net');
import type { ClientRequest, IncomingMessage } from 'http';
import type { Duplex } from 'stream';
const { WebSocketServer, createWebSocketStream } = WebSocket;
${WS_APP_BODY}
`;

/**
 * The same application as an ES module (compiled with module nodenext, so through the .d.mts).
 * @types/ws's ESM default export has no \`Server\`/\`createWebSocketStream\` statics in its types,
 * so ESM code uses the named exports instead.
 */
const ESM_BODY = WS_APP_BODY.replaceAll('new WebSocket.Server(', 'new WebSocketServer(')
  .replaceAll('WebSocket.Server<', 'Server<')
  .replaceAll('server: WebSocket.Server,', 'server: Server,')
  .replaceAll('WebSocket.createWebSocketStream', 'createWebSocketStream');
export const APP_ESM = `
import WebSocket, { WebSocketServer, createWebSocketStream } from 'ws';
import type { RawData, ClientOptions, Server, ServerOptions, VerifyClientCallbackAsync, PerMessageDeflateOptions } from 'ws';
import * as http from 'node:http';
import * as net from 'node:net';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
${ESM_BODY}
export const named: [RawData | undefined, ClientOptions, ServerOptions, VerifyClientCallbackAsync | undefined, PerMessageDeflateOptions] = [
  undefined,
  {},
  { port: 0 },
  undefined,
  { threshold: 0 },
];
`;

/** Our additions beyond @types/ws: ws 8.19–8.23 options, the exported internals, WebSocketStream. */
export const ADDITIONS = `
import WebSocket, {
  WebSocketServer,
  WebSocketStream,
  WebSocketError,
  Sender,
  Receiver,
  PerMessageDeflate,
  extension,
  subprotocol,
} from 'ferrows';
import * as net from 'node:net';

const client = new WebSocket('ws://localhost:8080', {
  protocols: ['chat', 'v2'],
  closeTimeout: 1000,
  maxPendingAutoPongs: 10,
  maxBufferedChunks: 1000,
  maxFragments: 100,
});
client.close(1000, new Uint8Array([0x62, 0x79, 0x65]));
const server = new WebSocketServer({ port: 0, closeTimeout: 500, maxPendingAutoPongs: 5 });
server.on('stream', (stream, request) => {
  const wrapped: WebSocketStream = stream;
  console.log(wrapped.url, request.url);
});
server.close();

export async function streams(signal: AbortSignal): Promise<void> {
  const wss = new WebSocketStream('ws://localhost:8080', { protocols: ['chat'], signal });
  const { readable, writable, protocol, extensions } = await wss.opened;
  const writer = writable.getWriter();
  await writer.write('hello');
  await writer.write(new Uint8Array([1, 2]));
  for await (const chunk of readable) {
    const text: string | Uint8Array = chunk;
    console.log(text, protocol, extensions);
  }
  wss.close({ closeCode: 1000, reason: 'done' });
  const { closeCode, reason } = await wss.closed;
  console.log(closeCode, reason, wss.url);
  const wrapped: WebSocketStream = WebSocketStream.from(client);
  console.log(wrapped.url);
  await wrapped.closed.catch((err: unknown) => {
    if (err instanceof WebSocketError) console.log(err.closeCode, err.reason);
  });
}

const frames: Buffer[] = Sender.frame(Buffer.from('hi'), { opcode: 0x01, fin: true, rsv1: false, mask: true, readOnly: false, generateMask: (m: Buffer) => m.fill(0) });
console.log(frames.length);

const receiver = new Receiver({ isServer: true, maxPayload: 1024, binaryType: 'arraybuffer', allowSynchronousEvents: false, skipUTF8Validation: false, maxFragments: 8, maxBufferedChunks: 8 });
receiver.on('message', (data: Buffer, isBinary: boolean) => console.log(data, isBinary));
receiver.on('conclude', (code: number, reason: Buffer) => console.log(code, reason));
receiver.write(Buffer.concat(frames));

const pmd = new PerMessageDeflate({ isServer: true, maxPayload: 1 << 20, threshold: 0, serverNoContextTakeover: true });
const legacy = new PerMessageDeflate({}, false, 1024);
const offer: Record<string, number | true> = legacy.offer();
const accepted = pmd.accept(extension.parse('permessage-deflate; client_max_window_bits')[PerMessageDeflate.extensionName]!);
console.log(offer, accepted, pmd.params);
pmd.compress(Buffer.from('x'), true, (err, data) => {
  if (err) throw err;
  pmd.decompress(data!, true, (err2: Error | null, out?: Buffer) => console.log(err2, out));
});
pmd.cleanup();
const sender = new Sender(net.connect(8080), { 'permessage-deflate': pmd });
sender.send('text', { binary: false, compress: true, fin: true, mask: false }, (err) => console.log(err));
sender.ping(Buffer.alloc(0), false);
sender.close(1000, 'bye', false);

const header: string = extension.format({ 'permessage-deflate': { client_max_window_bits: true, server_max_window_bits: 10 } });
const protocols: Set<string> = subprotocol.parse('chat, v2');
console.log(header, protocols.has('chat'));
`;

/** Code that must NOT compile: a named \`Server\` value import (ws has none under ESM) and type misuses. */
export const NEGATIVE = `
import WebSocket, { Server } from 'ferrows';
const s = new Server({ port: 0 });
const c = new WebSocket('ws://x', { handshakeTimeout: 'soon' });
c.send();
c.close('1000');
const n: string = c.readyState;
export { s, n };
`;
