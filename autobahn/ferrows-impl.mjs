// The impl under test: ferrows through its ws-compatible ESM entry, with permessage-deflate
// enabled on the server (the client offers it by default), so 12.* and 13.* negotiate it.
export { WebSocket, WebSocketServer } from '../wrapper.mjs';

export const agent = 'ferrows';
export const serverOptions = { perMessageDeflate: true };
export const clientOptions = {};
