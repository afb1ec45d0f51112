// Types of control.mjs for the TypeScript tests.
export declare function hardFdLimit(): number;

export interface Stats {
  rss: number;
  external: number;
  heap: number;
  fds: number;
  handles: number;
  clients: number;
  native: number;
  echoed: number;
  loopDelay: { max: number; p99: number };
}

export interface Batch {
  echoed: number;
  failed: number;
  errors: string[];
}

export interface Child {
  pid: number;
  port?: number;
  request(cmd: 'stats'): Promise<Stats>;
  request(cmd: 'open', fields: { count: number; size: number }): Promise<Batch & { opened: number }>;
  request(cmd: 'close'): Promise<{ closed: number }>;
  request(cmd: 'churn', fields: { ms: number; batch: number; size: number }): Promise<Batch & { cycles: number }>;
  kill(): void;
}

export declare function startChild(name: 'server' | 'clients', args: string[], nofile: number, env?: Record<string, string>): Promise<Child>;
