/**
 * The client side of the opening handshake (ws `lib/websocket.js` `initAsClient`): the request
 * through Node's `http`/`https` (so agents, `createConnection`, `lookup`, TLS options and proxies
 * work as with ws), redirects with ws's credential rules, and the response checks, which the Rust
 * core makes (`handshake::check_response`).
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as querystring from 'node:querystring';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { acceptExtensions, header, socketOptions } from './client-accept';
import { CLOSE_TIMEOUT } from './constants';
import { connectHttp2, http2Mode } from './http2-client';
import { native } from './native';
import { PerMessageDeflate } from './permessage-deflate';
import { abortHandshake, emitErrorAndClose, installClient, kAborted, WebSocket } from './websocket';

const protocolVersions = [8, 13];

type Options = Record<string, unknown> & {
  headers?: Record<string, unknown>;
  perMessageDeflate?: unknown;
  protocolVersion?: number;
};

interface ClientState {
  _originalIpc?: boolean;
  _originalSecure?: boolean;
  _originalHostOrSocketPath?: string | undefined;
}

function defaults(options: Options | undefined): Options {
  return {
    allowSynchronousEvents: true,
    autoPong: true,
    closeTimeout: CLOSE_TIMEOUT,
    protocolVersion: protocolVersions[1],
    maxBufferedChunks: 256 * 1024,
    maxFragments: 16 * 1024,
    maxPayload: 100 * 1024 * 1024,
    maxPendingAutoPongs: 60,
    skipUTF8Validation: false,
    perMessageDeflate: true,
    followRedirects: false,
    maxRedirects: 10,
    ...options,
    socketPath: undefined,
    hostname: undefined,
    protocol: undefined,
    protocols: undefined,
    timeout: undefined,
    method: 'GET',
    host: undefined,
    path: undefined,
    port: undefined,
  };
}

function parseAddress(ws: WebSocket, address: string | URL): URL | undefined {
  let url: URL;
  if (address instanceof URL) url = address;
  else {
    try {
      url = new URL(address);
    } catch {
      throw new SyntaxError(`Invalid URL: ${address}`);
    }
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    url = new URL(url);
    url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  }
  ws._url = url.href;
  const isIpc = url.protocol === 'ws+unix:';
  let invalid: string | undefined;
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:' && !isIpc) {
    invalid = 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"';
  } else if (isIpc && !url.pathname) {
    invalid = "The URL's pathname is empty";
  } else if (url.hash) {
    invalid = 'The URL contains a fragment identifier';
  }
  if (invalid) {
    const err = new SyntaxError(invalid);
    if (ws._redirects === 0) throw err;
    emitErrorAndClose(ws, err);
    return undefined;
  }
  return url;
}

/** Starts the handshake; returns the normalized options (ws `initAsClient`). */
export function initAsClient(
  ws: WebSocket,
  address: string | URL,
  protocols: string[],
  options: Options | undefined,
): Record<string, unknown> {
  const opts = defaults(options);
  if (!protocolVersions.includes(opts.protocolVersion as number)) {
    throw new RangeError(
      `Unsupported protocol version: ${opts.protocolVersion} (supported versions: ${protocolVersions.join(', ')})`,
    );
  }
  const url = parseAddress(ws, address);
  if (!url) return opts;
  const isSecure = url.protocol === 'wss:';
  const isIpc = url.protocol === 'ws+unix:';
  const key = randomBytes(16).toString('base64');
  const request = isSecure ? https.request : http.request;
  const protocolSet = new Set<string>();
  let perMessageDeflate: PerMessageDeflate | undefined;

  opts['createConnection'] ??= isSecure ? tlsConnect : netConnect;
  opts['defaultPort'] ??= isSecure ? 443 : 80;
  opts['port'] = url.port || (isSecure ? 443 : 80);
  opts['host'] = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const headers: Record<string, unknown> = {
    ...opts.headers,
    'Sec-WebSocket-Version': opts.protocolVersion,
    'Sec-WebSocket-Key': key,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
  };
  opts.headers = headers;
  opts['path'] = url.pathname + url.search;
  opts['timeout'] = opts['handshakeTimeout'];

  if (opts.perMessageDeflate) {
    perMessageDeflate = new PerMessageDeflate({
      ...(opts.perMessageDeflate === true ? {} : (opts.perMessageDeflate as object)),
      isServer: false,
      maxPayload: opts['maxPayload'] as number,
    });
    headers['Sec-WebSocket-Extensions'] = perMessageDeflate._offerHeader();
  }
  if (protocols.length) {
    for (const protocol of protocols) {
      if (typeof protocol !== 'string' || protocolSet.has(protocol) || !native.isValidToken(protocol)) {
        throw new SyntaxError('An invalid or duplicated subprotocol was specified');
      }
      protocolSet.add(protocol);
    }
    headers['Sec-WebSocket-Protocol'] = protocols.join(',');
  }
  if (opts['origin']) {
    if ((opts.protocolVersion as number) < 13) headers['Sec-WebSocket-Origin'] = opts['origin'];
    else headers['Origin'] = opts['origin'];
  }
  if (url.username || url.password) {
    opts['auth'] = `${querystring.unescape(url.username)}:${querystring.unescape(url.password)}`;
  }
  if (isIpc) {
    const path = opts['path'] as string;
    const i = path.indexOf(':');
    opts['socketPath'] = i === -1 ? path : path.slice(0, i);
    opts['path'] = i === -1 ? '' : path.slice(i + 1);
  }

  const sendHttp1 = (): void => {
    const made = makeRequest(ws, request, opts, options, url, isIpc, isSecure);
    const req = made.req;
    wireRequest(ws, req, { opts, key, protocols, protocolSet, perMessageDeflate, address, options: made.options });
    if (typeof opts['finishRequest'] === 'function') {
      (opts['finishRequest'] as (req: http.ClientRequest, ws: WebSocket) => void)(req, ws);
    } else {
      req.end();
    }
  };
  const mode = http2Mode(opts);
  if (!mode) sendHttp1();
  else connectHttp2(ws, { url, opts, headers, protocolSet, perMessageDeflate, fallback: mode === 'auto' ? sendHttp1 : null });
  return opts;
}

