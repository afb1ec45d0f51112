#!/usr/bin/env node
// A byte-transparent bridge between RFC 6455 over HTTP/1.1 (what Autobahn|TestSuite speaks) and RFC 8441 over
// HTTP/2 cleartext (h2c), so that wstest's cases exercise a peer's HTTP/2 path (shared/spec/h2-h3.md section 5.4).
// Node built-ins only.
//
//   h1ToH2({ target })  server role: listens for HTTP/1.1 Upgrades (from wstest -m fuzzingclient), answers the 101
//                       itself and opens an extended CONNECT stream to the HTTP/2 server `target`
//                       (http://host:port) over one shared session.
//   h2ToH1({ target })  client role: an h2c server accepting extended CONNECT (from the client under test); each
//                       stream becomes an HTTP/1.1 Upgrade to the WebSocket server `target` (wstest -m fuzzingserver).
//
// Both copy bytes unchanged after the handshake. sec-websocket-extensions (and -protocol) are forwarded in the
// request and copied back from the answer, so permessage-deflate is negotiated end to end. End and reset mapping
// (h2-h3.md section 1.5):
//   TCP FIN                         -> stream.end()       (END_STREAM)
//   END_STREAM                      -> socket.end()       (FIN)
//   TCP reset / socket error        -> stream.close(NGHTTP2_CANCEL)
//   RST_STREAM with a non-zero code -> socket.resetAndDestroy()
//   RST_STREAM(NO_ERROR)            -> FIN (what Node's Http2Stream.destroy() sends; a TCP destroy is a FIN too)
//
// CLI: node autobahn/h2-bridge.mjs h1-to-h2|h2-to-h1 --target URL [--port P] [--verbose]
import { once } from 'node:events';
import crypto from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;
// Headers copied from the HTTP/1.1 handshake to the extended CONNECT and back (lowercase, as Node gives them).
const REQUEST_HEADERS = ['sec-websocket-extensions', 'sec-websocket-protocol', 'origin'];
const RESPONSE_HEADERS = ['sec-websocket-extensions', 'sec-websocket-protocol'];
// The bridge should not be the bottleneck: larger windows and session memory than Node's defaults on the sessions
// it owns (the peer under test keeps its own settings for what it receives).
const SESSION_OPTIONS = { maxSessionMemory: 256, settings: { initialWindowSize: 4 << 20 } };
const CONNECTION_WINDOW = 16 << 20;

export const acceptKey = (key) => crypto.createHash('sha1').update(key + GUID).digest('base64');

/**
 * Copies bytes between a TCP socket and an Http2Stream, both already past their handshakes, with the end/reset
 * mapping above. `stats` counts how each connection ended.
 */
export function splice(socket, stream, stats, head) {
  let done = false;
  const finish = (how) => {
    if (done) return;
    done = true;
    stats[how] = (stats[how] ?? 0) + 1;
  };
  socket.setNoDelay(true);
  stream.on('error', () => {});
  socket.on('error', () => {});
  if (head?.length) stream.write(head);
  socket.pipe(stream, { end: false });
  stream.pipe(socket, { end: false });

  // A reset: the stream is closed with a non-zero code by the time 'end' (if any) or 'close' runs.
  const streamReset = () => stream.closed && stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR;
  const resetSocket = () => {
    finish('h2Reset');
    if (!socket.destroyed) socket.resetAndDestroy();
  };
  // Node's Http2Stream.close(code) (so also terminate() on a Node-http2 peer) sends END_STREAM just before the
  // RST_STREAM: give the reset a turn of the event loop to arrive before turning END_STREAM into a FIN.
  const endSocket = () => {
    if (streamReset()) return resetSocket();
    if (!socket.destroyed && !socket.writableEnded) socket.end();
  };
  stream.on('end', () => (streamReset() ? resetSocket() : setImmediate(endSocket)));
  stream.on('close', () => {
    if (streamReset()) return resetSocket();
    endSocket();
    finish('clean');
  });
  socket.on('end', () => {
    if (!stream.destroyed && !stream.writableEnded) stream.end();
  });
  socket.on('close', (hadError) => {
    if (stream.destroyed || stream.closed) return;
    if (hadError || !stream.writableEnded) {
      finish('tcpReset');
      stream.close(NGHTTP2_CANCEL);
    }
  });
}

