/**
 * Client handshake edge cases (bad-inputs.md A12, and A10 in the client role) over `ws:` (native
 * client socket) and `wss:` (JS-owned TLS socket), each run against the real ws 8.23 in the same
 * test so that it shows ferrows == ws: a 101 head over Node's 16 KiB header limit, a
 * `server_max_window_bits=16` answer, and frames in the same write as the 101. Without an 'error'
 * listener ws throws the handshake error out of `emit` (an uncaught exception) while ferrows, by
 * the documented decision of bad-inputs.md F1 (lib/websocket.ts `_emitError`), reports it through
 * 'close' alone and the process survives; those cases run in a child process per implementation.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { acceptFor, closePayload, frame, WebSocket, type WebSocketT } from './helpers.ts';
import { answer101, closed, RealWs, rawServer, TLS_CERT, type RawConn } from './helpers-client.ts';
import { isNative } from './helpers-transports.ts';

const require = createRequire(import.meta.url);

const OVER = [
  ['ws:', false],
  ['wss:', true],
] as const;

const IMPLS = [
  ['ferrows', WebSocket, require.resolve('../dist/index.js')],
  ['ws', RealWs as unknown as typeof WebSocket, require.resolve('ws')],
] as const;

/** Node's default `--max-http-header-size`, which both clients' http.request parsers apply. */
const MAX_HEAD = 16 * 1024;

interface Failure {
  what: string;
  respond: (c: RawConn) => void;
  /** The events a client with an 'error' listener sees. */
  log: string[];
  code?: string;
}

const FAILURES: Failure[] = [
  {
    what: 'a 101 head over 16 KiB',
    respond: (c) => answer101(c, [`X-Filler: ${'a'.repeat(MAX_HEAD)}`]),
    log: ['error:Parse Error: Header overflow', 'close:1006'],
    code: 'HPE_HEADER_OVERFLOW',
  },
  {
    what: 'server_max_window_bits=16',
    respond: (c) => answer101(c, ['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16']),
    log: ['upgrade', 'error:Invalid Sec-WebSocket-Extensions header', 'close:1006'],
  },
];

/** Events of one client as strings, plus the first error. */
function record(ws: WebSocketT, withErrorListener: boolean): { log: string[]; errors: (Error & { code?: string })[] } {
  const log: string[] = [];
  const errors: (Error & { code?: string })[] = [];
  ws.on('upgrade', () => log.push('upgrade'));
  ws.on('open', () => log.push('open'));
  ws.on('message', (data: Buffer, isBinary: boolean) => log.push(`message:${isBinary ? 'b' : 't'}:${data.toString('hex')}`));
  ws.on('close', (code: number, reason: Buffer) => log.push(`close:${code}${reason.length ? `:${reason.toString()}` : ''}`));
  if (withErrorListener) {
    ws.on('error', (err: Error) => {
      errors.push(err);
      log.push(`error:${err.message}`);
    });
  }
  return { log, errors };
}

