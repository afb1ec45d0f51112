/**
 * `createWebSocketStream` (ws `lib/stream.js`): a Duplex over a WebSocket, with ws's option
 * handling, backpressure (`push() === false` pauses the socket, `_read` resumes it) and teardown.
 */
import { Duplex, type DuplexOptions } from 'node:stream';
import type { WebSocket } from './websocket';

function emitClose(stream: Duplex): void {
  stream.emit('close');
}

function duplexOnEnd(this: Duplex): void {
  if (!this.destroyed && this.writableFinished) this.destroy();
}

function duplexOnError(this: Duplex, err: Error): void {
  this.removeListener('error', duplexOnError);
  this.destroy();
  if (this.listenerCount('error') === 0) this.emit('error', err);
}

export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  let terminateOnDestroy = true;
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  ws.on('message', (msg: Buffer, isBinary: boolean) => {
    const data = !isBinary && duplex.readableObjectMode ? msg.toString() : msg;
    if (!duplex.push(data)) ws.pause();
  });
  ws.once('error', (err: Error) => {
    if (duplex.destroyed) return;
    terminateOnDestroy = false;
    duplex.destroy(err);
  });
  ws.once('close', () => {
    if (duplex.destroyed) return;
    duplex.push(null);
  });

  duplex._destroy = (err, callback) => {
    if (ws.readyState === ws.CLOSED) {
      callback(err);
      process.nextTick(emitClose, duplex);
      return;
    }
    let called = false;
    ws.once('error', (error: Error) => {
      called = true;
      callback(error);
    });
    ws.once('close', () => {
      if (!called) callback(err);
      process.nextTick(emitClose, duplex);
    });
    if (terminateOnDestroy) ws.terminate();
  };

  duplex._final = (callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._final(callback));
      return;
    }
    if (ws._transport === null) return;
    if (ws.readyState === ws.CLOSED) {
      callback();
      if (duplex.readableEnded) duplex.destroy();
      return;
    }
    // Finish before the readable side ends, as in ws (where 'finish' follows the socket's).
    ws.prependOnceListener('close', () => {
      callback();
      process.nextTick(() => {
        if (duplex.readableEnded && !duplex.destroyed) duplex.destroy();
      });
    });
    ws.close();
  };

  duplex._read = () => {
    if (ws.isPaused) ws.resume();
  };

  duplex._write = (chunk, encoding, callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._write(chunk, encoding, callback));
      return;
    }
    ws.send(chunk, callback);
  };

  duplex.on('end', duplexOnEnd);
  duplex.on('error', duplexOnError);
  return duplex;
}
