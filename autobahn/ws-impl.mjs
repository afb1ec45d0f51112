// Reference implementation for the Autobahn harness: the real `ws` package (run.mjs builds the echo peers).
// `node autobahn/run.mjs --role server --impl autobahn/ws-impl.mjs` must reproduce ws's published scores.
export { WebSocket, WebSocketServer } from 'ws';
export const agent = 'ws';