for (const [scheme, secure] of OVER) {
  for (const f of FAILURES) {
    test(`A12 over ${scheme}: ${f.what} fails with an error then close 1006, as in ws`, async (t) => {
      const logs: Record<string, string[]> = {};
      for (const [name, Impl] of IMPLS) {
        const srv = await rawServer(f.respond, '127.0.0.1', secure);
        try {
          const ws = new Impl(srv.url, { ca: TLS_CERT } as never);
          const { log, errors } = record(ws, true);
          const conn = await srv.nextConn();
          await closed(ws);
          await conn.peer.waitClosed();
          t.is(errors[0]?.code, f.code, `${name}: error code`);
          t.is(errors[0]?.constructor, Error, `${name}: error class`);
          logs[name] = log;
        } finally {
          await srv.close();
        }
      }
      t.deepEqual(logs['ferrows'], f.log);
      t.deepEqual(logs['ferrows'], logs['ws']);
    });

    test(`A12 over ${scheme}: ${f.what} without an 'error' listener closes 1006 and the process survives, where ws throws`, async (t) => {
      const srv = await rawServer(f.respond, '127.0.0.1', secure);
      t.teardown(srv.close);
      const [ferrows, ws] = await Promise.all(IMPLS.map(([, , path]) => inChild(path, srv.url)));
      t.deepEqual(ferrows, { status: 0, thrown: undefined, closed: 1006 });
      t.deepEqual(ws, { status: 1, thrown: `Error: ${f.log.at(-2)!.slice('error:'.length)}`, closed: undefined });
    });
  }

  test(`A12 over ${scheme}: a 101 head just under 16 KiB still opens, as in ws`, async (t) => {
    for (const [name, Impl] of IMPLS) {
      const srv = await rawServer((c) => answer101(c, [`X-Filler: ${'a'.repeat(MAX_HEAD - 1024)}`]), '127.0.0.1', secure);
      try {
        const ws = new Impl(srv.url, { ca: TLS_CERT } as never);
        const { log } = record(ws, true);
        await new Promise((resolve) => ws.once('open', resolve).once('close', resolve));
        ws.terminate();
        await closed(ws).catch(() => undefined);
        t.deepEqual(log, ['upgrade', 'open', 'close:1006'], name);
      } finally {
        await srv.close();
      }
    }
  });

  for (const withErrorListener of [true, false]) {
    test(`A10 over ${scheme}: frames in the same write as the 101 are delivered${withErrorListener ? '' : " without an 'error' listener"}, as in ws`, async (t) => {
      const tail = Buffer.concat([frame(1, 'abc', { mask: false }), frame(2, Buffer.from([1, 2]), { mask: false }), frame(8, closePayload(1000, 'bye'), { mask: false })]);
      const logs: Record<string, string[]> = {};
      for (const [name, Impl] of IMPLS) {
        const srv = await rawServer((c) => {
          // One write: the 101 and three frames leave in one TCP segment (one TLS record).
          const head = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptFor(c.key)}`];
          c.peer.write(Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n'), tail]));
        }, '127.0.0.1', secure);
        try {
          const ws = new Impl(srv.url, { ca: TLS_CERT } as never);
          const { log } = record(ws, withErrorListener);
          const conn = await srv.nextConn();
          const reply = await conn.peer.readClose();
          t.deepEqual(reply, { code: 1000, reason: 'bye' }, `${name} echoes the close`);
          conn.peer.socket.end();
          await closed(ws);
          if (name === 'ferrows') t.is(isNative(ws), !secure);
          logs[name] = log;
        } finally {
          await srv.close();
        }
      }
      t.deepEqual(logs['ferrows'], ['upgrade', 'open', `message:t:${Buffer.from('abc').toString('hex')}`, 'message:b:0102', 'close:1000:bye']);
      t.deepEqual(logs['ferrows'], logs['ws']);
    });
  }
}

/**
 * Connects a client of the module at `path` to `url` with no 'error' listener in a child process
 * that exits 0 once 'close' came (or after 10 s); returns its exit status, the first `Error: ...`
 * line it printed, and the 'close' code it saw.
 */
async function inChild(path: string, url: string): Promise<{ status: number | null; thrown: string | undefined; closed: number | undefined }> {
  const script = `
    const WebSocket = require(${JSON.stringify(path)});
    const ws = new WebSocket(${JSON.stringify(url)}, { ca: process.env.CA });
    ws.on('close', (code) => { console.log('closed ' + code); setImmediate(() => process.exit(0)); });
    setTimeout(() => process.exit(3), 10000);`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { env: { ...process.env, CA: TLS_CERT }, timeout: 20000 }, (err, stdout, stderr) => {
      resolve({
        status: err ? ((err as { code?: number }).code ?? null) : 0,
        thrown: /^\w*Error(?: \[\w+\])?: .*$/m.exec(stderr)?.[0],
        closed: /closed (\d+)/.exec(stdout) ? Number(/closed (\d+)/.exec(stdout)![1]) : undefined,
      });
    });
  });
}
