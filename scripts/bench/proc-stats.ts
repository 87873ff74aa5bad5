import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** CPU time (user + system) of a process in microseconds, from /proc (Linux). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / 100; // USER_HZ is 100 on Linux
}

/** Resident set size and its peak, in bytes. */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resets the peak RSS counter (VmHWM) so a run measures its own peak. */
export function resetPeak(pid: number): void {
  try {
    // Writing 5 to clear_refs resets VmHWM (Linux >= 4.0); needs to be the owner or root.
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not permitted: the peak then covers the whole life of the process.
  }
}

/** File descriptors a process has open (sockets included). */
export function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface FileLimit {
  /** What was asked for. */
  wanted: number;
  /** RLIMIT_NOFILE after the attempt: soft (what applies) and hard. */
  soft: number;
  hard: number;
  /** Why the limit could not be raised to `wanted` (prlimit's message), if it could not. */
  refusal?: string;
}

function readFileLimit(pid: number): { soft: number; hard: number } {
  const row = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const value = (text: string | undefined) => (text === 'unlimited' ? Infinity : Number(text));
  return { soft: value(row?.[1]), hard: value(row?.[2]) };
}

/**
 * Raises a child's open-file limit to `wanted` (soft and hard) with `prlimit --pid`, as the bench
 * needs more sockets than a shell's usual 1,024 or 20,000. Raising the hard limit needs
 * CAP_SYS_RESOURCE: without it the soft limit is raised to the hard one, and the refusal is returned
 * for the report.
 */
export function raiseFileLimit(pid: number, wanted: number): FileLimit {
  let refusal: string | undefined;
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${wanted}:${wanted}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    refusal = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    const { hard } = readFileLimit(pid);
    const soft = Math.min(wanted, hard);
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${soft}:${Number.isFinite(hard) ? hard : 'unlimited'}`]);
  }
  return { wanted, ...readFileLimit(pid), ...(refusal === undefined ? {} : { refusal }) };
}
