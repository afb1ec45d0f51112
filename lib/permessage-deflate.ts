/**
 * ws's exported `PerMessageDeflate` (`lib/permessage-deflate.js`, RFC 7692): the options, the
 * offer/accept negotiation (done by the Rust core with ws's rules, including 8.21.x's
 * `client_max_window_bits` check), and compress/decompress through the core's bounded zlib.
 * Connections use the negotiated parameters inside the engine; this class carries them.
 */
import { kStatusCode } from './constants';
import { format as formatExtensions, type Extensions } from './extension';
import { native } from './native';

export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  zlibDeflateOptions?: { level?: number; memLevel?: number; [key: string]: unknown };
  zlibInflateOptions?: Record<string, unknown>;
  threshold?: number;
  concurrencyLimit?: number;
  isServer?: boolean;
  maxPayload?: number;
}

type Negotiated = ReturnType<typeof native.deflateAcceptClient>;
type Params = Record<string, number | true>;
type Callback = (err: Error | null, result?: Buffer) => void;

export class PerMessageDeflate {
  static get extensionName(): 'permessage-deflate' {
    return 'permessage-deflate';
  }

  readonly _options: PerMessageDeflateOptions;
  readonly _isServer: boolean;
  readonly _maxPayload: number;
  readonly _threshold: number;
  params: Params | null = null;
  _negotiated: Negotiated | null = null;
  _zlib: InstanceType<typeof native.Zlib> | null = null;

  /** `new PerMessageDeflate(options)` (8.20+) or the older `(options, isServer, maxPayload)`. */
  constructor(options?: PerMessageDeflateOptions, isServer?: boolean, maxPayload?: number) {
    this._options = options ?? {};
    this._isServer = isServer ?? !!this._options.isServer;
    this._maxPayload = (maxPayload ?? this._options.maxPayload ?? 0) | 0;
    this._threshold = this._options.threshold !== undefined ? this._options.threshold : 1024;
  }

  /** The engine's view of the options. */
  _config(): Parameters<typeof native.deflateOffer>[0] {
    const o = this._options;
    return {
      serverNoContextTakeover: o.serverNoContextTakeover,
      clientNoContextTakeover: o.clientNoContextTakeover,
      serverMaxWindowBits: o.serverMaxWindowBits,
      clientMaxWindowBits: o.clientMaxWindowBits,
      threshold: this._threshold,
      level: o.zlibDeflateOptions?.level,
      memLevel: o.zlibDeflateOptions?.memLevel,
    };
  }

  /** The client's offer parameters (ws `offer()`). */
  offer(): Params {
    const o = this._options;
    const params: Params = {};
    if (o.serverNoContextTakeover) params['server_no_context_takeover'] = true;
    if (o.clientNoContextTakeover) params['client_no_context_takeover'] = true;
    if (o.serverMaxWindowBits) params['server_max_window_bits'] = o.serverMaxWindowBits as number;
    if (o.clientMaxWindowBits) params['client_max_window_bits'] = o.clientMaxWindowBits as number;
    else if (o.clientMaxWindowBits == null) params['client_max_window_bits'] = true;
    return params;
  }

  /** Accepts an offer (server) or a response (client) in ws's parsed form; throws like ws. */
  accept(configurations: Extensions[string]): Params {
    const header = formatExtensions({ [PerMessageDeflate.extensionName]: configurations });
    const negotiated = this._isServer
      ? native.deflateAcceptServer(this._config(), header)
      : native.deflateAcceptClient(this._config(), header);
    if (!negotiated) throw new Error('None of the extension offers can be accepted');
    return this._adopt(negotiated);
  }

  _adopt(negotiated: Negotiated): Params {
    this._negotiated = negotiated;
    const params: Params = {};
    for (const [name, value] of negotiated.params) params[name!] = value == null ? true : Number(value);
    this.params = params;
    return params;
  }

  /** The `Sec-WebSocket-Extensions` value a client sends. */
  _offerHeader(): string {
    return native.deflateOffer(this._config());
  }

  /** Server: negotiates from the raw request header. Returns false when nothing was offered. */
  _acceptOffers(header: string): boolean {
    const negotiated = native.deflateAcceptServer(this._config(), header);
    if (!negotiated) return false;
    this._adopt(negotiated);
    return true;
  }

  /** Client: checks the raw response header; returns ws's failure message, or null. */
  _acceptResponse(header: string): string | null {
    try {
      this._adopt(native.deflateAcceptClient(this._config(), header));
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** The server's response value, formatted as ws formats it. */
  _responseHeader(): string {
    return this._negotiated!.header;
  }

  /** Whether our side resets its compressor after each message (then `threshold` applies). */
  _ourNoContextTakeover(): boolean {
    const n = this._negotiated;
    if (!n) return false;
    return this._isServer ? n.serverNoContextTakeover : n.clientNoContextTakeover;
  }

  /** The negotiated parameters in the form the connection engine takes. */
  _engineOptions(): {
    serverNoContextTakeover: boolean;
    clientNoContextTakeover: boolean;
    serverMaxWindowBits: number;
    clientMaxWindowBits: number;
    threshold: number;
    level: number | undefined;
    memLevel: number | undefined;
  } {
    const n = this._negotiated!;
    return {
      serverNoContextTakeover: n.serverNoContextTakeover,
      clientNoContextTakeover: n.clientNoContextTakeover,
      serverMaxWindowBits: n.serverMaxWindowBits,
      clientMaxWindowBits: n.clientMaxWindowBits,
      threshold: this._threshold,
      level: this._options.zlibDeflateOptions?.level,
      memLevel: this._options.zlibDeflateOptions?.memLevel,
    };
  }

  /** Frees the zlib state. */
  cleanup(): void {
    this._zlib = null;
  }

  #zlib(): InstanceType<typeof native.Zlib> {
    if (!this._negotiated) throw new Error('permessage-deflate has not been negotiated');
    return (this._zlib ??= new native.Zlib(this._isServer, this._engineOptions(), this._maxPayload));
  }

  /** Compresses one message or fragment; `callback(err, data)` on the next tick. */
  compress(data: Buffer | string, fin: boolean, callback: Callback): void {
    let result: Buffer;
    try {
      result = this.#zlib().compress(typeof data === 'string' ? Buffer.from(data) : data, fin);
    } catch (err) {
      process.nextTick(callback, err as Error);
      return;
    }
    process.nextTick(callback, null, result);
  }

  /** Decompresses one frame's payload; errors carry ws's codes and close status. */
  decompress(data: Buffer, fin: boolean, callback: Callback): void {
    let result: Buffer;
    try {
      result = this.#zlib().decompress(data, fin);
    } catch (err) {
      process.nextTick(callback, inflateError(err as Error));
      return;
    }
    process.nextTick(callback, null, result);
  }
}

function inflateError(err: Error): Error {
  const tooBig = err.message === 'Max payload size exceeded';
  const out = tooBig ? new RangeError(err.message) : new Error(err.message);
  Object.assign(out, {
    code: tooBig ? 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' : 'Z_DATA_ERROR',
    [kStatusCode]: tooBig ? 1009 : 1007,
  });
  return out;
}
