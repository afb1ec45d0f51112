// Bun 1.4.4 (npm @oven/bun-linux-x64, bin/bun): Bun.serve's WebSocket echo. Limits raised to match
// the others; a send Bun reports as dropped (0) is printed.
const args = process.argv.slice(2);
const port = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.PORT ?? 0);
const deflate = args.includes('--deflate') || process.env.DEFLATE === '1';
const MAX_PAYLOAD = 64 * 1024 * 1024;

if (typeof Bun === 'undefined') throw new Error('run this file with the bun executable');
const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch(req, srv) {
    if (srv.upgrade(req)) return undefined;
    return new Response('websocket only', { status: 400 });
  },
  websocket: {
    maxPayloadLength: MAX_PAYLOAD,
    backpressureLimit: MAX_PAYLOAD,
    closeOnBackpressureLimit: false,
    idleTimeout: 0,
    sendPings: false,
    perMessageDeflate: deflate,
    message(ws, message) {
      if (ws.send(message, deflate) === 0) process.stderr.write('DROPPED bun send\n');
    },
  },
});
process.stdout.write(`ready ${server.port}\n`);
