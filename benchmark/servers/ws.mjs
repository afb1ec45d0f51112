// ws 8.23.0 with bufferutil 4.1.0 (asserted native), the same echo idiom.
import { MAX_PAYLOAD, options, peerRequire, ready } from './common.mjs';

const { port, deflate } = options();
const { WebSocketServer } = loadWs();
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

function loadWs() {
  const ws = peerRequire('ws');
  const pkg = peerRequire('ws/package.json');
  if (pkg.version !== '8.23.0') throw new Error(`ws ${pkg.version}, expected 8.23.0`);
  // bufferutil's own entry falls back to JS silently; load the prebuilt addon the same way it
  // does (node-gyp-build) so a missing native build fails here instead.
  const dir = peerRequire.resolve('bufferutil/package.json').replace(/package\.json$/, '');
  const native = peerRequire('node-gyp-build')(dir);
  if (typeof native.mask !== 'function') throw new Error('bufferutil is not native');
  if (peerRequire('bufferutil/package.json').version !== '4.1.0') throw new Error('bufferutil is not 4.1.0');
  return { WebSocketServer: ws.WebSocketServer };
}
