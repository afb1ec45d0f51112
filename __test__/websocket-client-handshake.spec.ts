/**
 * The client's checks of the server's handshake response (ws-api.md §3 "Client handshake checks",
 * E7, E8): raw TCP peers answer with hand-written HTTP responses; every failure must give one
 * `error` with ws's exact message, then `close` 1006, the socket must be closed, and the process
 * must keep running.
 */
import test from 'ava';
import type { IncomingMessage } from 'node:http';
import { acceptFor, next, WebSocket } from './helpers.ts';
import { answer101, closed, rawServer, recordEvents, type RawConn } from './helpers-client.ts';

/** Connects a client to a server that answers with `respond`, and waits for the close. */
async function failing(
  respond: (c: RawConn) => void,
  protocols: string[] = [],
  options: Record<string, unknown> = {},
): Promise<{ log: string[]; conn: RawConn; readyState: number }> {
  const srv = await rawServer(respond);
  try {
    const ws = new WebSocket(srv.url, protocols, options as never);
    const log = recordEvents(ws, ['upgrade', 'open', 'error', 'close']);
    const conn = await srv.nextConn();
    await closed(ws);
    await conn.peer.waitClosed();
    return { log, conn, readyState: ws.readyState };
  } finally {
    await srv.close();
  }
}

