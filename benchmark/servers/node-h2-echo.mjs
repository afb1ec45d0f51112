// The ceiling for a JS-owned HTTP/2 path: Node's bare `http2` server, h2c, extended CONNECT
// enabled, whose every stream is answered 200 and then writes back exactly the bytes it reads
// (`stream.pipe(stream)`). There is no WebSocket code at all: the load generator drives it with
// `--raw` (the same payload bytes per message as the WebSocket scenarios, without frame headers
// or masking), so this is what Node's http2 stack alone costs per message.
import http2 from 'node:http2';
import { options, ready } from './common.mjs';

const { port } = options();
// Receive windows as generous as the generator's, so flow control never limits the ceiling.
const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 16 << 20;
const server = http2.createServer({
  settings: { enableConnectProtocol: true, initialWindowSize: STREAM_WINDOW, maxConcurrentStreams: 100000 },
});
server.on('session', (session) => {
  session.on('error', () => {});
  session.setLocalWindowSize(CONNECTION_WINDOW);
});
server.on('stream', (stream) => {
  stream.on('error', () => {});
  stream.respond({ ':status': 200 });
  stream.pipe(stream);
});
server.listen(port, '127.0.0.1', () => ready(server.address().port));
