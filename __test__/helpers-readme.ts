/**
 * Support for `readme.spec.ts`: extracts the JavaScript/TypeScript code blocks of a Markdown file
 * with their optional `<!-- test: ... -->` markers, and prepares each block as a runnable file
 * (fixed ports rewritten, an epilogue that reports the snippet's servers over IPC).
 * The convention itself is documented at the top of `readme.spec.ts`.
 */

export type Lang = 'js' | 'ts';
export type Mode = 'server' | 'client' | 'script' | 'check-only';

export interface Snippet {
  /** 1-based position among the extracted blocks. */
  index: number;
  /** 1-based line of the opening fence. */
  line: number;
  lang: Lang;
  /** The fence's info string as written (`js`, `javascript`, `ts` …). */
  info: string;
  code: string;
  /** Directives from the marker above the fence (bare flags map to `true`). */
  marker: Record<string, string | true>;
}

const LANGS: Record<string, Lang> = { js: 'js', javascript: 'js', mjs: 'js', cjs: 'js', jsx: 'js', ts: 'ts', typescript: 'ts', mts: 'ts', cts: 'ts', tsx: 'ts' };

/** Parses `key=value key="quoted value" flag` into a record. */
export function parseMarker(text: string): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const m of text.matchAll(/([\w-]+)(?:=(?:"((?:[^"\\]|\\.)*)"|(\S+)))?/g)) {
    const [, key, quoted, bare] = m;
    out[key!] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? true);
  }
  return out;
}

/**
 * The fenced code blocks in `markdown` whose language is JavaScript or TypeScript, in order. A
 * `<!-- test: ... -->` comment on the nearest non-blank line above a fence is that block's marker.
 */
export function extractSnippets(markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const out: Snippet[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/.exec(lines[i]!);
    if (!open) {
      i++;
      continue;
    }
    const [, indent, fence, info = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    const close = new RegExp(`^ {0,3}${fence![0] === '`' ? '`' : '~'}{${fence!.length},}\\s*$`);
    while (j < lines.length && !close.test(lines[j]!)) {
      const text = lines[j]!;
      body.push(text.startsWith(indent!) ? text.slice(indent!.length) : text.trimStart());
      j++;
    }
    const lang = LANGS[info.toLowerCase()];
    if (lang) {
      let k = i - 1;
      while (k >= 0 && lines[k]!.trim() === '') k--;
      const marker = k >= 0 ? /^\s*<!--\s*test:(.*?)-->\s*$/.exec(lines[k]!) : null;
      out.push({ index: out.length + 1, line: i + 1, lang, info, code: body.join('\n'), marker: marker ? parseMarker(marker[1]!) : {} });
    }
    i = j + 1;
  }
  return out;
}

const SERVER_DECL = /^(?:const|let|var)\s+(\w+)\s*=\s*new\s+(?:\w+\.)?(?:WebSocketServer|Server)\s*\(/gm;
const HTTP_DECL = /^(?:const|let|var)\s+(\w+)\s*=\s*(?:\w+\.)?create(?:Secure)?Server\s*\(/gm;
const LOCAL_URL = /\b(wss?|https?):\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d+)?/g;

/** Top-level `WebSocketServer`s and `http(s).createServer`s the snippet declares, by name. */
export function declaredServers(code: string): { ws: string[]; http: string[] } {
  return { ws: [...code.matchAll(SERVER_DECL)].map((m) => m[1]!), http: [...code.matchAll(HTTP_DECL)].map((m) => m[1]!) };
}

/** The mode: the marker's `mode=`, else `server` when it declares servers, `client` when it dials localhost, else `script`. */
const MODES: Mode[] = ['server', 'client', 'script', 'check-only'];
const KEYS = new Set<string>(['mode', 'echo', 'path', 'server', 'stdout', ...MODES]);

export function modeOf(s: Snippet): Mode {
  const unknown = Object.keys(s.marker).filter((k) => !KEYS.has(k));
  if (unknown.length) throw new Error(`README snippet at line ${s.line}: unknown marker key(s) ${unknown.join(', ')}`);
  const flags = MODES.filter((m) => s.marker[m] === true);
  if (flags.length > 1) throw new Error(`README snippet at line ${s.line}: more than one mode (${flags.join(', ')})`);
  const explicit = s.marker['mode'] ?? flags[0];
  if (explicit === 'server' || explicit === 'client' || explicit === 'script' || explicit === 'check-only') return explicit;
  if (typeof explicit === 'string') throw new Error(`README snippet at line ${s.line}: unknown mode=${explicit}`);
  const { ws, http } = declaredServers(s.code);
  if (ws.length + http.length > 0) return 'server';
  if (new RegExp(LOCAL_URL.source).test(s.code)) return 'client';
  return 'script';
}

/** Whether a server snippet echoes: the `echo` flag, or a message handler that sends `data` back. */
export function echoes(s: Snippet): boolean {
  if (s.marker['echo'] !== undefined) return s.marker['echo'] !== 'false';
  return /\.send\(\s*data\b/.test(s.code);
}

/** Fixed ports become 0 (listeners) or `port` (local URLs the snippet dials). */
export function rewritePorts(code: string, port: number): string {
  const listening = code.replace(/\bport\s*:\s*\d+/g, 'port: 0').replace(/\.listen\(\s*\d+/g, '.listen(0');
  // Port 0: no server stands in (a script starts its own), so its URLs are left as written.
  return port === 0 ? listening : listening.replace(LOCAL_URL, (_m, scheme: string) => `${scheme}://127.0.0.1:${port}`);
}

/**
 * Code appended to a server snippet: it waits for the snippet's servers to listen, reports the
 * port and every `'connection'` over IPC, and on the message `'close'` terminates the clients,
 * closes the servers and disconnects, after which the process must exit by itself.
 */
export function serverEpilogue(code: string, marker: Snippet['marker']): string {
  const named = typeof marker['server'] === 'string' ? { ws: [marker['server']], http: [] } : declaredServers(code);
  const pick = (names: string[]): string => `[${names.map((n) => `typeof ${n} === 'undefined' ? undefined : ${n}`).join(', ')}].filter(Boolean)`;
  return `
;(async () => {
  const __ws = ${pick(named.ws)};
  const __http = ${pick(named.http)};
  const __portOf = (s) => { try { const a = s.address(); return a && typeof a === 'object' ? a.port : undefined; } catch { return undefined; } };
  const __deadline = Date.now() + 30000;
  let __port;
  for (;;) {
    __port = __ws.map(__portOf).find(Boolean) ?? __http.map(__portOf).find(Boolean);
    if (__port && __http.every((s) => s.listening)) break;
    if (Date.now() > __deadline) throw new Error('the snippet declared no server that listens');
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const s of __ws) s.on('connection', (_ws, req) => process.send({ type: 'connection', url: req.url }));
  process.on('message', async (m) => {
    if (m !== 'close') return;
    for (const s of __ws) for (const c of s.clients ?? []) c.terminate();
    await Promise.all([...__ws, ...__http].map((s) => new Promise((r) => s.close(() => r()))));
    process.disconnect();
  });
  process.send({ type: 'listening', port: __port });
})().catch((err) => { console.error(err); process.exit(97); });
`;
}

/** A `require` for ES module snippets written in CommonJS style. */
export const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);\n";

/** Whether the code uses ES module syntax (static import/export). */
export function isEsm(code: string): boolean {
  return /^\s*(import\s[^(]|import\{|export\s)/m.test(code);
}
