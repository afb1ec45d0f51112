'use strict';
// Loads the package from the directory given as argv[2] (its dist/, binding.js and one
// ferrows.<platform>.node), runs one permessage-deflate echo over loopback (text and binary,
// both large enough for the SIMD mask kernels' vector paths and for deflate to matter), and
// prints the selected mask kernel. Exits 0 only if everything echoed byte for byte and, when
// argv[3] is given, the kernel is that one. Run by qemu-arm64.sh under an arm64 Node.
const path = require('node:path');
const crypto = require('node:crypto');

const root = path.resolve(process.argv[2] || '.');
const expectKernel = process.argv[3];
const t0 = Date.now();
const { WebSocket, WebSocketServer } = require(path.join(root, 'dist', 'index.js'));
const binding = require(path.join(root, 'binding.js'));
const loaded = (process.report.getReport().sharedObjects || []).filter((f) => f.endsWith('.node'));
console.log(`echo-smoke: node ${process.version} ${process.platform}-${process.arch}, loaded ${loaded.join(', ') || '?'} (${Date.now() - t0} ms to require)`);

const fail = (msg) => {
  console.error(`echo-smoke: FAIL ${msg}`);
  process.exit(1);
};
setTimeout(() => fail('timed out after 60 s'), 60_000).unref();

const text = 'ferrows über qemu 🚀 '.repeat(500); // ~11 kB, compresses well
const binary = crypto.randomBytes(70_000); // incompressible, spans many 16-byte vectors
binary[0] = 0x00;

const wss = new WebSocketServer({ port: 0, perMessageDeflate: true }, () => {
  const { port } = wss.address();
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: true });
  const got = [];
  ws.on('open', () => {
    if (!ws.extensions.includes('permessage-deflate')) fail(`no permessage-deflate negotiated: "${ws.extensions}"`);
    ws.send(text);
    ws.send(binary);
  });
  ws.on('message', (data, isBinary) => {
    got.push({ data, isBinary });
    if (got.length < 2) return;
    const [a, b] = got;
    if (a.isBinary || a.data.toString('utf8') !== text) fail('text echo differs');
    if (!b.isBinary || !Buffer.from(b.data).equals(binary)) fail('binary echo differs');
    ws.close(1000, 'done');
  });
  ws.on('error', (err) => fail(`client error: ${err.message}`));
  ws.on('close', (code) => {
    if (code !== 1000) fail(`close code ${code}`);
    const kernel = binding.maskKernel();
    console.log(`echo-smoke: text ${Buffer.byteLength(text)} B + binary ${binary.length} B echoed with ${ws.extensions}; maskKernel() = ${kernel}`);
    if (expectKernel && kernel !== expectKernel) fail(`maskKernel() is ${kernel}, expected ${expectKernel}`);
    wss.close(() => {
      console.log(`echo-smoke: ok in ${Date.now() - t0} ms`);
      process.exit(0);
    });
  });
});
wss.on('connection', (sock) => {
  sock.on('message', (data, isBinary) => sock.send(data, { binary: isBinary }));
  sock.on('error', (err) => fail(`server socket error: ${err.message}`));
});
wss.on('error', (err) => fail(`server error: ${err.message}`));
