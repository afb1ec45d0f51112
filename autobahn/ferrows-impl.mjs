// The impl under test: ferrows through its ws-compatible ESM entry, with permessage-deflate
// enabled on the server (the client offers it by default), so 12.* and 13.* negotiate it.
export { WebSocket, WebSocketServer } from '../wrapper.mjs';

export const agent = 'ferrows';
export const serverOptions = { perMessageDeflate: true };
export const clientOptions = {};
// `run.mjs --transport h2`: what makes the client use HTTP/2 (RFC 8441). The server side needs nothing: it is
// `new WebSocketServer({ server: http2.createServer() })`.
export const http2ClientOptions = { http2: true };
