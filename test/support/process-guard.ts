import type { ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';

/**
 * The suite's rule for every server it starts: a promise rejection nobody handled, an uncaught
 * exception or a process that exits without being told to fails the test that was running. In this
 * process through Node's own events; in server processes through what they log (`guardProcess` in
 * src/logger.ts) and how they exit.
 */

const problems: string[] = [];

interface WatchedChild {
  name: string;
  child: ChildProcess;
  output: () => string;
  /** Set once the test stops or kills it on purpose. */
  ending: boolean;
  checkedTo: number;
}

const children = new Set<WatchedChild>();

process.on('unhandledRejection', (reason) => problems.push(`unhandled rejection in the test process: ${describe(reason)}`));
process.on('uncaughtException', (error) => problems.push(`uncaught exception in the test process: ${describe(error)}`));

const FATAL_LINES = /"msg":"(unhandled rejection|uncaught exception)"/;

/** Watches a server process; returns a function to call before stopping or killing it on purpose. */
export function watchChild(name: string, child: ChildProcess, output: () => string): () => void {
  const watched: WatchedChild = { name, child, output, ending: false, checkedTo: 0 };
  children.add(watched);
  child.once('exit', (code, signal) => {
    if (!watched.ending) problems.push(`${name} exited by itself (code ${code}, signal ${signal}):\n${output().slice(-4000)}`);
  });
  return () => {
    watched.ending = true;
  };
}

/** Problems seen since the last call, emptied. */
export function takeProblems(): string[] {
  for (const watched of children) {
    const text = watched.output();
    const fresh = text.slice(watched.checkedTo);
    watched.checkedTo = text.length;
    for (const line of fresh.split('\n')) if (FATAL_LINES.test(line)) problems.push(`${watched.name} logged: ${line.slice(0, 2000)}`);
    if (watched.child.exitCode !== null || watched.child.signalCode !== null) children.delete(watched);
  }
  return problems.splice(0);
}

afterEach(() => {
  const seen = takeProblems();
  if (seen.length > 0) throw new Error(`A server broke the suite's rule:\n${seen.join('\n')}`);
});

function describe(value: unknown): string {
  return value instanceof Error ? (value.stack ?? value.message) : String(value);
}
