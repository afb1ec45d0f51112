/**
 * HTTP/2 sessions for WebSocket clients (RFC 8441): one `ClientHttp2Session` per origin and
 * connection options, shared by every WebSocket to that origin, closed when the last one ends;
 * and the wait for the server's SETTINGS, which says whether extended CONNECT may be used.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';

/**
 * What the server's first SETTINGS say about extended CONNECT: `'ready'`, `'no-setting'`, or it
 * does not speak HTTP/2 at all (`'alpn'`: ALPN did not select h2; `'preface'`: an h2c server
 * answered the connection preface with something else).
 */
export type Readiness = 'ready' | 'no-setting' | 'alpn' | 'preface';

/** A session a WebSocket uses, and how to give it back. */
export interface Lease {
  session: http2.ClientHttp2Session;
  release(): void;
}

interface Pooled {
  session: http2.ClientHttp2Session;
  users: number;
}

type Options = Record<string, unknown>;

/** Options that change the connection, so sessions are only shared when they are equal. */
const TLS_KEYS = [
  'ca', 'cert', 'key', 'pfx', 'passphrase', 'ciphers', 'ecdhCurve', 'minVersion', 'maxVersion',
  'secureOptions', 'secureProtocol', 'secureContext', 'sigalgs', 'crl', 'dhparam',
  'honorCipherOrder', 'privateKeyEngine', 'privateKeyIdentifier', 'clientCertEngine',
  'sessionIdContext', 'rejectUnauthorized', 'servername', 'checkServerIdentity',
];
const NET_KEYS = ['family', 'localAddress', 'localPort', 'lookup', 'hints'];

const pool = new Map<string, Pooled>();
const readiness = new WeakMap<http2.ClientHttp2Session, Promise<Readiness>>();
const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** Objects (buffers, functions, contexts) count by identity; primitives by value. */
function identity(value: unknown): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return value;
  let id = identities.get(value);
  if (id === undefined) identities.set(value, (id = ++nextIdentity));
  return `#${id}`;
}

function poolKey(url: URL, opts: Options): string {
  const parts: unknown[] = [url.protocol, url.host];
  for (const name of [...TLS_KEYS, ...NET_KEYS]) parts.push(identity(opts[name]));
  return JSON.stringify(parts);
}

function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function pick(opts: Options, names: string[], into: Options): Options {
  for (const name of names) if (opts[name] !== undefined) into[name] = opts[name];
  return into;
}

/** Opens a session; ALPN offers h2 and http/1.1 so an HTTP/1.1-only server is recognized. */
function openSession(url: URL, opts: Options): http2.ClientHttp2Session {
  const secure = url.protocol === 'wss:';
  const host = hostOf(url);
  const port = Number(url.port) || (secure ? 443 : 80);
  const base = pick(opts, NET_KEYS, { host, port });
  const createConnection = secure
    ? (): tls.TLSSocket => {
        const options = pick(opts, TLS_KEYS, { ...base, ALPNProtocols: ['h2', 'http/1.1'] });
        if (!options['servername'] && options['servername'] !== '') options['servername'] = net.isIP(host) ? '' : host;
        return tls.connect(options as tls.ConnectionOptions);
      }
    : (): net.Socket => net.connect(base as unknown as net.NetConnectOpts);
  return http2.connect(`${secure ? 'https' : 'http'}://${url.host}`, { createConnection });
}

function drop(key: string, entry: Pooled): void {
  if (pool.get(key) === entry) pool.delete(key);
}

function track(key: string, entry: Pooled): void {
  pool.set(key, entry);
  const forget = (): void => drop(key, entry);
  // Errors also reach the streams (their WebSockets close with 1006); the pool only forgets.
  entry.session.on('error', forget);
  entry.session.on('goaway', forget);
  entry.session.on('close', forget);
  whenReady(entry.session).then((state) => state === 'ready' || forget(), forget);
}

/** A session for `url`: the user's `http2Session`, or a pooled one (opened on first use). */
export function acquire(url: URL, opts: Options): Lease {
  const supplied = opts['http2Session'] as http2.ClientHttp2Session | undefined;
  if (supplied) return { session: supplied, release: () => {} };
  const key = poolKey(url, opts);
  let entry = pool.get(key);
  if (!entry || entry.session.closed || entry.session.destroyed) {
    entry = { session: openSession(url, opts), users: 0 };
    track(key, entry);
  }
  const leased = entry;
  leased.users++;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    if (--leased.users > 0) return;
    drop(key, leased);
    if (!leased.session.closed && !leased.session.destroyed) leased.session.close();
  };
  return { session: leased.session, release };
}

/** How many pooled sessions are open (for tests and diagnostics). */
export function pooledSessions(): number {
  return pool.size;
}

/**
 * Resolves once the server's first SETTINGS are known. Node's `remoteSettings` shows defaults
 * until then, so after `'connect'` a PING is sent: its ACK comes after the server's first SETTINGS.
 */
export function whenReady(session: http2.ClientHttp2Session): Promise<Readiness> {
  let ready = readiness.get(session);
  if (!ready) {
    ready = settle(session);
    readiness.set(session, ready);
  }
  return ready;
}

function settle(session: http2.ClientHttp2Session): Promise<Readiness> {
  return new Promise((resolve, reject) => {
    const done = (finish: () => void): void => {
      session.off('error', onError).off('close', onClose).off('connect', onConnect).off('remoteSettings', check);
      finish();
    };
    const onError = (err: Error & { code?: string }): void => {
      if (err.code === 'ERR_HTTP2_ERROR' && !session.encrypted) done(() => resolve('preface'));
      else done(() => reject(err));
    };
    const onClose = (): void => done(() => reject(new Error('The HTTP/2 session closed before the server sent its SETTINGS')));
    const check = (): void => done(() => resolve(session.remoteSettings.enableConnectProtocol ? 'ready' : 'no-setting'));
    const onConnect = (): void => {
      if (session.encrypted && session.alpnProtocol !== 'h2') return done(() => resolve('alpn'));
      if (session.remoteSettings.enableConnectProtocol) return check();
      session.once('remoteSettings', check);
      try {
        // A cancelled ping means the session is going away: its 'error'/'close' decides.
        session.ping((err) => err || check());
      } catch (err) {
        onError(err as Error);
      }
    };
    if (session.closed || session.destroyed) return onClose();
    session.on('error', onError).on('close', onClose);
    if (session.connecting) session.once('connect', onConnect);
    else onConnect();
  });
}
