import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildApp, type App } from '../../src/app.js';
import { TokenService } from '../../src/auth/tokens.js';
import type { Role } from '../../src/auth/viewer.js';
import { createLogger } from '../../src/logger.js';
import { watchChild } from './process-guard.js';
import { stopChild } from './redis.js';
import { TEST_ENV, testConfig } from './test-config.js';

export const tokens = new TokenService(testConfig().auth);

export function tokenFor(subject: string, roles: Role[], expiresIn: string | number = '1h'): Promise<string> {
  return tokens.issue(subject, roles, expiresIn);
}

export interface TestServer {
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  stop(): Promise<void>;
}

export interface InProcessServer extends TestServer {
  stats: App['stats'];
}

function endpoints(url: string) {
  return { url, graphqlUrl: `${url}/graphql`, wsUrl: `${url.replace(/^http/, 'ws')}/graphql` };
}

/** Starts the app in this process on a free port; with Redis, resolves once `/readyz` says so (unless `notReady`). */
export async function startServer(env: Record<string, string> = {}, options: { notReady?: boolean } = {}): Promise<InProcessServer> {
  const config = testConfig(env);
  const app = await buildApp(config, createLogger(config.logLevel));
  const url = await app.start(0);
  // The server listens before Redis answers; a test, like a load balancer, waits until it is ready.
  if (config.bus.redisUrl && !options.notReady) await untilReady(url);
  return { ...endpoints(url), stop: () => app.stop(), stats: () => app.stats() };
}

async function untilReady(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(`${url}/readyz`).then((response) => response.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error(`the server at ${url} was not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface ServerProcess extends TestServer {
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Kills the process without a chance to clean up. */
  kill(): Promise<void>;
  /** Tells the suite's process guard that the test is about to end the process itself. */
  expectExit(): void;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts `src/<entry>` as its own Node process (through tsx, or with `compiled` its build in
 * `dist/`, as `npm start` runs it: build it first); for servers, resolves with the URL it logs, and
 * with Redis once `/readyz` says so (unless `notReady`).
 */
export async function startProcess(
  entry: 'main.ts' | 'feed.ts',
  env: Record<string, string> = {},
  options: { notReady?: boolean; compiled?: boolean } = {},
): Promise<ServerProcess> {
  const args = options.compiled ? [`dist/${entry.replace(/\.ts$/, '.js')}`] : ['--import', 'tsx', `src/${entry}`];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...TEST_ENV, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let onExit: (code: number | null) => void = () => {};
  const ready = entry === 'main.ts' ? 'TITAN Realtime listening' : 'TITAN feed publishing';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start in time:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes(ready)) continue;
        clearTimeout(timer);
        const parsed = JSON.parse(line) as { url?: string };
        resolve(parsed.url ? parsed.url.replace(/\/graphql$/, '') : '');
        return;
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    onExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${output}`));
    };
    child.once('exit', onExit);
  });
  child.off('exit', onExit);
  const ending = watchChild(entry, child, () => output);
  if (entry === 'main.ts' && env.REDIS_URL && !options.notReady) await untilReady(url);
  return {
    ...endpoints(url),
    child,
    output: () => output,
    stop: () => {
      ending();
      return stopChild(child);
    },
    kill: () => {
      ending();
      return stopChild(child, 'SIGKILL');
    },
    expectExit: ending,
  };
}