/** Creates the request; with `followRedirects`, applies ws's credential rules (8.5.0–8.8.1). */
function makeRequest(
  ws: WebSocket,
  request: typeof http.request,
  opts: Options,
  options: Options | undefined,
  url: URL,
  isIpc: boolean,
  isSecure: boolean,
): { req: http.ClientRequest; options: Options | undefined } {
  if (!opts['followRedirects']) {
    return { req: (ws._req = request(opts as http.RequestOptions)), options };
  }
  const state = ws as WebSocket & ClientState;
  if (ws._redirects === 0) {
    state._originalIpc = isIpc;
    state._originalSecure = isSecure;
    state._originalHostOrSocketPath = isIpc ? (opts['socketPath'] as string) : url.host;
    const original = options?.headers;
    options = { ...options, headers: {} };
    if (original) {
      for (const [name, value] of Object.entries(original)) options.headers![name.toLowerCase()] = value;
    }
  } else if (ws.listenerCount('redirect') === 0) {
    const sameHost = isIpc
      ? state._originalIpc
        ? opts['socketPath'] === state._originalHostOrSocketPath
        : false
      : state._originalIpc
        ? false
        : url.host === state._originalHostOrSocketPath;
    if (!sameHost || (state._originalSecure && !isSecure)) {
      const headers = opts.headers as Record<string, unknown>;
      delete headers['authorization'];
      delete headers['cookie'];
      if (!sameHost) delete headers['host'];
      opts['auth'] = undefined;
    }
  }
  if (opts['auth'] && !options!.headers!['authorization']) {
    options!.headers!['authorization'] = 'Basic ' + Buffer.from(opts['auth'] as string).toString('base64');
  }
  const req = (ws._req = request(opts as http.RequestOptions));
  if (ws._redirects) ws.emit('redirect', ws.url, req);
  return { req, options };
}

interface Handshake {
  opts: Options;
  key: string;
  protocols: string[];
  protocolSet: Set<string>;
  perMessageDeflate: PerMessageDeflate | undefined;
  address: string | URL;
  options: Options | undefined;
}

function wireRequest(ws: WebSocket, req: http.ClientRequest, hs: Handshake): void {
  if (hs.opts['timeout']) {
    req.on('timeout', () => abortHandshake(ws, req, 'Opening handshake has timed out'));
  }
  req.on('error', (err: Error) => {
    if (ws._req !== req || (req as http.ClientRequest & { [kAborted]?: boolean })[kAborted]) return;
    ws._req = null;
    emitErrorAndClose(ws, err);
  });
  req.on('response', (res: http.IncomingMessage) => onResponse(ws, req, res, hs));
  req.on('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade(ws, res, socket, head, hs));
}

function onResponse(ws: WebSocket, req: http.ClientRequest, res: http.IncomingMessage, hs: Handshake): void {
  const location = res.headers.location;
  const status = res.statusCode ?? 0;
  if (location && hs.opts['followRedirects'] && status >= 300 && status < 400) {
    if (++ws._redirects > (hs.opts['maxRedirects'] as number)) {
      abortHandshake(ws, req, 'Maximum redirects exceeded');
      return;
    }
    req.destroy();
    let next: URL;
    try {
      next = new URL(location, hs.address);
    } catch {
      emitErrorAndClose(ws, new SyntaxError(`Invalid URL: ${location}`));
      return;
    }
    initAsClient(ws, next, hs.protocols, hs.options);
  } else if (!ws.emit('unexpected-response', req, res)) {
    abortHandshake(ws, req, `Unexpected server response: ${res.statusCode}`);
  }
}

function onUpgrade(ws: WebSocket, res: http.IncomingMessage, socket: Duplex, head: Buffer, hs: Handshake): void {
  ws.emit('upgrade', res);
  if (ws.readyState !== WebSocket.CONNECTING) return;
  ws._req = null;
  const headers = res.headers;
  const failure = native.checkUpgradeResponse(
    header(headers.upgrade),
    header(headers['sec-websocket-accept']),
    header(headers['sec-websocket-protocol']),
    hs.key,
    [...hs.protocolSet],
  );
  if (failure) return abortHandshake(ws, socket, failure);
  const serverProtocol = header(headers['sec-websocket-protocol']);
  if (serverProtocol) ws._protocol = serverProtocol;
  const problem = acceptExtensions(ws, hs.perMessageDeflate, header(headers['sec-websocket-extensions']));
  if (problem) return abortHandshake(ws, socket, problem);
  ws.setSocket(socket, head, socketOptions(hs.opts));
}

function netConnect(options: net.NetConnectOpts & { socketPath?: string; path?: string }): net.Socket {
  options.path = options.socketPath;
  return net.connect(options);
}

function tlsConnect(options: tls.ConnectionOptions & { path?: string; host?: string }): tls.TLSSocket {
  options.path = undefined;
  if (!options.servername && options.servername !== '') {
    options.servername = net.isIP(options.host ?? '') ? '' : options.host;
  }
  return tls.connect(options);
}

installClient(initAsClient);
