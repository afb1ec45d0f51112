/**
 * binaryType 'fragments' on live connections: one Buffer per non-empty frame of a fragmented
 * binary message (ws's receiver semantics), on the native and the JS-owned transport.
 */
import test from 'ava';
import { frame, listen, next, rawUpgrade, shutdown, type WebSocketT } from './helpers.ts';

for (const transport of ['native', 'js'] as const) {
  test.serial(`${transport}: binaryType fragments delivers one Buffer per non-empty frame`, async (t) => {
    if (transport === 'js') process.env['FERROWS_NO_NATIVE'] = '1';
    try {
      const { wss, port } = await listen();
      const received = new Promise<unknown[]>((resolve) => {
        wss.on('connection', (ws: WebSocketT) => {
          ws.binaryType = 'fragments';
          const got: unknown[] = [];
          ws.on('message', (data: unknown) => {
            got.push(data);
            if (got.length === 2) resolve(got);
          });
        });
      });
      const { peer } = await rawUpgrade(port);
      peer.write(
        Buffer.concat([
          frame(0x02, Buffer.from('abc'), { fin: false }),
          frame(0x00, Buffer.alloc(0), { fin: false }),
          frame(0x00, Buffer.from('de'), { fin: false }),
          frame(0x00, Buffer.from('f')),
          frame(0x02, Buffer.from('whole')),
        ]),
      );
      const [fragmented, single] = (await received) as [Buffer[], Buffer[]];
      t.deepEqual(
        fragmented.map((b) => b.toString()),
        ['abc', 'de', 'f'],
      );
      t.deepEqual(
        single.map((b) => b.toString()),
        ['whole'],
      );
      peer.socket.destroy();
      await shutdown(wss);
    } finally {
      delete process.env['FERROWS_NO_NATIVE'];
    }
  });
}

test('binaryType rejects unknown values and keeps the previous one', async (t) => {
  const { wss, url } = await listen();
  const { WebSocket } = await import('./helpers.ts');
  const ws = new WebSocket(url);
  await next(ws, 'open');
  ws.binaryType = 'arraybuffer';
  (ws as unknown as { binaryType: string }).binaryType = 'bogus';
  t.is(ws.binaryType, 'arraybuffer');
  ws.terminate();
  await shutdown(wss);
});
