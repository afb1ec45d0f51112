// Shared by the Node echo servers: argv/env parsing, the same limits everywhere, and the
// readiness line the harness waits for.
import { createRequire } from 'node:module';

/** `node server.mjs <port> [--deflate]` (or PORT / DEFLATE=1 in the environment). */
export function options() {
  const args = process.argv.slice(2);
  const port = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.PORT ?? 0);
  const deflate = args.includes('--deflate') || process.env.DEFLATE === '1';
  return { port, deflate };
}

/** The payload limit every server under test gets (64 MiB). */
export const MAX_PAYLOAD = 64 * 1024 * 1024;

/** `require` resolving from benchmark/peers/ (where run.mjs installs the pinned peers). */
export const peerRequire = createRequire(new URL('../peers/package.json', import.meta.url));

/**
 * The settings both HTTP/2 servers get (ferrows-h2.mjs and the bare node-h2-echo.mjs): receive
 * windows as generous as the load generator's, so flow control limits neither, and no stream cap.
 */
export const H2_SETTINGS = { initialWindowSize: 1 << 20, maxConcurrentStreams: 100000 };
const H2_CONNECTION_WINDOW = 16 << 20;

/** Raises every new session's connection receive window to 16 MiB (not a SETTINGS value). */
export function raiseConnectionWindow(server) {
  server.on('session', (session) => {
    session.on('error', () => {});
    session.setLocalWindowSize(H2_CONNECTION_WINDOW);
  });
}

export function ready(port) {
  process.stdout.write(`ready ${port}\n`);
}

/** Counts sends a server reports as dropped; any drop is printed so the harness fails the sample. */
export function reportDrop(what) {
  process.stderr.write(`DROPPED ${what}\n`);
}
