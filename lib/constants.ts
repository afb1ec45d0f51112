/** Values and private symbols shared by the ws-compatible modules (ws `lib/constants.js`). */

export const hasBlob: boolean = typeof Blob !== 'undefined';

/** Valid `binaryType` values; `blob` only where a global `Blob` exists. */
export const BINARY_TYPES: readonly string[] = hasBlob
  ? ['nodebuffer', 'arraybuffer', 'fragments', 'blob']
  : ['nodebuffer', 'arraybuffer', 'fragments'];

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';

/** ws's default `closeTimeout`. */
export const CLOSE_TIMEOUT = 30000;
/**
 * The default `upgradeTimeout` of a port-mode server: uWebSockets' 10 s HTTP idle timeout. A
 * real client sends its whole upgrade request one round trip after connecting; 10 s is ample
 * on slow links and six times shorter than Node's 60 s `headersTimeout`.
 */
export const UPGRADE_TIMEOUT = 10000;
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Marks the listener installed by an `on<event>` attribute. */
export const kForOnEventAttribute: unique symbol = Symbol('kIsForOnEventAttribute');
/** The user's listener behind an EventTarget wrapper. */
export const kListener: unique symbol = Symbol('kListener');
/** The close code stored on protocol errors (ws reads it in its tests). */
export const kStatusCode: unique symbol = Symbol('status-code');
/** Links a socket (or receiver/sender) to its WebSocket. */
export const kWebSocket: unique symbol = Symbol('websocket');

export const NOOP = (): void => {};

/** ws's ready states, in order. */
export const READY_STATES: readonly string[] = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;
