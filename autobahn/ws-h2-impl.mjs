// The real `ws` 8.23 with a thin RFC 8441 adapter, so the HTTP/2 transport of run.mjs (and h2-bridge.mjs) can be
// validated against the reference implementation. ws itself speaks HTTP/1.1 only; the adapter does the extended
// CONNECT handshake and hands the Http2Stream (a Duplex) to ws's own framing code:
//   - `new WebSocketServer({ server: http2Server, ... })` answers extended CONNECT streams through ws's
//     handleUpgrade (a synthesized GET request; ws's 101 is turned into `:status 200` + its extension answer);
//   - `new WebSocket(url, { http2: true, ... })` opens one h2c session per socket, waits for the server's SETTINGS,
//     sends the CONNECT with ws's permessage-deflate offer and calls ws's setSocket on the stream.
// Everything else is plain ws (with HTTP/1.1 when the option or the server is not HTTP/2).
// ws's internals are loaded by file path: its package `exports` only lists the entry points.
import { once } from 'node:events';
import http2 from 'node:http2';
import net from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ws from 'ws';

const require = createRequire(import.meta.url);
const wsLib = path.join(path.dirname(require.resolve('ws')), 'lib');
const PerMessageDeflate = require(path.join(wsLib, 'permessage-deflate.js'));
const extension = require(path.join(wsLib, 'extension.js'));
const PMD = PerMessageDeflate.extensionName;
const EMPTY = Buffer.alloc(0);

export const agent = 'ws-h2';
export const http2ClientOptions = { http2: true };

export class WebSocketServer extends ws.WebSocketServer {
  constructor(options, callback) {
    const { server, ...rest } = options ?? {};
    if (typeof server?.updateSettings !== 'function') { // not an Http2Server (the class is not exported)
      super(options, callback);
      return;
    }
    super({ ...rest, noServer: true }, callback);
    this.h2server = server;
    server.updateSettings({ enableConnectProtocol: true });
    server.on('listening', () => this.emit('listening'));
    server.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  address() {
    return this.h2server ? this.h2server.address() : super.address();
  }

  onStream(stream, headers) {
    stream.on('error', () => {});
    if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== 'websocket') {
      stream.respond({ ':status': headers[':method'] === 'CONNECT' ? 501 : 405 }, { endStream: true });
      return;
    }
    const req = {
      method: 'GET',
      url: headers[':path'],
      headers: {
        host: headers[':authority'],
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAAAA==', // RFC 8441 has no key; ws requires one
        'sec-websocket-version': headers['sec-websocket-version'],
      },
      socket: stream.session?.socket,
    };
    for (const name of ['sec-websocket-extensions', 'sec-websocket-protocol', 'origin']) {
      if (headers[name] !== undefined) req.headers[name] = headers[name];
    }
    // ws writes its 101 with one socket.write(); answer the CONNECT from it instead.
    const write = stream.write;
    stream.write = (chunk) => {
      stream.write = write;
      const text = String(chunk);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 500);
      const out = { ':status': status === 101 ? 200 : status };
      for (const name of ['sec-websocket-extensions', 'sec-websocket-protocol']) {
        const m = new RegExp(`^${name}: (.*)$`, 'mi').exec(text);
        if (m) out[name] = m[1].trim();
      }
      stream.respond(out, { endStream: status !== 101 });
      return true;
    };
    this.handleUpgrade(req, stream, EMPTY, (socket) => this.emit('connection', socket, req));
  }
}

export class WebSocket extends ws.WebSocket {
  constructor(address, protocols, options) {
    if (options === undefined && protocols && typeof protocols === 'object' && !Array.isArray(protocols)) {
      options = protocols;
      protocols = undefined;
    }
    if (!options?.http2) {
      super(address, protocols, options);
      return;
    }
    const opts = {
      allowSynchronousEvents: true, autoPong: true, closeTimeout: 30_000, maxPendingAutoPongs: 60,
      maxBufferedChunks: 256 * 1024, maxFragments: 16 * 1024, maxPayload: 100 * 1024 * 1024,
      skipUTF8Validation: false, perMessageDeflate: true, ...options,
    };
    super(null, undefined, opts); // the "server side" constructor opens nothing
    this._isServer = false;
    this._bufferedAmount = 0;
    this._url = String(address);
    this.connectH2(new URL(address), opts).catch((err) => this.failH2(err));
  }

  failH2(err) {
    if (this.readyState !== ws.WebSocket.CONNECTING) return;
    this._readyState = ws.WebSocket.CLOSING;
    this.emit('error', err);
    this.emitClose();
  }

  async connectH2(url, opts) {
    const session = http2.connect(`http://${url.host}`, {
      createConnection: () => net.connect({ host: url.hostname, port: url.port, noDelay: true }),
    });
    session.on('error', (err) => this.failH2(err));
    const [settings] = await once(session, 'remoteSettings');
    if (!settings.enableConnectProtocol) {
      session.close();
      throw new Error('the server does not allow extended CONNECT');
    }
    const pmd = opts.perMessageDeflate
      ? new PerMessageDeflate(opts.perMessageDeflate === true ? {} : opts.perMessageDeflate, false, opts.maxPayload)
      : null;
    const headers = {
      ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':authority': url.host,
      ':path': `${url.pathname}${url.search}`, 'sec-websocket-version': '13',
    };
    if (pmd) headers['sec-websocket-extensions'] = extension.format({ [PMD]: [pmd.offer()] });
    const stream = session.request(headers, { endStream: false });
    stream.on('error', (err) => this.failH2(err));
    stream.on('close', () => session.close());
    const [res] = await once(stream, 'response');
    const status = Number(res[':status']);
    if (status < 200 || status > 299) {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      throw new Error(`Unexpected server response: ${status}`);
    }
    const answer = res['sec-websocket-extensions'];
    if (answer !== undefined) {
      const exts = extension.parse(answer);
      if (!pmd || Object.keys(exts).length !== 1 || !exts[PMD]) throw new Error('unrequested extension');
      pmd.accept(exts[PMD]);
      this._extensions[PMD] = pmd;
    }
    this.setSocket(stream, EMPTY, {
      allowSynchronousEvents: opts.allowSynchronousEvents, generateMask: opts.generateMask,
      maxBufferedChunks: opts.maxBufferedChunks, maxFragments: opts.maxFragments, maxPayload: opts.maxPayload,
      skipUTF8Validation: opts.skipUTF8Validation,
    });
  }
}
