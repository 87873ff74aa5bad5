/**
 * The child processes of `npm run bench`: redis-server, servers (compiled, as production runs them)
 * and drivers (TypeScript through tsx), pinned to a CPU when taskset exists, and the small protocol the bench speaks with them (a line
 * on stdout, IPC messages).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The JWT secret of every bench server, so the load generators can sign their own tokens. */
export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0123';

/** The environment of a TITAN server under the bench: production, on `redisUrl`, no demo feed, no per-user or per-IP limits in the way. */
export function benchServerEnv(redisUrl: string): Record<string, string> {
  return {
    // As the Dockerfile runs it: graphql-js skips its development-only checks (~7 % of the CPU of the
    // ingest cells), no GraphiQL, errors masked.
    NODE_ENV: 'production',
    REDIS_URL: redisUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: BENCH_SECRET,
    DEMO_FEED: '0',
    LOG_LEVEL: 'info',
    MAX_CONNECTIONS_PER_USER: '100000',
    WS_CONNECTS_PER_MINUTE: '1000000',
    // TITAN_ENV='ANALYTICS=0 INGEST_BATCH=200 …': server knobs to try, on every TITAN server of the run.
    ...Object.fromEntries((process.env.TITAN_ENV ?? '').split(' ').filter(Boolean).map((pair) => pair.split('=') as [string, string])),
  };
}

/** The compiled server, built by `npm run build:server` (the bench builds it first). */
export const SERVER_ENTRY = 'dist/main.js';

/** Builds the compiled server (`npm run build:server`) the bench runs. */
export function buildServer(): void {
  execFileSync('npm', ['run', '-s', 'build:server'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * The node flags production starts the server with: those of the Dockerfile's `CMD ["node", ...,
 * "dist/main.js"]`, so that the bench measures the server as it runs there.
 */
export function productionNodeFlags(): string[] {
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(`${ROOT}/Dockerfile`, 'utf8'))?.[1];
  const argv = cmd ? (JSON.parse(cmd) as string[]) : [];
  const end = argv.indexOf(SERVER_ENTRY);
  if (argv[0] !== 'node' || end < 0) throw new Error(`Dockerfile: no CMD ["node", ..., "${SERVER_ENTRY}"] to take the server's flags from`);
  return argv.slice(1, end);
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const hasTaskset = await new Promise<boolean>((resolve) =>
  spawn('taskset', ['-V'])
    .on('error', () => resolve(false))
    .on('exit', (code) => resolve(code === 0)),
);

export interface NodeOptions {
  /** Node/V8 flags before the script (`env.NODE_FLAGS`, space-separated, is added to them). */
  flags?: string[];
  /** Modules loaded before the script (`--import`), e.g. a probe. */
  imports?: string[];
  /** Open an IPC channel (`process.send`). */
  ipc?: boolean;
}

/**
 * Spawns a Node script, pinned to a CPU when taskset exists (null: not pinned); through tsx when it
 * or one of its imports is TypeScript.
 */
export function node(script: string, env: Record<string, string>, cpu: number | null, { flags = [], imports = [], ipc = false }: NodeOptions = {}): ChildProcess {
  const typescript = [script, ...imports].some((file) => file.endsWith('.ts'));
  const args = [
    ...flags,
    ...(env.NODE_FLAGS ? env.NODE_FLAGS.split(' ').filter(Boolean) : []),
    ...(typescript ? ['--import', 'tsx'] : []),
    ...imports.flatMap((module) => ['--import', module]),
    script,
  ];
  const [command, argv] = hasTaskset && cpu !== null ? ['taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args];
  return spawn(command as string, argv as string[], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', 'pipe', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * Resolves with the first line of the child's stdout that contains `marker`. The rest of its output
 * is read and dropped (a server logs a line per request: keeping it would weigh on the bench).
 */
export function waitForLine(child: ChildProcess, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.includes(marker));
      if (line) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(line);
      } else {
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`process exited (${code}) before "${marker}"`)));
  });
}

/** Resolves with the next IPC message of this type; rejects on an `error` message. */
export function message<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (received: { type: string; message?: string } & T) => {
      if (received.type === 'error') reject(new Error(received.message));
      if (received.type !== type) return;
      child.off('message', onMessage);
      resolve(received);
    };
    child.on('message', onMessage);
  });
}

/**
 * One counter or gauge of a TITAN server's `/metrics` (`url` without the path), summed over its
 * labels; `name` may carry them (`titan_events_published_total{topic="price"}`) to read one series.
 */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

export function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A throw-away redis-server on a free port, without persistence. */
export async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await waitForLine(child, 'Ready to accept connections');
  return { url: `redis://127.0.0.1:${port}`, child };
}

/** The server's pid: the node process itself, or taskset's child once taskset has exec'd. */
export const pidOf = (child: ChildProcess) => child.pid ?? 0;
