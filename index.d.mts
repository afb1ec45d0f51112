/**
 * Types of the ESM entry (`wrapper.mjs`): ws's named exports — `Server` only as a type, as in
 * ws — plus the default export, all from the CommonJS declarations.
 */
import WebSocket = require('./index.js');

export default WebSocket;
export { WebSocket };

export type Server<
  T extends typeof WebSocket.WebSocket = typeof WebSocket.WebSocket,
  U extends typeof import('http').IncomingMessage = typeof import('http').IncomingMessage,
> = WebSocket.Server<T, U>;

export declare const WebSocketServer: typeof WebSocket.Server;
export interface WebSocketServer extends WebSocket.Server {}
export declare const createWebSocketStream: typeof WebSocket.createWebSocketStream;
export declare const Sender: typeof WebSocket.Sender;
export type Sender = WebSocket.Sender;
export declare const Receiver: typeof WebSocket.Receiver;
export type Receiver = WebSocket.Receiver;
export declare const PerMessageDeflate: typeof WebSocket.PerMessageDeflate;
export type PerMessageDeflate = WebSocket.PerMessageDeflate;
export declare const extension: typeof WebSocket.extension;
export declare const subprotocol: typeof WebSocket.subprotocol;
export declare const WebSocketStream: typeof WebSocket.WebSocketStream;
export type WebSocketStream = WebSocket.WebSocketStream;
