/**
 * Types of the ESM entry (`wrapper.mjs`): ws's named exports — `Server` only as a type, as in
 * ws — plus the default export, all from the CommonJS declarations, and the same named types
 * `@types/ws`'s `index.d.mts` exports (`RawData`, `ClientOptions`, `ServerOptions`, ...).
 *
 * The CommonJS declarations are reached through the package's own name (a self-reference via
 * "exports" → `require.types`), not `./index.js`: in a source checkout that path would resolve
 * to `index.ts` instead of `index.d.ts`.
 */
import WebSocket = require('ferrows');

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
export declare const WebSocketError: typeof WebSocket.WebSocketError;
export type WebSocketError = WebSocket.WebSocketError;

// The named types of @types/ws's index.d.mts.
export import AddressInfo = WebSocket.AddressInfo;
export import CertMeta = WebSocket.CertMeta;
export import ClientOptions = WebSocket.ClientOptions;
export import CloseEvent = WebSocket.CloseEvent;
export import Data = WebSocket.Data;
export import ErrorEvent = WebSocket.ErrorEvent;
export import Event = WebSocket.Event;
export import EventListenerOptions = WebSocket.EventListenerOptions;
export import FinishRequestCallback = WebSocket.FinishRequestCallback;
export import MessageEvent = WebSocket.MessageEvent;
export import PerMessageDeflateOptions = WebSocket.PerMessageDeflateOptions;
export import RawData = WebSocket.RawData;
export import ServerOptions = WebSocket.ServerOptions;
export import VerifyClientCallbackAsync = WebSocket.VerifyClientCallbackAsync;
export import VerifyClientCallbackSync = WebSocket.VerifyClientCallbackSync;

// Ours: the option and result types of the exported internals and of WebSocketStream.
export import FrameOptions = WebSocket.FrameOptions;
export import ReceiverOptions = WebSocket.ReceiverOptions;
export import WebSocketStreamOptions = WebSocket.WebSocketStreamOptions;
export import WebSocketStreamConnection = WebSocket.WebSocketStreamConnection;
export import WebSocketCloseInfo = WebSocket.WebSocketCloseInfo;
export import ShutdownOptions = WebSocket.ShutdownOptions;
