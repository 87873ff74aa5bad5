import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `titan` CLI as a user runs it: `node packages/client/bin/titan.js …`, a child process of the
 * built package. Built first when dist/ is missing or older than a source file (in CI, `npm ci`
 * has built it in postinstall), so a test never runs a stale CLI.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGE = join(ROOT, 'packages/client');
const BIN = join(PACKAGE, 'bin/titan.js');

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync(join(PACKAGE, 'dist/cli/main.js')).mtimeMs;
  } catch {
    return 0;
  }
}

/** Held while one test file builds: two files building at once write the same files and fail. */
const BUILD_LOCK = join(tmpdir(), 'titan-client-build.lock');

export function ensureBuilt(): void {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    if (builtAt() < newestIn(join(PACKAGE, 'src'))) execFileSync('npm', ['run', '-s', 'build', '-w', '@titan-realtime/client'], { cwd: ROOT, stdio: 'inherit' });
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

export interface TitanRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `titan <args>` to its end, with `input` on stdin; `TITAN_TOKEN` is cleared unless `env` sets it. */
export function runTitan(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<TitanRun> {
  const child = startTitan(args, options.env);
  child.stdin?.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function startTitan(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, TITAN_TOKEN: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A running `titan subscribe`: its stdout as parsed NDJSON lines, as they come. */
export interface TitanSubscriber {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

export function startSubscriber(args: string[], env: Record<string, string> = {}): TitanSubscriber {
  const child = startTitan(['subscribe', ...args], env);
  child.stdin?.end();
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}
