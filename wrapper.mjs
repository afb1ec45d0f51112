// The ESM entry: ws's named exports (no `Server`, as in ws's wrapper.mjs), plus WebSocketStream.
import WebSocket from './dist/index.js';

export const {
  createWebSocketStream,
  extension,
  PerMessageDeflate,
  Receiver,
  Sender,
  subprotocol,
  WebSocketServer,
  WebSocketStream,
} = WebSocket;
export { WebSocket };
export default WebSocket;
