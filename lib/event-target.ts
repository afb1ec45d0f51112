/**
 * The EventTarget emulation of ws (`lib/event-target.js`): event objects, and
 * `addEventListener`/`removeEventListener` that share EventEmitter's listener list.
 */
import type { EventEmitter } from 'node:events';
import { kForOnEventAttribute, kListener } from './constants';

/** A minimal DOM-like event. */
export class Event {
  #target: unknown = null;
  readonly #type: string;

  constructor(type: string) {
    this.#type = type;
  }

  /** Sets the target (module-internal; the DOM makes `target` read-only). */
  static _setTarget(event: Event, target: unknown): void {
    event.#target = target;
  }

  get target(): unknown {
    return this.#target;
  }

  get type(): string {
    return this.#type;
  }
}

export class CloseEvent extends Event {
  readonly #code: number;
  readonly #reason: string;
  readonly #wasClean: boolean;

  constructor(type: string, options: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.#code = options.code ?? 0;
    this.#reason = options.reason ?? '';
    this.#wasClean = options.wasClean ?? false;
  }

  get code(): number {
    return this.#code;
  }

  get reason(): string {
    return this.#reason;
  }

  get wasClean(): boolean {
    return this.#wasClean;
  }
}

export class ErrorEvent extends Event {
  readonly #error: unknown;
  readonly #message: string;

  constructor(type: string, options: { error?: unknown; message?: string } = {}) {
    super(type);
    this.#error = options.error === undefined ? null : options.error;
    this.#message = options.message ?? '';
  }

  get error(): unknown {
    return this.#error;
  }

  get message(): string {
    return this.#message;
  }
}

export class MessageEvent extends Event {
  readonly #data: unknown;

  constructor(type: string, options: { data?: unknown } = {}) {
    super(type);
    this.#data = options.data === undefined ? null : options.data;
  }

  get data(): unknown {
    return this.#data;
  }
}

for (const [ctor, props] of [
  [Event, ['target', 'type']],
  [CloseEvent, ['code', 'reason', 'wasClean']],
  [ErrorEvent, ['error', 'message']],
  [MessageEvent, ['data']],
] as const) {
  for (const prop of props) Object.defineProperty(ctor.prototype, prop, { enumerable: true });
}

type Handler = ((event: Event) => void) | { handleEvent(event: Event): void };
type Wrapper = ((...args: unknown[]) => void) & { [kForOnEventAttribute]?: boolean; [kListener]?: Handler };

/** What the wrappers read from the WebSocket they are attached to. */
interface Target extends EventEmitter {
  _closeFrameReceived: boolean;
  _closeFrameSent: boolean;
}

function callListener(listener: Handler, thisArg: unknown, event: Event): void {
  if (typeof listener === 'object' && typeof listener.handleEvent === 'function') {
    listener.handleEvent.call(listener, event);
  } else {
    (listener as (event: Event) => void).call(thisArg, event);
  }
}

function makeWrapper(type: string, handler: Handler): Wrapper | undefined {
  switch (type) {
    case 'message':
      return function onMessage(this: Target, data: unknown, isBinary: unknown) {
        const event = new MessageEvent('message', { data: isBinary ? data : String(data) });
        Event._setTarget(event, this);
        callListener(handler, this, event);
      } as Wrapper;
    case 'close':
      return function onClose(this: Target, code: unknown, message: unknown) {
        const event = new CloseEvent('close', {
          code: code as number,
          reason: String(message),
          wasClean: this._closeFrameReceived && this._closeFrameSent,
        });
        Event._setTarget(event, this);
        callListener(handler, this, event);
      } as Wrapper;
    case 'error':
      return function onError(this: Target, error: unknown) {
        const event = new ErrorEvent('error', { error, message: (error as Error).message });
        Event._setTarget(event, this);
        callListener(handler, this, event);
      } as Wrapper;
    case 'open':
      return function onOpen(this: Target) {
        const event = new Event('open');
        Event._setTarget(event, this);
        callListener(handler, this, event);
      } as Wrapper;
    default:
      return undefined;
  }
}

/** `addEventListener(type, listener, { once })` for `open`, `message`, `close` and `error`. */
export function addEventListener(
  this: EventEmitter,
  type: string,
  handler: Handler,
  options: { once?: boolean; [kForOnEventAttribute]?: boolean } = {},
): void {
  for (const listener of this.listeners(type) as Wrapper[]) {
    if (!options[kForOnEventAttribute] && listener[kListener] === handler && !listener[kForOnEventAttribute]) {
      return;
    }
  }
  const wrapper = makeWrapper(type, handler);
  if (!wrapper) return;
  wrapper[kForOnEventAttribute] = !!options[kForOnEventAttribute];
  wrapper[kListener] = handler;
  if (options.once) this.once(type, wrapper);
  else this.on(type, wrapper);
}

/** Removes a listener added with `addEventListener` (never an on-handler). */
export function removeEventListener(this: EventEmitter, type: string, handler: Handler): void {
  for (const listener of this.listeners(type) as Wrapper[]) {
    if (listener[kListener] === handler && !listener[kForOnEventAttribute]) {
      this.removeListener(type, listener);
      break;
    }
  }
}
