// ferrows through WebSocketStream: each server connection wrapped with WebSocketStream.from(ws)
// and echoed by piping its readable into its writable (text stays text, binary stays binary).
import { WebSocketServer, WebSocketStream } from '../../wrapper.mjs';
import { MAX_PAYLOAD, options, ready } from './common.mjs';

const { port, deflate } = options();
const wss = new WebSocketServer(
  {
    host: '127.0.0.1',
    port,
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: deflate ? { threshold: 0 } : false,
  },
  () => ready(wss.address().port),
);
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  const stream = WebSocketStream.from(ws);
  stream.opened
    .then(({ readable, writable }) => readable.pipeTo(writable))
    .catch(() => {});
});