function status(code: number, text: string, body = ''): (c: RawConn) => void {
  return (c) => c.peer.write(Buffer.from(`HTTP/1.1 ${code} ${text}\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
}

test('a 403 without an unexpected-response listener is an error, then close 1006', async (t) => {
  const r = await failing(status(403, 'Forbidden', 'no'));
  t.deepEqual(r.log, ['error:Unexpected server response: 403', 'close:1006']);
  t.is(r.readyState, WebSocket.CLOSED);
});

test('a 200 answer is an unexpected response too', async (t) => {
  const r = await failing(status(200, 'OK', 'hello'));
  t.deepEqual(r.log, ['error:Unexpected server response: 200', 'close:1006']);
});

test('with an unexpected-response listener there is no error and the response is readable', async (t) => {
  const srv = await rawServer(status(403, 'Forbidden', 'denied'));
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  const log = recordEvents(ws, ['open', 'error', 'close']);
  const [req, res] = await next<[{ destroy(): void }, IncomingMessage]>(ws, 'unexpected-response');
  t.is(res.statusCode, 403);
  let body = '';
  for await (const chunk of res) body += String(chunk);
  t.is(body, 'denied');
  t.deepEqual(log, []);
  t.is(ws.readyState, WebSocket.CONNECTING);
  req.destroy();
  ws.close();
  await closed(ws);
  t.deepEqual(log, ['error:WebSocket was closed before the connection was established', 'close:1006']);
});

test('a wrong Sec-WebSocket-Accept fails the handshake', async (t) => {
  const r = await failing((c) => answer101(c, [], { accept: acceptFor('AAAAAAAAAAAAAAAAAAAAAA==') }));
  t.deepEqual(r.log, ['upgrade', 'error:Invalid Sec-WebSocket-Accept header', 'close:1006']);
});

test('a missing Sec-WebSocket-Accept fails the handshake', async (t) => {
  const r = await failing((c) =>
    c.peer.write(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')),
  );
  t.deepEqual(r.log, ['upgrade', 'error:Invalid Sec-WebSocket-Accept header', 'close:1006']);
});

test('an Upgrade header other than websocket fails the handshake', async (t) => {
  const r = await failing((c) => answer101(c, [], { upgrade: 'h2c' }));
  t.deepEqual(r.log, ['upgrade', 'error:Invalid Upgrade header', 'close:1006']);
});

test('the Upgrade value is compared case-insensitively', async (t) => {
  const srv = await rawServer((c) => answer101(c, [], { upgrade: 'WebSocket' }));
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  await next(ws, 'open');
  ws.terminate();
  await closed(ws);
  t.pass();
});

test('an Upgrade header hidden past maxHeadersCount fails cleanly (CVE-2024-37890)', async (t) => {
  const r = await failing((c) => {
    const junk = Array.from({ length: 2100 }, () => 'a: 1');
    const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', ...junk, 'Upgrade: websocket', `Sec-WebSocket-Accept: ${acceptFor(c.key)}`];
    c.peer.write(Buffer.from(lines.join('\r\n') + '\r\n\r\n'));
  });
  t.deepEqual(r.log, ['upgrade', 'error:Invalid Upgrade header', 'close:1006']);
});

test('a subprotocol the client did not request fails the handshake', async (t) => {
  const r = await failing((c) => answer101(c, ['Sec-WebSocket-Protocol: chat']));
  t.deepEqual(r.log, ['upgrade', 'error:Server sent a subprotocol but none was requested', 'close:1006']);
});

test('a subprotocol outside the offered list fails the handshake', async (t) => {
  const r = await failing((c) => answer101(c, ['Sec-WebSocket-Protocol: other']), ['a', 'b']);
  t.deepEqual(r.log, ['upgrade', 'error:Server sent an invalid subprotocol', 'close:1006']);
});

test('no subprotocol when some were requested fails the handshake', async (t) => {
  const r = await failing((c) => answer101(c), ['a', 'b']);
  t.deepEqual(r.log, ['upgrade', 'error:Server sent no subprotocol', 'close:1006']);
});

test('an offered subprotocol is accepted and exposed as protocol', async (t) => {
  const srv = await rawServer((c) => answer101(c, ['Sec-WebSocket-Protocol: b']));
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url, ['a', 'b']);
  await next(ws, 'open');
  t.is(ws.protocol, 'b');
  ws.terminate();
  await closed(ws);
});

test('an extension header when none was offered fails the handshake', async (t) => {
  const r = await failing((c) => answer101(c, ['Sec-WebSocket-Extensions: permessage-deflate']), [], { perMessageDeflate: false });
  t.deepEqual(r.log, [
    'upgrade',
    'error:Server sent a Sec-WebSocket-Extensions header but no extension was requested',
    'close:1006',
  ]);
});

test('an extension that was not offered fails the handshake', async (t) => {
  const r = await failing((c) => answer101(c, ['Sec-WebSocket-Extensions: x-webkit-deflate-frame']));
  t.deepEqual(r.log, ['upgrade', 'error:Server indicated an extension that was not requested', 'close:1006']);
});

test('an extension list with permessage-deflate and another one fails the handshake', async (t) => {
  const r = await failing((c) => answer101(c, ['Sec-WebSocket-Extensions: permessage-deflate, foo']));
  t.deepEqual(r.log, ['upgrade', 'error:Server indicated an extension that was not requested', 'close:1006']);
});

for (const [what, value] of [
  ['a syntactically invalid header', 'permessage-deflate; ='],
  ['an unknown parameter', 'permessage-deflate; foo=10'],
  ['an out-of-range server_max_window_bits', 'permessage-deflate; server_max_window_bits=7'],
  ['a repeated parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
  ['a value on server_no_context_takeover', 'permessage-deflate; server_no_context_takeover=1'],
] as const) {
  test(`${what} in Sec-WebSocket-Extensions fails the handshake`, async (t) => {
    const r = await failing((c) => answer101(c, [`Sec-WebSocket-Extensions: ${value}`]));
    t.deepEqual(r.log, ['upgrade', 'error:Invalid Sec-WebSocket-Extensions header', 'close:1006']);
  });
}

test('client_max_window_bits without an offered limit is invalid when the client offered a number', async (t) => {
  const r = await failing(
    (c) => answer101(c, ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=12']),
    [],
    { perMessageDeflate: { clientMaxWindowBits: 10 } },
  );
  t.deepEqual(r.log, ['upgrade', 'error:Invalid Sec-WebSocket-Extensions header', 'close:1006']);
});

test('a valid permessage-deflate answer is accepted and listed in extensions', async (t) => {
  const srv = await rawServer((c) => answer101(c, ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10']));
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  await next(ws, 'open');
  t.is(ws.extensions, 'permessage-deflate');
  ws.terminate();
  await closed(ws);
});

test('the upgrade event carries the 101 response before open', async (t) => {
  const srv = await rawServer((c) => answer101(c, ['X-Server: raw']));
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  const order: string[] = [];
  let res: IncomingMessage | undefined;
  ws.on('upgrade', (r: IncomingMessage) => {
    res = r;
    order.push(`upgrade:${ws.readyState}`);
  });
  ws.on('open', () => order.push(`open:${ws.readyState}`));
  await next(ws, 'open');
  t.deepEqual(order, ['upgrade:0', 'open:1']);
  t.is(res?.statusCode, 101);
  t.is(res?.headers['x-server'], 'raw');
  ws.terminate();
  await closed(ws);
});

test('close() from an upgrade listener aborts the handshake with 1006 and no open', async (t) => {
  const srv = await rawServer((c) => answer101(c));
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  ws.on('upgrade', () => ws.close());
  const log = recordEvents(ws, ['open', 'error', 'close']);
  await closed(ws);
  t.deepEqual(log, ['error:WebSocket was closed before the connection was established', 'close:1006']);
});

test('a server that resets the connection during the handshake gives error then close 1006', async (t) => {
  const r = await failing((c) => c.peer.socket.resetAndDestroy());
  t.is(r.log.length, 2);
  t.regex(r.log[0]!, /^error:/);
  t.is(r.log[1], 'close:1006');
});
