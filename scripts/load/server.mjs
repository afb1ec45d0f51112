// One WebSocketServer in `port` mode (the native driver) that echoes every message, run as a child
// by `npm run soak` and the load tests (control.mjs) so that its RSS, fds and handles are its own.
// argv[2]: the server options as JSON. IPC: {cmd:'stats'} → memory after GC, open fds, active
// handles, live clients and native connections, messages echoed, event-loop delay since last time.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const { WebSocketServer } = require('../../dist/index.js');
const { nativeConnections } = require('../../dist/lib/native-transport.js');

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...JSON.parse(process.argv[2] ?? '{}') });
let echoed = 0;
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    echoed++;
    ws.send(data, { binary: isBinary });
  });
});

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

/** Memory once garbage and the finalizers of collected native buffers are gone (needs --expose-gc). */
async function settledMemory() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await delay(20);
  }
  globalThis.gc();
  return process.memoryUsage();
}

async function stats() {
  const { rss, external, heapUsed } = await settledMemory();
  const handles = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').length;
  const delayMs = { max: loop.max / 1e6, p99: loop.percentile(99) / 1e6 };
  loop.reset();
  return {
    rss,
    external,
    heap: heapUsed,
    fds: readdirSync('/proc/self/fd').length,
    handles,
    clients: wss.clients.size,
    native: nativeConnections(),
    echoed,
    loopDelay: delayMs,
  };
}

process.on('message', async (m) => {
  if (m.cmd === 'stats') process.send({ id: m.id, ...(await stats()) });
});
process.on('disconnect', () => process.exit(0));
wss.on('listening', () => process.send({ ready: true, port: wss.address().port }));
