/**
 * `npm run dev`: the development loop. The API server runs from source under `tsx watch` (it
 * restarts when a file under src/ or schema.graphql changes) and the dashboard under Vite's dev
 * server (hot reload), which proxies `/graphql` and `/dev` to the API (client/vite.config.ts).
 * Open Vite's URL (http://localhost:5173). Arguments go to Vite (`npm run dev -- --port 3000`); the
 * API's port is PORT. Ctrl-C stops both; if one of them exits, so does the other.
 *
 * A restart of the API makes a new development secret and empties the memory bus: the dashboard
 * takes a fresh dev token by itself and starts over from snapshots.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => `${ROOT}node_modules/.bin/${name}`;

const children: ChildProcess[] = [
  // --include: tsx watches what the server imports; the schema is read from a file, not imported.
  spawn(bin('tsx'), ['watch', '--clear-screen=false', '--include', 'schema.graphql', 'src/main.ts'], { cwd: ROOT, stdio: 'inherit' }),
  spawn(bin('vite'), ['--config', 'client/vite.config.ts', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' }),
];

let exitCode: number | null = null;
function stopAll(code: number): void {
  if (exitCode !== null) return;
  exitCode = code;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

for (const child of children) {
  child.on('error', (error) => {
    console.error(`npm run dev: could not start ${String(child.spawnargs[0])}: ${error.message}`);
    stopAll(1);
  });
  child.on('exit', (code, signal) => {
    stopAll(code ?? (signal ? 1 : 0));
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode ?? 0);
  });
}
process.once('SIGINT', () => stopAll(0));
process.once('SIGTERM', () => stopAll(0));
