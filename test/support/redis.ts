import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  port: number;
  /** A plain client for assertions; closed by `stop`. */
  client: Redis;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and, if persistent, the same data). */
  restart(): Promise<void>;
  /** Sends `signal` to the server: SIGSTOP freezes it (connections stay open, nothing answers), SIGCONT resumes it. */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export interface TestRedisOptions {
  /** Keep data across `kill`/`restart` (append-only file, fsync on every write). @default false */
  persistent?: boolean;
}

/** Starts a throw-away `redis-server` (from PATH) on a free port. */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'titan-redis-'));
  const args = options.persistent
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]
    : ['--appendonly', 'no', '--dir', dir];
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      let child = await spawnRedis(port, args);
      const url = `redis://127.0.0.1:${port}`;
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      client.on('error', () => {});
      return {
        url,
        port,
        client,
        kill: () => stopChild(child, 'SIGKILL'),
        signal: (signal) => void child.kill(signal),
        async restart() {
          await stopChild(child, 'SIGKILL');
          child = await spawnRedis(port, args);
        },
        async stop() {
          client.disconnect();
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

export function spawnRedis(port: number, extraArgs: string[] = []): Promise<ChildProcess> {
  return spawnRedisServer(['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...extraArgs], 'Ready to accept connections', port);
}

/** Runs `redis-server <args>` (a server or a Sentinel) and resolves once it printed `readyLine`. */
export function spawnRedisServer(args: string[], readyLine: string, port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      reject(error);
      return;
    }
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start on ${port}: ${output}`)), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', (error) =>
      fail(new Error(`cannot run redis-server (install it: apt-get install -y redis-server): ${error.message}`)),
    );
    const onExit = (code: number | null) => fail(new Error(`redis-server exited with ${code}: ${output}`));
    child.once('exit', onExit);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyLine)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(child);
      }
    });
  });
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
