// The ESM entry: ws's named exports (no `Server`, as in ws's wrapper.mjs), plus WebSocketStream and WebSocketError.
import WebSocket from './dist/index.js';

export const {
  createWebSocketStream,
  extension,
  PerMessageDeflate,
  Receiver,
  Sender,
  subprotocol,
  WebSocketServer,
  WebSocketError,
  WebSocketStream,
} = WebSocket;
export { WebSocket };
export default WebSocket;
