// ferrows over HTTP/2 (RFC 8441): the ws-compatible WebSocketServer attached to Node's h2c
// server, with the ws echo idiom unchanged. ferrows answers the extended CONNECT streams and
// turns on SETTINGS_ENABLE_CONNECT_PROTOCOL itself; the generator checks that it did. The http2
// server gets the same windows and stream limit as the bare echo (common.mjs).
import http2 from 'node:http2';
import { WebSocketServer } from '../../wrapper.mjs';
import { H2_SETTINGS, MAX_PAYLOAD, options, raiseConnectionWindow, ready } from './common.mjs';

const { port, deflate } = options();
const server = http2.createServer({ settings: H2_SETTINGS });
raiseConnectionWindow(server);
const wss = new WebSocketServer({
  server,
  maxPayload: MAX_PAYLOAD,
  perMessageDeflate: deflate ? { threshold: 0 } : false,
});
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.listen(port, '127.0.0.1', () => ready(server.address().port));
