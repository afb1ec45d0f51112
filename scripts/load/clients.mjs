// Many `ws` clients in one child process (control.mjs starts it with a raised fd limit), driven over
// IPC by `npm run soak` and the load tests. argv[2]: the server port; argv[3]: client options as JSON.
// Connections take their source address in turn from 127.0.0.2–127.0.0.9, so that one client
// process can hold more connections to one port than the ephemeral port range allows per address.
//   {cmd:'open', count, size}  opens `count` more, each sends one `size`-byte text message and
//                              waits for its exact echo; → {opened, echoed, failed, errors}
//   {cmd:'close'}              closes all held ones and waits for their 'close'; → {closed}
//   {cmd:'churn', ms, batch, size, rate}  for `ms`, opens `batch` at a time, echoes, closes, starting
//                              at most `rate` connections a second (none or 0: no limit);
//                              → {cycles, echoed, failed, errors}
import { createRequire } from 'node:module';
import { setTimeout as delay } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

const url = `ws://127.0.0.1:${process.argv[2]}`;
const options = JSON.parse(process.argv[3] ?? '{}');
const PARALLEL = 200;
const TIMEOUT = 60_000;
const held = new Set();
let serial = 0;

/** A compressible text of `size` bytes, different for every connection. */
function payload(n, size) {
  let text = '';
  for (let line = 0; text.length < size; line++) text += `line ${line} of connection ${n}: the quick brown fox jumps over the lazy dog\n`;
  return text.slice(0, size);
}

/** Opens one connection, sends one message and resolves with the socket once its exact echo is back. */
function talk(size) {
  const n = serial++;
  const message = payload(n, size);
  const ws = new WebSocket(url, { ...options, localAddress: `127.0.0.${2 + (n % 8)}` });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('no echo within 60 s')), TIMEOUT);
    const fail = (err) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    ws.on('error', fail);
    ws.on('open', () => ws.send(message));
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      if (isBinary || data.toString() !== message) fail(new Error('the echo differs from the message'));
      else resolve(ws);
    });
  });
}

/** Runs `count` talks with at most PARALLEL in flight; `then` gets each open socket; `pace` is awaited before each talk. */
async function many(count, size, then, pace = async () => {}) {
  const result = { echoed: 0, failed: 0, errors: [] };
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        await pace();
        await then(await talk(size));
        result.echoed++;
      } catch (err) {
        result.failed++;
        if (result.errors.length < 5) result.errors.push(String(err.message ?? err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
  return result;
}

function closed(ws) {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', resolve);
    ws.close();
  });
}

async function open({ count, size }) {
  const result = await many(count, size, (ws) => held.add(ws));
  return { opened: held.size, ...result };
}

async function closeAll() {
  const all = [...held];
  held.clear();
  await Promise.all(all.map(closed));
  return { closed: all.length };
}

/** An async function that resolves at most `rate` times a second, evenly spaced; no limit without a rate. */
function pacer(rate) {
  if (!(rate > 0)) return undefined;
  let slot = Date.now();
  return async () => {
    const now = Date.now();
    slot = Math.max(slot + 1000 / rate, now);
    if (slot > now) await delay(slot - now);
  };
}

async function churn({ ms, batch, size, rate }) {
  const end = Date.now() + ms;
  const total = { cycles: 0, echoed: 0, failed: 0, errors: [] };
  const pace = pacer(rate);
  while (Date.now() < end) {
    const result = await many(batch, size, closed, pace);
    total.cycles++;
    total.echoed += result.echoed;
    total.failed += result.failed;
    total.errors.push(...result.errors.slice(0, 5 - total.errors.length));
  }
  return total;
}

const commands = { open, close: closeAll, churn };
process.on('message', async (m) => process.send({ id: m.id, ...(await commands[m.cmd](m)) }));
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
