/**
 * Loaded into a server under test by the storm cells of `npm run bench` (`--import`; TypeScript, so
 * that instance also loads tsx, the only difference from how production runs it): every
 * PROBE_INTERVAL_MS (default 10) it reads the process's own memory, where RSS cannot show it, and
 * keeps the peak of each figure: V8's heap (used, committed, per space), memory outside the heap
 * (`external`, `arrayBuffers`: Buffers, such as frames waiting to be written) and the bytes waiting
 * in the userland write buffers of its TCP sockets (what ws's `bufferedAmount` counts, besides the
 * kernel's send buffer). It writes `{ now, peak }` to MEMORY_PROBE_OUT every 100 ms; SIGUSR2 resets
 * the peaks (the bench sends it when a storm starts).
 *
 * Not part of the server: the bench adds it, the server does not know it is there.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  /** V8's committed heap. */
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Used bytes of V8's young generation (new_space), old_space and large_object_space. */
  youngUsed: number;
  /** Committed bytes of the young generation: it grows up to twice --max-semi-space-size (16 MB) and stays. */
  youngCommitted: number;
  oldUsed: number;
  largeObjectsUsed: number;
  /** Sum over every TCP socket of the bytes written but not yet handed to the kernel. */
  socketWriteBuffers: number;
  /** The largest of those on one socket. */
  socketWriteBufferMax: number;
}

export interface ProbeReport {
  now: MemorySample;
  peak: MemorySample;
}

const out = process.env.MEMORY_PROBE_OUT;
const interval = Number(process.env.PROBE_INTERVAL_MS ?? 10);

function space(name: string): { used: number; committed: number } {
  const found = getHeapSpaceStatistics().find((s) => s.space_name === name);
  return { used: found?.space_used_size ?? 0, committed: found?.space_size ?? 0 };
}

function sample(): MemorySample {
  const usage = process.memoryUsage();
  const young = space('new_space');
  let socketWriteBuffers = 0;
  let socketWriteBufferMax = 0;
  // Active handles are what keeps the loop alive: every open TCP socket among them.
  for (const handle of (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()) {
    if (!(handle instanceof Socket)) continue;
    socketWriteBuffers += handle.writableLength;
    socketWriteBufferMax = Math.max(socketWriteBufferMax, handle.writableLength);
  }
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    youngUsed: young.used,
    youngCommitted: young.committed,
    oldUsed: space('old_space').used,
    largeObjectsUsed: space('large_object_space').used,
    socketWriteBuffers,
    socketWriteBufferMax,
  };
}

/** Written whole, then renamed: the bench never reads half a file. */
function write(path: string, report: ProbeReport): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(report));
  renameSync(`${path}.tmp`, path);
}

if (out) {
  let now = sample();
  let peak = { ...now };
  setInterval(() => {
    now = sample();
    for (const key of Object.keys(now) as (keyof MemorySample)[]) peak[key] = Math.max(peak[key], now[key]);
  }, interval).unref();
  setInterval(() => write(out, { now, peak }), 100).unref();
  process.on('SIGUSR2', () => {
    now = sample();
    peak = { ...now };
    write(out, { now, peak });
  });
}
