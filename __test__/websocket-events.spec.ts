/**
 * WebSocket events on both ends (ws-api.md §5 E1–E6): our client against a raw or real `ws` server,
 * and our server-side instances against a raw or real `ws` client. Text arrives as a Buffer, the
 * automatic pong precedes the `ping` event, close codes and reasons match the wire, and `error` is
 * emitted once and always followed by `close`. E7–E9 are in the client handshake/redirect files.
 */
import test from 'ava';
import { closePayload, frame, listen, next, rawUpgrade, shutdown, WebSocket, type WebSocketT } from './helpers.ts';
import { closed, rawPair, RealWs, realServer, recordEvents, until } from './helpers-client.ts';

type Err = Error & { code?: string };

/** Our server plus the server-side instance for one raw client. */
async function serverSide(t: { teardown(fn: () => unknown): void }) {
  const { wss, port } = await listen();
  t.teardown(() => shutdown(wss));
  const conn = next<[WebSocketT]>(wss, 'connection');
  const { peer } = await rawUpgrade(port);
  const [ws] = await conn;
  return { ws, peer, port };
}

test('client: open fires once with readyState OPEN', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  const ws = new WebSocket(srv.url);
  const states: number[] = [];
  ws.on('open', () => states.push(ws.readyState));
  await next(ws, 'open');
  t.deepEqual(states, [WebSocket.OPEN]);
  ws.close();
  await closed(ws);
  t.deepEqual(states, [WebSocket.OPEN]);
});

test('client: text arrives as a Buffer with isBinary false, binary with isBinary true', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  srv.wss.on('connection', (c: InstanceType<typeof RealWs>) => {
    c.send('héllo');
    c.send(Buffer.from([1, 2, 3]));
  });
  const ws = new WebSocket(srv.url);
  const got: [unknown, boolean][] = [];
  await new Promise<void>((resolve) =>
    ws.on('message', (data: unknown, isBinary: boolean) => {
      got.push([data, isBinary]);
      if (got.length === 2) resolve();
    }),
  );
  t.true(Buffer.isBuffer(got[0]![0]));
  t.is((got[0]![0] as Buffer).toString(), 'héllo');
  t.false(got[0]![1]);
  t.deepEqual([...(got[1]![0] as Buffer)], [1, 2, 3]);
  t.true(got[1]![1]);
  ws.close();
  await closed(ws);
});

test('server side: text from a real ws client arrives as a Buffer with isBinary false', async (t) => {
  const { wss, url } = await listen();
  t.teardown(() => shutdown(wss));
  const client = new RealWs(url);
  client.on('error', () => {});
  const [ws] = await next<[WebSocketT]>(wss, 'connection');
  await next(client, 'open');
  client.send('text');
  const [data, isBinary] = await next<[Buffer, boolean]>(ws, 'message');
  t.true(Buffer.isBuffer(data));
  t.is(data.toString(), 'text');
  t.false(isBinary);
  client.close();
  await closed(ws);
});

test('server side: a fragmented message is delivered once, assembled', async (t) => {
  const { ws, peer } = await serverSide(t);
  const log: string[] = [];
  ws.on('message', (d: Buffer) => log.push(d.toString()));
  peer.write(Buffer.concat([frame(1, 'ab', { fin: false }), frame(9, 'mid'), frame(0, 'cd', { fin: false }), frame(0, 'ef')]));
  t.is((await peer.readFrame()).opcode, 10, 'a ping between fragments is answered');
  await until(() => log.length > 0);
  t.deepEqual(log, ['abcdef']);
});

test('ping and pong events carry their payload on both ends', async (t) => {
  const { wss, url } = await listen();
  t.teardown(() => shutdown(wss));
  const client = new WebSocket(url);
  const [server] = await next<[WebSocketT]>(wss, 'connection');
  await next(client, 'open').catch(() => undefined);
  const serverPing = next<[Buffer]>(server, 'ping');
  const clientPong = next<[Buffer]>(client, 'pong');
  client.ping('hi');
  const [p] = await serverPing;
  const [q] = await clientPong;
  t.true(Buffer.isBuffer(p));
  t.is(p.toString(), 'hi');
  t.is(q.toString(), 'hi');
  const clientPing = next<[Buffer]>(client, 'ping');
  const serverPong = next<[Buffer]>(server, 'pong');
  server.ping(Buffer.from([9, 8]));
  t.deepEqual([...(await clientPing)[0]], [9, 8]);
  t.deepEqual([...(await serverPong)[0]], [9, 8]);
  client.close();
  await closed(client);
});

test('server side: the automatic pong is written before the ping event runs', async (t) => {
  const { ws, peer } = await serverSide(t);
  ws.on('ping', () => ws.send('from-listener'));
  peer.write(frame(9, 'x'));
  const a = await peer.readFrame();
  const b = await peer.readFrame();
  t.deepEqual([a.opcode, a.payload.toString()], [10, 'x']);
  t.deepEqual([b.opcode, b.payload.toString()], [1, 'from-listener']);
});

