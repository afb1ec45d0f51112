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

  /**
   * Accepts an offer (server) or a response (client) in ws's parsed form. Like ws it validates
   * every parameter (ws's messages and error classes), mutates and returns the accepted
   * configuration object, and stores it as `params`.
   */
  accept(configurations: Extensions[string]): Params {
    const normalized = this.#normalize(configurations);
    const params = this._isServer ? this.#acceptAsServer(normalized) : this.#acceptAsClient(normalized);
    this.params = params;
    this._negotiated = negotiatedFrom(params);
    this._zlib = null;
    return params;
  }

  /** ws `normalizeParams`: one value per parameter, numbers for the window sizes. */
  #normalize(configurations: Extensions[string]): Params[] {
    for (const params of configurations as unknown as Record<string, unknown>[]) {
      for (const key of Object.keys(params)) {
        const values = params[key] as unknown[];
        if (values.length > 1) throw new Error(`Parameter "${key}" must have only a single value`);
        let value = values[0];
        if (key === 'client_max_window_bits') {
          if (value !== true) {
            const num = Number(value);
            if (!Number.isInteger(num) || num < 8 || num > 15) {
              throw new TypeError(`Invalid value for parameter "${key}": ${String(value)}`);
            }
            value = num;
          } else if (!this._isServer) {
            throw new TypeError(`Invalid value for parameter "${key}": ${String(value)}`);
          }
        } else if (key === 'server_max_window_bits') {
          const num = Number(value);
          if (!Number.isInteger(num) || num < 8 || num > 15) {
            throw new TypeError(`Invalid value for parameter "${key}": ${String(value)}`);
          }
          value = num;
        } else if (key === 'client_no_context_takeover' || key === 'server_no_context_takeover') {
          if (value !== true) throw new TypeError(`Invalid value for parameter "${key}": ${String(value)}`);
        } else {
          throw new Error(`Unknown parameter "${key}"`);
        }
        params[key] = value;
      }
    }
    return configurations as unknown as Params[];
  }

  /** ws `acceptAsServer`: the first acceptable offer, completed with our configuration. */
  #acceptAsServer(offers: Params[]): Params {
    const o = this._options;
    const accepted = offers.find(
      (params) =>
        !(
          (o.serverNoContextTakeover === false && params['server_no_context_takeover']) ||
          (params['server_max_window_bits'] &&
            (o.serverMaxWindowBits === false ||
              (typeof o.serverMaxWindowBits === 'number' && o.serverMaxWindowBits > (params['server_max_window_bits'] as number)))) ||
          (typeof o.clientMaxWindowBits === 'number' &&
            (typeof params['client_max_window_bits'] === 'number'
              ? o.clientMaxWindowBits > params['client_max_window_bits']
              : !params['client_max_window_bits']))
        ),
    );
    if (!accepted) throw new Error('None of the extension offers can be accepted');
    if (o.serverNoContextTakeover) accepted['server_no_context_takeover'] = true;
    if (o.clientNoContextTakeover) accepted['client_no_context_takeover'] = true;
    if (typeof o.serverMaxWindowBits === 'number') accepted['server_max_window_bits'] = o.serverMaxWindowBits;
    if (typeof o.clientMaxWindowBits === 'number') accepted['client_max_window_bits'] = o.clientMaxWindowBits;
    else if (accepted['client_max_window_bits'] === true || o.clientMaxWindowBits === false) {
      delete accepted['client_max_window_bits'];
    }
    return accepted;
  }

  /** ws `acceptAsClient`: checks the server's response against our offer. */
  #acceptAsClient(response: Params[]): Params {
    const params = response[0]!;
    const o = this._options;
    if (o.clientNoContextTakeover === false && params['client_no_context_takeover']) {
      throw new Error('Unexpected parameter "client_no_context_takeover"');
    }
    if (!params['client_max_window_bits']) {
      if (typeof o.clientMaxWindowBits === 'number') params['client_max_window_bits'] = o.clientMaxWindowBits;
    } else if (
      o.clientMaxWindowBits === false ||
      (typeof o.clientMaxWindowBits === 'number' && (params['client_max_window_bits'] as number) > o.clientMaxWindowBits)
    ) {
      throw new Error('Unexpected or invalid parameter "client_max_window_bits"');
    }
    return params;
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

  /** Frees the zlib state; a pending compression is answered with ws's error. */
  cleanup(): void {
    this._zlib = null;
    const pending = this.#pending.splice(0);
    for (const job of pending) {
      if (job.compress) job.callback(new Error('The deflate stream was closed while data was being processed'));
    }
  }

  /** Jobs run in order, each answered on a later turn of the event loop (zlib is asynchronous in ws). */
  readonly #pending: { compress: boolean; callback: Callback; run: () => Buffer }[] = [];

  #schedule(compress: boolean, run: () => Buffer, callback: Callback): void {
    const job = { compress, callback, run };
    this.#pending.push(job);
    setImmediate(() => {
      const at = this.#pending.indexOf(job);
      if (at === -1) {
        // cleanup() answered a compression; a decompression still runs on fresh state.
        if (!compress) this.#finish(job);
        return;
      }
      this.#pending.splice(at, 1);
      this.#finish(job);
    });
  }

  #finish(job: { compress: boolean; callback: Callback; run: () => Buffer }): void {
    let result: Buffer;
    try {
      result = job.run();
    } catch (err) {
      job.callback(job.compress ? (err as Error) : inflateError(err as Error));
      return;
    }
    job.callback(null, result);
  }

  #zlib(): InstanceType<typeof native.Zlib> {
    if (!this._negotiated) throw new Error('permessage-deflate has not been negotiated');
    return (this._zlib ??= new native.Zlib(this._isServer, this._engineOptions(), this._maxPayload));
  }

  /** Compresses one message or fragment; `callback(err, data)` asynchronously, in call order. */
  compress(data: Buffer | string, fin: boolean, callback: Callback): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    this.#schedule(true, () => this.#zlib().compress(bytes, fin), callback);
  }

  /** Decompresses one frame's payload; errors carry ws's codes and close status. */
  decompress(data: Buffer, fin: boolean, callback: Callback): void {
    const bytes = Buffer.from(data);
    this.#schedule(false, () => this.#zlib().decompress(bytes, fin), callback);
  }
}

/** The engine's view of accepted ws-style parameters (window sizes default to 15). */
function negotiatedFrom(params: Params): Negotiated {
  const bits = (value: number | true | undefined): number => (typeof value === 'number' ? value : 15);
  return {
    serverNoContextTakeover: params['server_no_context_takeover'] === true,
    clientNoContextTakeover: params['client_no_context_takeover'] === true,
    serverMaxWindowBits: bits(params['server_max_window_bits']),
    clientMaxWindowBits: bits(params['client_max_window_bits']),
    header: formatExtensions({ [PerMessageDeflate.extensionName]: params }),
    params: Object.keys(params).map((key) => [key, params[key] === true ? null : String(params[key])]),
  };
}

function inflateError(err: Error): Error {
  const tooBig = err.message === 'Max payload size exceeded';
  const out = tooBig ? new RangeError(err.message) : new Error(err.message);
  Object.assign(out, {
    code: tooBig ? 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' : 'Z_DATA_ERROR',
    [kStatusCode]: tooBig ? 1009 : 1007,
  });
  // zlib's errno for Z_DATA_ERROR, as on the error Node's zlib gives ws.
  if (!tooBig) Object.assign(out, { errno: -3 });
  return out;
}