function h1Error(socket, status, text = http.STATUS_CODES[status] ?? '') {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function listen(server, port = 0) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

// ---------------------------------------------------------------- server role: HTTP/1.1 in, HTTP/2 out

/** One shared h2c session to `target`, reopened if it goes away; resolves once extended CONNECT is allowed. */
class SharedSession {
  constructor(target, log) {
    this.target = new URL(target);
    this.log = log;
    this.current = null;
  }

  get() {
    if (this.current && !this.current.session.closed && !this.current.session.destroyed) return this.current.ready;
    const { hostname, port } = this.target;
    const session = http2.connect(this.target.origin, {
      ...SESSION_OPTIONS,
      createConnection: () => net.connect({ host: hostname, port, noDelay: true }),
    });
    const ready = new Promise((resolve, reject) => {
      session.once('remoteSettings', (settings) => {
        if (!settings.enableConnectProtocol) {
          reject(new Error(`${this.target.origin} does not allow extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)`));
          session.close();
          return;
        }
        session.setLocalWindowSize(CONNECTION_WINDOW);
        resolve(session);
      });
      session.once('error', reject);
      session.once('close', () => reject(new Error('HTTP/2 session closed before its SETTINGS')));
    });
    ready.catch(() => {});
    session.on('error', (err) => this.log(`HTTP/2 session error: ${err.message}`));
    session.on('goaway', (code) => this.log(`GOAWAY ${code} from the server`));
    this.current = { session, ready };
    return ready;
  }

  close() {
    this.current?.session.close();
  }
}

export async function h1ToH2({ target, port = 0, log = () => {} }) {
  const shared = new SharedSession(target, log);
  const stats = { upgrades: 0 };
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 0 }, (req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    res.end('WebSocket only\n');
  });
  server.on('upgrade', async (req, socket, head) => {
    socket.on('error', () => {});
    const key = req.headers['sec-websocket-key'];
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !key) return h1Error(socket, 400);
    socket.pause();
    let session;
    try {
      session = await shared.get();
    } catch (err) {
      log(`no HTTP/2 session: ${err.message}`);
      return h1Error(socket, 502);
    }
    if (socket.destroyed) return;
    const headers = {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'http',
      ':path': req.url,
      ':authority': req.headers.host ?? shared.target.host,
      'sec-websocket-version': '13',
    };
    for (const name of REQUEST_HEADERS) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    let stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (err) {
      log(`CONNECT failed: ${err.message}`);
      return h1Error(socket, 502);
    }
    stats.upgrades++;
    const early = (err) => {
      log(`CONNECT ${req.url}: ${err?.message ?? `stream closed (rstCode ${stream.rstCode})`}`);
      h1Error(socket, 502);
    };
    const gone = () => stream.destroyed || stream.close(NGHTTP2_CANCEL);
    stream.once('error', early);
    stream.once('close', early);
    socket.once('close', gone);
    stream.once('response', (res) => {
      stream.off('error', early);
      stream.off('close', early);
      socket.off('close', gone);
      const status = Number(res[':status']);
      if (status < 200 || status > 299) {
        log(`CONNECT ${req.url}: ${status}`);
        stream.close(NGHTTP2_CANCEL);
        return h1Error(socket, status);
      }
      const lines = [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${acceptKey(key)}`,
      ];
      for (const name of RESPONSE_HEADERS) if (res[name] !== undefined) lines.push(`${name}: ${res[name]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      splice(socket, stream, stats, head);
      socket.resume();
    });
  });
  const bound = await listen(server, port);
  return {
    port: bound,
    url: `ws://127.0.0.1:${bound}`,
    stats,
    close: () => new Promise((resolve) => {
      shared.close();
      server.close(() => resolve());
      server.closeAllConnections?.();
    }),
  };
}

