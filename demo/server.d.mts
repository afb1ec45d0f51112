// Types for `demo/server.mjs` (so the TypeScript tests can import it).
export interface Demo {
  /** The page's address, e.g. `http://127.0.0.1:8080/`. */
  url: string;
  /** Terminates the WebSocket clients and closes the servers. */
  close(): Promise<void>;
}

/** Starts the demo on `port` (0 picks a free one). */
export function startDemo(options?: { port?: number; host?: string }): Promise<Demo>;
