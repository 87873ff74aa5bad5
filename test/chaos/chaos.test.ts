import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { check, type RunRecord } from '../../scripts/chaos/checker.js';
import { FAULT_KINDS, makeSchedule, RESTART_ALLOWANCE_MS, type ScheduleOptions } from '../../scripts/chaos/schedule.js';

/**
 * `npm run chaos` in CI: a short seeded run whose schedule has every kind of fault, which must end
 * with no violation; the checker, on hand-made records, finds each kind of violation; a seed gives
 * one schedule.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const children = new Set<ChildProcess>();
/**
 * The run's own build of the server: other test files build dist/ and start it while this file
 * runs, and an instance restarted while tsc rewrites a file would load half of it. The directory has
 * what dist/ needs around it: package.json (ESM), schema.graphql, node_modules.
 */
const serverDir = mkdtempSync(join(tmpdir(), 'titan-chaos-server-'));

afterAll(() => {
  // The run cleans up after itself (SIGINT too); this is for a run the test gave up on.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  rmSync(serverDir, { recursive: true, force: true });
});

async function buildServer(): Promise<void> {
  for (const file of ['package.json', 'schema.graphql']) copyFileSync(join(ROOT, file), join(serverDir, file));
  symlinkSync(join(ROOT, 'node_modules'), join(serverDir, 'node_modules'), 'dir');
  await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(serverDir, 'dist')], { cwd: ROOT });
}

/** 30 s, a fault every 3.5–5 s: seed 48's schedule has each of the six kinds once (checked below), a drop during a freeze among them. */
const SHORT_RUN = ['--seconds', '30', '--interval', '3.5,5', '--seed', '48', '--rate', '10', '--fence-ms', '15000'];
const SHORT_SCHEDULE: ScheduleOptions = { seed: 48, durationMs: 30_000, faults: FAULT_KINDS, instances: 3, consumers: 6, maxDown: 1, intervalMs: [3500, 5000] };

describe('the chaos run', () => {
  it('ends without a violation under every kind of fault (seed 48, 30 s)', async () => {
    expect(new Set(makeSchedule(SHORT_SCHEDULE).map((fault) => fault.kind))).toEqual(new Set(FAULT_KINDS));
    await buildServer();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chaos/run.ts', ...SHORT_RUN, '--server-dir', serverDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(output).toMatch(/violations {4}0\n/);
    expect(code, output).toBe(0);
    for (const kind of FAULT_KINDS) expect(output, output).toMatch(new RegExp(`faults .*\\b${kind} [1-9]`));
  }, 150_000);
});

describe('the schedule', () => {
  it('is a function of the seed and the knobs', () => {
    expect(makeSchedule(SHORT_SCHEDULE)).toEqual(makeSchedule({ ...SHORT_SCHEDULE }));
    expect(makeSchedule({ ...SHORT_SCHEDULE, seed: 49 })).not.toEqual(makeSchedule(SHORT_SCHEDULE));
  });

  it('never plans more instances down than allowed, nor faults left out', () => {
    const options: ScheduleOptions = { ...SHORT_SCHEDULE, durationMs: 600_000, intervalMs: [1000, 2000], faults: ['kill', 'term', 'drop'] };
    const schedule = makeSchedule(options);
    expect(schedule.length).toBeGreaterThan(100);
    expect(schedule.every((fault) => options.faults.includes(fault.kind))).toBe(true);
    const windows = schedule.flatMap((fault) =>
      fault.kind === 'kill' || fault.kind === 'term' ? [[fault.at, fault.at + (fault.durationMs ?? 0) + RESTART_ALLOWANCE_MS[fault.kind]] as const] : [],
    );
    expect(windows.length).toBeGreaterThan(20);
    for (const [start] of windows) expect(windows.filter(([from, to]) => from <= start && start < to).length).toBeLessThanOrEqual(1);
  });
});