// ---------------------------------------------------------------- client role: HTTP/2 in, HTTP/1.1 out

export async function h2ToH1({ target, port = 0, log = () => {} }) {
  const url = new URL(target);
  const stats = { streams: 0 };
  // No 'request' listener: with one, Node's compat layer would take CONNECT away from 'stream' (h2-h3-route.md 3).
  const server = http2.createServer({ ...SESSION_OPTIONS, noDelay: true, settings: { ...SESSION_OPTIONS.settings, enableConnectProtocol: true } });
  const sessions = new Set();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('error', () => {});
    session.once('close', () => sessions.delete(session));
    session.once('remoteSettings', () => session.setLocalWindowSize(CONNECTION_WINDOW));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    if (headers[':method'] !== 'CONNECT') {
      stream.respond({ ':status': 405 }, { endStream: true });
      return;
    }
    if (headers[':protocol'] !== 'websocket') {
      stream.respond({ ':status': 501 }, { endStream: true });
      return;
    }
    stats.streams++;
    stream.pause();
    const key = crypto.randomBytes(16).toString('base64');
    const reqHeaders = {
      Host: url.host,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Version': '13',
    };
    for (const name of REQUEST_HEADERS) if (headers[name] !== undefined) reqHeaders[name] = headers[name];
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: headers[':path'],
      headers: reqHeaders,
      agent: false,
      createConnection: (opts) => net.connect({ ...opts, allowHalfOpen: true, noDelay: true }),
    });
    const fail = (status, why) => {
      log(`upgrade ${headers[':path']}: ${why}`);
      if (!stream.destroyed && !stream.headersSent) stream.respond({ ':status': status }, { endStream: true });
    };
    req.on('error', (err) => fail(502, err.message));
    req.on('response', (res) => {
      res.resume();
      fail(res.statusCode >= 200 && res.statusCode < 300 ? 502 : res.statusCode, `answered ${res.statusCode}`);
    });
    const gone = () => req.destroy();
    stream.once('close', gone);
    req.on('upgrade', (res, socket, head) => {
      stream.off('close', gone);
      socket.on('error', () => {});
      if (res.headers['sec-websocket-accept'] !== acceptKey(key)) {
        socket.destroy();
        return fail(502, 'wrong Sec-WebSocket-Accept');
      }
      if (stream.destroyed || stream.closed) return socket.destroy();
      socket.allowHalfOpen = true;
      const out = { ':status': 200 };
      for (const name of RESPONSE_HEADERS) if (res.headers[name] !== undefined) out[name] = res.headers[name];
      stream.respond(out);
      splice(socket, stream, stats, head);
    });
    req.end();
  });
  const bound = await listen(server, port);
  return {
    port: bound,
    url: `ws://127.0.0.1:${bound}`,
    stats,
    close: () => new Promise((resolve) => {
      for (const session of sessions) session.destroy();
      server.close(() => resolve());
    }),
  };
}

// ---------------------------------------------------------------- CLI

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { target: { type: 'string' }, port: { type: 'string', default: '0' }, verbose: { type: 'boolean' } },
  });
  const mode = { 'h1-to-h2': h1ToH2, 'h2-to-h1': h2ToH1 }[positionals[0]];
  if (!mode || !values.target) {
    console.error('usage: node autobahn/h2-bridge.mjs h1-to-h2|h2-to-h1 --target URL [--port P] [--verbose]');
    process.exit(2);
  }
  const log = values.verbose ? (...a) => console.error('[h2-bridge]', ...a) : () => {};
  const bridge = await mode({ target: values.target, port: Number(values.port), log });
  console.log(`[h2-bridge] ${positionals[0]} listening on ${bridge.url} -> ${values.target}`);
  await once(process, 'SIGINT');
  await bridge.close();
}
