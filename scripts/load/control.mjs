// Starts scripts/load/server.mjs and clients.mjs as children with a raised fd limit (Node cannot
// raise its own RLIMIT_NOFILE) and talks to them over IPC. Used by `npm run soak` (scripts/soak.mjs)
// and by __test__/load.spec.ts and __test__/permessage-deflate-memory.spec.ts.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The hard limit on open files (`ulimit -Hn`): the most a child may raise its soft limit to. */
export function hardFdLimit() {
  const out = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return out === 'unlimited' ? Infinity : Number(out);
}

/**
 * Runs `name` ('server' or 'clients') of this folder under `ulimit -n nofile` with --expose-gc;
 * resolves once it reports ready, with its first message, `request` and `kill`. `env` is added to
 * this process's environment.
 */
export async function startChild(name, args, nofile, env = {}) {
  const script = fileURLToPath(new URL(`${name}.mjs`, import.meta.url));
  const child = spawn('sh', ['-c', `ulimit -n ${nofile} && exec "$0" --expose-gc "$@"`, process.execPath, script, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const waiting = new Map();
  let ids = 0;
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.ready) resolve(m);
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    });
    child.once('exit', (code, signal) => reject(new Error(`${name} child exited with ${code ?? signal}`)));
  });
  const first = await ready;
  return {
    ...first,
    pid: child.pid,
    /** Sends {cmd, ...fields} and resolves with the child's answer. */
    request: (cmd, fields = {}) =>
      new Promise((resolve, reject) => {
        const id = ++ids;
        waiting.set(id, resolve);
        child.send({ id, cmd, ...fields }, (err) => err && reject(err));
      }),
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
