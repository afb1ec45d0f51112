// Run inside an empty project where `ferrows` was installed from its tarballs: a user's first program.
// A permessage-deflate echo (server and client), a wss echo on `https.createServer`, and a
// `WebSocketStream` round trip, through both entry points (ESM `import`, CommonJS `require`).
// Prints one JSON line; exits non-zero on any failure. argv[2], argv[3]: TLS key and certificate files;
// argv[4]: the platform package, whose binary reports the masking kernel the CPU probe chose.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import { WebSocket, WebSocketServer, WebSocketStream } from 'ferrows';

const require = createRequire(import.meta.url);
const cjs = require('ferrows');
const [key, cert] = [readFileSync(process.argv[2]), readFileSync(process.argv[3])];
const timer = setTimeout(() => fail(new Error('timed out after 30 s')), 30_000);

function fail(error) {
  console.error(error?.stack ?? error);
  process.exit(1);
}

function once(emitter, event) {
  return new Promise((resolve, reject) => {
    emitter.once(event, (...args) => resolve(args));
    if (event !== 'error') emitter.once('error', reject);
  });
}

/** Echoes a text and a binary message over `url`; returns the client's negotiated extensions and transport kind. */
async function echo(wss, url, options) {
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const ws = new WebSocket(url, options);
  await once(ws, 'open');
  const got = [];
  ws.on('message', (data, isBinary) => got.push([data.toString('hex'), isBinary]));
  ws.send('héllo '.repeat(50));
  ws.send(Buffer.from([0, 1, 2, 255]));
  while (got.length < 2) await once(ws, 'message');
  if (got[0][0] !== Buffer.from('héllo '.repeat(50)).toString('hex') || got[0][1] !== false) throw new Error('text echo differs');
  if (got[1][0] !== '000102ff' || got[1][1] !== true) throw new Error('binary echo differs');
  ws.close(1000);
  const [code] = await once(ws, 'close');
  if (code !== 1000) throw new Error(`closed with ${code}`);
  return { extensions: ws.extensions, native: Boolean(ws._transport?.isNative) };
}

async function deflateEcho() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
  await once(wss, 'listening');
  const result = await echo(wss, `ws://127.0.0.1:${wss.address().port}`, { perMessageDeflate: true });
  await new Promise((resolve) => wss.close(resolve));
  if (!result.extensions.includes('permessage-deflate')) throw new Error(`no permessage-deflate: "${result.extensions}"`);
  return result;
}

async function tlsEcho() {
  const server = https.createServer({ key, cert });
  const wss = new WebSocketServer({ server });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const result = await echo(wss, `wss://localhost:${server.address().port}`, { ca: cert });
  await new Promise((resolve) => wss.close(resolve));
  await new Promise((resolve) => server.close(resolve));
  return result;
}

async function streamRoundTrip() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const stream = new WebSocketStream(`ws://127.0.0.1:${wss.address().port}`);
  const { readable, writable } = await stream.opened;
  const writer = writable.getWriter();
  const reader = readable.getReader();
  await writer.write('stream');
  const { value } = await reader.read();
  if (value !== 'stream') throw new Error(`WebSocketStream read ${JSON.stringify(value)}`);
  stream.close({ closeCode: 1000 });
  const { closeCode } = await stream.closed;
  await new Promise((resolve) => wss.close(resolve));
  return closeCode;
}

try {
  if (cjs.WebSocketServer !== WebSocketServer) throw new Error('require and import give different classes');
  const deflate = await deflateEcho();
  const tls = await tlsEcho();
  const streamClose = await streamRoundTrip();
  const bun = process.versions.bun;
  console.log(
    JSON.stringify({
      runtime: bun ? `bun ${bun}` : `node ${process.versions.node}`,
      arch: process.arch,
      kernel: require(process.argv[4]).maskKernel(),
      transport: deflate.native ? 'native' : 'js',
      deflate: deflate.extensions,
      tls: tls.native ? 'native' : 'js',
      streamClose,
    }),
  );
  clearTimeout(timer);
} catch (error) {
  fail(error);
}
