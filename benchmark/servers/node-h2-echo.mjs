// The ceiling for a JS-owned HTTP/2 path: Node's bare `http2` server, h2c, extended CONNECT
// enabled, whose every stream is answered 200 and then writes back exactly the bytes it reads
// (`stream.pipe(stream)`). There is no WebSocket code at all: the load generator drives it with
// `--raw` (the same payload bytes per message as the WebSocket scenarios, without frame headers
// or masking), so this is what Node's http2 stack alone costs per message.
import http2 from 'node:http2';
import { H2_SETTINGS, options, raiseConnectionWindow, ready } from './common.mjs';

const { port } = options();
const server = http2.createServer({ settings: { ...H2_SETTINGS, enableConnectProtocol: true } });
raiseConnectionWindow(server);
server.on('stream', (stream) => {
  stream.on('error', () => {});
  stream.respond({ ':status': 200 });
  stream.pipe(stream);
});
server.listen(port, '127.0.0.1', () => ready(server.address().port));
