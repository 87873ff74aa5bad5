import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessExit } from './checker.js';

/**
 * The processes of a chaos run: one redis-server (append-only, fsync always) and the instances of
 * the compiled server, each restartable on its port, each incarnation logging to its own file.
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Whether `port` can be listened on now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port below the kernel's ephemeral range (where `listen(0)` takes its ports): an instance or
 * Redis restarts on its port, and one in that range could meanwhile be given to whatever else on the
 * machine asks for any free port (the tests running beside this run do, all the time).
 */
export async function freePort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // Not Linux: keep the usual bound.
  }
  const from = Math.max(1024, low - 12_000);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found between ${from} and ${low}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal` and resolves once the process has exited (SIGKILL after `graceMs`). */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
  if (exited(child)) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export class ChaosRedis {
  private child: ChildProcess | null = null;
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir];
    return new Promise((resolve, reject) => {
      const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const timer = setTimeout(() => fail(new Error(`redis-server did not start on ${this.port}: ${output}`)), 15_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(error);
      };
      child.once('error', (error) => fail(new Error(`cannot run redis-server: ${error.message}`)));
      const onExit = (code: number | null) => fail(new Error(`redis-server exited with ${code}: ${output}`));
      child.once('exit', onExit);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.off('exit', onExit);
          this.child = child;
          resolve();
        }
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async kill(): Promise<void> {
    if (this.child) await stopChild(this.child, 'SIGKILL');
  }

  /** At once, synchronously: for a run that is being interrupted. */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGCONT');
    await stopChild(this.child, 'SIGTERM', 5000);
  }
}


const FATAL_LINE = /"msg":"(unhandled rejection|uncaught exception)"/;

export interface InstanceEvents {
  exit(exit: ProcessExit): void;
  fatal(instance: number, incarnation: number, line: string): void;
}

export class ChaosInstance {
  private child: ChildProcess | null = null;
  incarnation = 0;
  private expectingExit = false;
  /** Answered `/healthz` since it last started. */
  private serving = false;
  private tail = '';
  readonly url: string;

  constructor(
    readonly index: number,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly events: InstanceEvents,
    private readonly now: () => number,
    /** Where `dist/main.js` is (a copy of the repository's layout: dist/, schema.graphql, node_modules). */
    private readonly serverDir = ROOT,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    mkdirSync(logDir, { recursive: true });
  }

  /** Running, and it has answered `/healthz` (it may not be ready: readiness needs Redis). */
  get up(): boolean {
    return this.serving && this.child !== null && !exited(this.child);
  }

  /** Not running, or still starting. */
  get down(): boolean {
    return !this.up;
  }

  logPath(incarnation = this.incarnation): string {
    return join(this.logDir, `instance-${this.index}.${incarnation}.log`);
  }

  /** The last lines an incarnation printed (by default the current or last one). */
  logTail(lines = 30, incarnation = this.incarnation): string {
    let text = this.tail;
    if (incarnation !== this.incarnation) {
      try {
        text = readFileSync(this.logPath(incarnation), 'utf8').slice(-16_000);
      } catch {
        return '';
      }
    }
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** At once, synchronously: for a run that is being interrupted. */
  killNow(): void {
    this.expectingExit = true;
    this.child?.kill('SIGKILL');
  }

  /** Starts a new incarnation and resolves once it answers `/healthz` (readiness needs Redis, which may be away). */
  async start(): Promise<void> {
    this.incarnation += 1;
    const incarnation = this.incarnation;
    const log = createWriteStream(this.logPath(incarnation));
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: this.serverDir,
      env: { ...process.env, ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.serving = false;
    this.expectingExit = false;
    this.tail = '';
    let partial = '';
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      const text = chunk.toString();
      this.tail = (this.tail + text).slice(-16_000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (FATAL_LINE.test(line)) this.events.fatal(this.index, incarnation, line.slice(0, 2000));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      log.end();
      this.events.exit({ instance: this.index, incarnation, code, signal, expected: this.expectingExit, at: this.now(), log: this.logPath(incarnation) });
    });
    const deadline = Date.now() + 30_000;
    while ((await fetch(`${this.url}/healthz`).then((response) => response.status, () => 0)) !== 200) {
      if (exited(child)) throw new Error(`instance ${this.index} exited while starting:\n${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`instance ${this.index} did not answer /healthz within 30 s:\n${this.logTail()}`);
      await sleep(25);
    }
    this.serving = true;
  }

  /** Ends the current incarnation on purpose (the nemesis, or the end of the run). */
  async stop(signal: NodeJS.Signals): Promise<void> {
    if (!this.child) return;
    this.expectingExit = true;
    await stopChild(this.child, signal);
  }

  async ready(): Promise<boolean> {
    if (!this.child || exited(this.child)) return false;
    return (await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) }).then((response) => response.status, () => 0)) === 200;
  }
}