describe('the checker', () => {
  const ack = (id: string, strategy = 's') => ({ publisher: 0, id, strategy, cursor: null, instance: 0, attempts: 1, at: 1000 });
  const delivery = (id: string, strategy = 's') => ({ strategy, id, cursor: null, instance: 1, at: 2000 });
  /** Two consumers that got a, b, c of strategy s: no violation. */
  function clean(): RunRecord {
    return {
      seed: 1,
      durationMs: 10_000,
      schedule: [],
      applied: [{ kind: 'kill', at: 1500, detail: 'SIGKILL instance 1 (incarnation 1)' }],
      acks: [ack('a'), ack('b'), ack('c')],
      consumers: ['c0', 'c1'].map((name) => ({ name, startCursor: 'start', deliveries: ['a', 'b', 'c'].map((id) => delivery(id)), notes: [] })),
      stored: { s: ['a', 'b', 'c'].map((id, offset) => ({ id, offset })) },
      exits: [{ instance: 1, incarnation: 1, code: null, signal: 'SIGKILL', expected: true, at: 1500, log: 'instance-1.1.log' }],
      fatalLines: [],
      fences: { ids: ['c'], missing: { c0: [], c1: [] }, boundMs: 30_000 },
      hangs: [],
    };
  }
  const kinds = (record: RunRecord) => check(record).violations.map((violation) => violation.kind);

  it('finds nothing in a clean run, and counts it', () => {
    const result = check(clean());
    expect(result.violations).toEqual([]);
    expect(result.summary).toMatchObject({ acknowledged: 3, stored: 3, delivered: 6, violations: 0, faults: { kill: 1, term: 0 } });
  });

  it('finds an acknowledged signal a consumer never got, with the nearest fault', () => {
    const record = clean();
    record.consumers[1]!.deliveries.splice(1, 1);
    const [violation] = check(record).violations;
    expect(violation).toMatchObject({ kind: 'missing', consumer: 'c1', ids: ['b'] });
    expect(violation?.nearestFault).toMatch(/^kill at 1\.5 s/);
  });

  it('finds an acknowledged signal that was never stored', () => {
    const record = clean();
    record.acks.push(ack('lost'));
    expect(kinds(record)).toEqual(['missing']);
  });

  it('finds a signal delivered twice to one consumer', () => {
    const record = clean();
    record.consumers[0]!.deliveries.push(delivery('b'));
    expect(kinds(record)).toEqual(['duplicate']);
  });

  it('finds a consumer that got a strategy out of the stored order', () => {
    const record = clean();
    record.consumers[0]!.deliveries = ['a', 'c', 'b'].map((id) => delivery(id));
    expect(kinds(record)).toEqual(['order']);
  });

  it('checks the order per strategy only', () => {
    const record = clean();
    record.stored.t = [{ id: 'x', offset: 9 }];
    for (const consumer of record.consumers) consumer.deliveries.splice(1, 0, delivery('x', 't'));
    expect(kinds(record)).toEqual([]);
  });

  it('finds a signal stored twice', () => {
    const record = clean();
    record.stored.s!.push({ id: 'b', offset: 3 });
    expect(kinds(record)).toContain('stored-twice');
  });

  it('checks a consumer that joined late from its first signal', () => {
    const record = clean();
    record.consumers.push({ name: 'late', startCursor: null, deliveries: [delivery('b'), delivery('c')], notes: [] });
    expect(kinds(record)).toEqual([]);
    record.consumers.at(-1)!.deliveries.pop();
    expect(kinds(record)).toEqual(['missing']);
  });

  it('finds a server that exited by itself, and a fatal log line', () => {
    const record = clean();
    record.exits.push({ instance: 2, incarnation: 1, code: 1, signal: null, expected: false, at: 5000, log: 'instance-2.1.log' });
    record.fatalLines.push({ instance: 0, incarnation: 1, line: '{"level":50,"msg":"unhandled rejection"}' });
    expect(kinds(record)).toEqual(['unexpected-exit', 'fatal-log']);
  });

  it('finds a hang: a fence that did not reach a consumer in time', () => {
    const record = clean();
    record.fences.missing.c1 = ['c'];
    expect(check(record).violations).toMatchObject([{ kind: 'hang', consumer: 'c1', ids: ['c'] }]);
  });
});
