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

export function ready(port) {
  process.stdout.write(`ready ${port}\n`);
}

/** Counts sends a server reports as dropped; any drop is printed so the harness fails the sample. */
export function reportDrop(what) {
  process.stderr.write(`DROPPED ${what}\n`);
}
