// ferrows through its ws-compatible API: the ws echo idiom, unchanged.
import { WebSocketServer } from '../../wrapper.mjs';
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
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
