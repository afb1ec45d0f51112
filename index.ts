/**
 * ferrows: a drop-in replacement for `ws` 8.x with a Rust core.
 *
 * `require('ferrows')` returns the `WebSocket` class with ws's statics (M1/M2), exactly like
 * `require('ws')`; the ESM entry (`wrapper.mjs`) re-exports them by name. Each module under `lib/`
 * mirrors the ws module of the same name.
 */
import { createWebSocketStream } from './lib/stream';
import * as extension from './lib/extension';
import { PerMessageDeflate } from './lib/permessage-deflate';
import { Receiver } from './lib/receiver';
import { Sender } from './lib/sender';
import * as subprotocol from './lib/subprotocol';
import { WebSocket } from './lib/websocket';
import './lib/client';
import { WebSocketServer } from './lib/websocket-server';
import { WebSocketError, WebSocketStream } from './lib/websocket-stream';

type Exports = typeof WebSocket & {
  createWebSocketStream: typeof createWebSocketStream;
  extension: typeof extension;
  PerMessageDeflate: typeof PerMessageDeflate;
  Receiver: typeof Receiver;
  Sender: typeof Sender;
  Server: typeof WebSocketServer;
  subprotocol: typeof subprotocol;
  WebSocket: typeof WebSocket;
  WebSocketServer: typeof WebSocketServer;
  WebSocketError: typeof WebSocketError;
  WebSocketStream: typeof WebSocketStream;
};

const exported: Exports = Object.assign(WebSocket, {
  createWebSocketStream,
  extension,
  PerMessageDeflate,
  Receiver,
  Sender,
  Server: WebSocketServer,
  subprotocol,
  WebSocket,
  WebSocketServer,
  WebSocketError,
  WebSocketStream,
});

export = exported;
