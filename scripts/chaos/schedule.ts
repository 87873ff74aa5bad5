/**
 * The nemesis' schedule: a pure function of the seed and the knobs, printed before the run starts,
 * so that the same seed replays the same faults at the same times against the same targets.
 */

export const FAULT_KINDS = ['kill', 'term', 'freeze', 'redis-kill', 'drop', 'churn'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults done to Redis: left out when the run uses an operator's Redis (`--redis-url`). */
export const REDIS_FAULTS: readonly FaultKind[] = ['freeze', 'redis-kill'];

export interface ScheduleOptions {
  seed: number;
  /** Length of the faulty part of the run, in ms. */
  durationMs: number;
  faults: readonly FaultKind[];
  instances: number;
  consumers: number;
  /** Instances down at once, at most. */
  maxDown: number;
  /** Pause between two faults, drawn in [min, max] ms. */
  intervalMs: readonly [number, number];
}

export interface ScheduledFault {
  /** ms after the start of the run. */
  at: number;
  kind: FaultKind;
  /** `kill`, `term`: the instance; `churn`: the instance the consumer moves to if it is up. */
  instance?: number;
  /** `churn`: the consumer that leaves. */
  consumer?: number;
  /** `kill`, `term`, `redis-kill`: restart after this long; `freeze`: SIGCONT after this long; `churn`: away this long. */
  durationMs?: number;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * How long an instance counts as down after a kill or terminate was scheduled, beyond its restart
 * delay: the time to exit (a SIGTERM drains: up to `SHUTDOWN_TIMEOUT_MS`, and clients with idle
 * keep-alive connections make it take seconds) and to start again. Planning with it keeps `maxDown`
 * true at run time unless an instance is slower than this (the nemesis then waits for it).
 */
export const RESTART_ALLOWANCE_MS = { kill: 4000, term: 12_000 } as const;

export function makeSchedule(options: ScheduleOptions): ScheduledFault[] {
  const { seed, durationMs, faults, instances, consumers, maxDown, intervalMs } = options;
  const random = prng(seed);
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));
  const downUntil = new Array<number>(instances).fill(0);
  const schedule: ScheduledFault[] = [];
  // The last fault starts early enough to end (and heal) within the run.
  for (let at = between(...intervalMs); at < durationMs - 3000; at += between(...intervalMs)) {
    const up = downUntil.flatMap((until, index) => (until <= at ? [index] : []));
    const down = instances - up.length;
    const instanceFaultAllowed = down < maxDown && up.length > 1;
    const allowed = faults.filter((kind) => (kind === 'kill' || kind === 'term' ? instanceFaultAllowed : kind !== 'churn' || consumers > 0));
    // Every draw is made whatever the branch, so one fault's choice never shifts the next one's.
    const kindDraw = random();
    const targetDraw = random();
    const duration = random();
    const consumerDraw = random();
    if (allowed.length === 0) continue;
    const kind = allowed[Math.floor(kindDraw * allowed.length)] as FaultKind;
    const fault: ScheduledFault = { at, kind };
    if (kind === 'kill' || kind === 'term') {
      fault.instance = up[Math.floor(targetDraw * up.length)] as number;
      fault.durationMs = Math.round(1000 + duration * 2000);
      downUntil[fault.instance] = at + fault.durationMs + RESTART_ALLOWANCE_MS[kind];
    } else if (kind === 'freeze') {
      fault.durationMs = Math.round(3000 + duration * 3000);
    } else if (kind === 'redis-kill') {
      fault.durationMs = Math.round(500 + duration * 1500);
    } else if (kind === 'churn') {
      fault.consumer = Math.floor(consumerDraw * consumers);
      fault.instance = Math.floor(targetDraw * instances);
      fault.durationMs = Math.round(500 + duration * 1500);
    }
    schedule.push(fault);
  }
  return schedule;
}

export function describeFault(fault: ScheduledFault): string {
  const at = `${(fault.at / 1000).toFixed(1).padStart(6)} s`;
  switch (fault.kind) {
    case 'kill':
      return `${at}  kill        SIGKILL instance ${fault.instance}, restart after ${fault.durationMs} ms`;
    case 'term':
      return `${at}  term        SIGTERM instance ${fault.instance}, restart ${fault.durationMs} ms after it exits`;
    case 'freeze':
      return `${at}  freeze      SIGSTOP Redis, SIGCONT after ${fault.durationMs} ms`;
    case 'redis-kill':
      return `${at}  redis-kill  SIGKILL Redis, restart with its AOF after ${fault.durationMs} ms`;
    case 'drop':
      return `${at}  drop        close every consumer's connection; each resumes on a random instance`;
    case 'churn':
      return `${at}  churn       consumer ${fault.consumer} leaves for ${fault.durationMs} ms, resumes on instance ${fault.instance} (or the next one up)`;
  }
}

/** Counts by kind, every kind present (0 when none). */
export function countByKind(faults: readonly { kind: FaultKind }[]): Record<FaultKind, number> {
  const counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  for (const fault of faults) counts[fault.kind] += 1;
  return counts;
}