test('close(code, reason) reaches the other end as (code, Buffer reason) on both sides', async (t) => {
  const { wss, url } = await listen();
  t.teardown(() => shutdown(wss));
  const client = new WebSocket(url);
  const [server] = await next<[WebSocketT]>(wss, 'connection');
  await next(client, 'open').catch(() => undefined);
  const s = closed(server);
  const c = closed(client);
  client.close(4000, 'done');
  const [sc, sr] = await s;
  const [cc, cr] = await c;
  t.is(sc, 4000);
  t.true(Buffer.isBuffer(sr));
  t.is(sr.toString(), 'done');
  t.is(cc, 4000);
  t.is(cr.toString(), 'done');
});

test('server side: an empty close frame gives 1005 and an empty Buffer, echoed without a code', async (t) => {
  const { ws, peer } = await serverSide(t);
  peer.write(frame(8));
  const [code, reason] = await closed(ws);
  t.is(code, 1005);
  t.true(Buffer.isBuffer(reason));
  t.is(reason.length, 0);
  t.deepEqual(await peer.readClose(), { code: undefined, reason: '' });
});

test('server side: a close frame with a reason is echoed with the same code and reason', async (t) => {
  const { ws, peer } = await serverSide(t);
  peer.write(frame(8, closePayload(3001, 'bye')));
  const [code, reason] = await closed(ws);
  t.is(code, 3001);
  t.is(reason.toString(), 'bye');
  t.deepEqual(await peer.readClose(), { code: 3001, reason: 'bye' });
});

test('server side: a dropped TCP connection closes with 1006 and no error', async (t) => {
  const { ws, peer } = await serverSide(t);
  const log = recordEvents(ws, ['error', 'close']);
  peer.socket.destroy();
  await closed(ws);
  t.deepEqual(log, ['close:1006']);
});

test('client: a server that terminates gives close 1006 and an empty reason', async (t) => {
  const srv = await realServer();
  t.teardown(srv.close);
  srv.wss.on('connection', (c: InstanceType<typeof RealWs>) => setTimeout(() => c.terminate(), 20));
  const ws = new WebSocket(srv.url);
  const log = recordEvents(ws, ['open', 'error', 'close']);
  const [, reason] = await closed(ws);
  t.deepEqual(log, ['open', 'close:1006']);
  t.is(reason.length, 0);
});

test('server side: a protocol error sends 1002, then gives one error (with code) and close 1006', async (t) => {
  const { ws, peer } = await serverSide(t);
  const log = recordEvents(ws, ['error', 'close']);
  let err: Err | undefined;
  ws.on('error', (e: Err) => (err = e));
  peer.write(Buffer.concat([frame(1, 'unmasked', { mask: false }), frame(1, 'again', { mask: false })]));
  t.is((await peer.readClose()).code, 1002);
  await closed(ws);
  t.deepEqual(log, ['error:Invalid WebSocket frame: MASK must be set', 'close:1006']);
  t.true(err instanceof RangeError);
  t.is(err?.code, 'WS_ERR_EXPECTED_MASK');
});

test('client: a masked frame from the server sends 1002, gives WS_ERR_UNEXPECTED_MASK then close 1006', async (t) => {
  const p = await rawPair();
  t.teardown(p.close);
  const log = recordEvents(p.ws, ['error', 'close']);
  let err: Err | undefined;
  p.ws.on('error', (e: Err) => (err = e));
  p.conn.peer.write(frame(1, 'masked', { mask: true }));
  t.is((await p.conn.peer.readClose()).code, 1002);
  p.conn.peer.socket.end();
  await closed(p.ws);
  t.deepEqual(log, ['error:Invalid WebSocket frame: MASK must be clear', 'close:1006']);
  t.is(err?.code, 'WS_ERR_UNEXPECTED_MASK');
});

test.serial('JS transport: messages, pings and close codes behave the same', async (t) => {
  process.env['FERROWS_NO_NATIVE'] = '1';
  try {
    const { wss, url } = await listen();
    t.teardown(() => shutdown(wss));
    const client = new WebSocket(url);
    const [server] = await next<[WebSocketT]>(wss, 'connection');
    await next(client, 'open').catch(() => undefined);
    t.false((server as unknown as { _transport: { isNative: boolean } })._transport.isNative);
    t.false((client as unknown as { _transport: { isNative: boolean } })._transport.isNative);
    const msg = next<[Buffer, boolean]>(server, 'message');
    client.send('js text');
    const [data, isBinary] = await msg;
    t.true(Buffer.isBuffer(data));
    t.is(data.toString(), 'js text');
    t.false(isBinary);
    const pong = next<[Buffer]>(server, 'pong');
    server.ping('pp');
    t.is((await pong)[0].toString(), 'pp');
    const s = closed(server);
    const c = closed(client);
    client.close(4321, 'js');
    const [code, reason] = await s;
    t.is(code, 4321);
    t.is(reason.toString(), 'js');
    t.is((await c)[0], 4321);
  } finally {
    delete process.env['FERROWS_NO_NATIVE'];
  }
});
