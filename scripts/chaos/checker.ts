import { countByKind, describeFault, type FaultKind, type ScheduledFault } from './schedule.js';

/**
 * The checker of a chaos run: a pure function of what the publishers were told, what the consumers
 * received, how the server processes ended and the signal history Redis holds at the end. It finds
 * every violation of the delivery guarantees with its evidence.
 */

/** A publish the server acknowledged. */
export interface Ack {
  publisher: number;
  id: string;
  strategy: string;
  cursor: string | null;
  /** The instance that acknowledged it. */
  instance: number;
  attempts: number;
  /** ms since the start of the run. */
  at: number;
}

export interface Delivery {
  strategy: string;
  id: string;
  cursor: string | null;
  instance: number;
  at: number;
}

export interface ConsumerRecord {
  name: string;
  /** Where its stream started: everything stored after it must reach it. */
  startCursor: string | null;
  deliveries: Delivery[];
  /** Reconnects, moves, expiries: context for the evidence. */
  notes: { at: number; text: string }[];
}

/** One entry of a strategy's stored history (XRANGE), in stored order. */
export interface StoredSignal {
  offset: number;
  id: string;
}

/** How an incarnation of an instance ended. */
export interface ProcessExit {
  instance: number;
  incarnation: number;
  code: number | null;
  signal: string | null;
  /** The nemesis (or the end of the run) stopped it. */
  expected: boolean;
  at: number;
  log: string;
}

export interface RunRecord {
  seed: number;
  durationMs: number;
  schedule: ScheduledFault[];
  /** The faults done, with when they were done (ms since the start); some scheduled ones may be skipped. */
  applied: { kind: FaultKind; at: number; detail: string }[];
  acks: Ack[];
  consumers: ConsumerRecord[];
  /** Per strategy of the run: the stored history at the end. */
  stored: Record<string, StoredSignal[]>;
  exits: ProcessExit[];
  fatalLines: { instance: number; incarnation: number; line: string }[];
  /** The fences, and what each consumer still lacked when the bound passed (empty: none missing). */
  fences: { ids: string[]; missing: Record<string, string[]>; boundMs: number };
  /** Something stopped the run from healing (an instance never ready again, a fence never acknowledged). */
  hangs: string[];
}

export type ViolationKind = 'missing' | 'duplicate' | 'order' | 'stored-twice' | 'unexpected-exit' | 'fatal-log' | 'hang';

export interface Violation {
  kind: ViolationKind;
  message: string;
  consumer?: string;
  instance?: number;
  incarnation?: number;
  ids?: string[];
  /** ms since the start of the run, when known: where to look in the schedule. */
  at?: number;
  nearestFault?: string;
  /** The consumer's own notes (reconnects, moves, expiries) within 10 s of `at`. */
  consumerNotes?: string[];
}

export interface Summary {
  seed: number;
  durationMs: number;
  acknowledged: number;
  stored: number;
  /** Deliveries over all consumers. */
  delivered: number;
  consumers: number;
  faults: Record<FaultKind, number>;
  violations: number;
}

export interface CheckResult {
  summary: Summary;
  violations: Violation[];
}

const MAX_IDS = 20;

function nearestFault(record: RunRecord, at: number | undefined): string | undefined {
  if (at === undefined || record.applied.length === 0) return undefined;
  let best = record.applied[0] as RunRecord['applied'][number];
  for (const fault of record.applied) if (Math.abs(fault.at - at) < Math.abs(best.at - at)) best = fault;
  return `${best.kind} at ${(best.at / 1000).toFixed(1)} s (${best.detail}); this at ${(at / 1000).toFixed(1)} s`;
}

export function check(record: RunRecord): CheckResult {
  const violations: Violation[] = [];
  const add = (violation: Violation) => {
    const consumer = record.consumers.find((candidate) => candidate.name === violation.consumer);
    const at = violation.at;
    const notes = consumer && at !== undefined ? consumer.notes.filter((note) => Math.abs(note.at - at) <= 10_000) : [];
    violations.push({
      ...violation,
      nearestFault: nearestFault(record, at),
      ...(notes.length > 0 && { consumerNotes: notes.map((note) => `${(note.at / 1000).toFixed(1)} s: ${note.text}`) }),
    });
  };

  // Where each id is stored: strategy and index in its history.
  const position = new Map<string, { strategy: string; index: number; offset: number }>();
  for (const [strategy, history] of Object.entries(record.stored)) {
    const counts = new Map<string, number>();
    history.forEach((entry, index) => {
      counts.set(entry.id, (counts.get(entry.id) ?? 0) + 1);
      if (!position.has(entry.id)) position.set(entry.id, { strategy, index, offset: entry.offset });
    });
    const twice = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
    if (twice.length > 0) {
      const ackAt = record.acks.find((ack) => ack.id === twice[0])?.at;
      add({ kind: 'stored-twice', message: `${twice.length} signal id(s) stored more than once in ${strategy}'s history`, ids: twice.slice(0, MAX_IDS), at: ackAt });
    }
  }

  // (a) Acknowledged means stored.
  const lost = record.acks.filter((ack) => !position.has(ack.id));
  if (lost.length > 0) {
    add({ kind: 'missing', message: `${lost.length} acknowledged signal(s) are not in the stored history`, ids: lost.slice(0, MAX_IDS).map((ack) => ack.id), instance: lost[0]?.instance, at: lost[0]?.at });
  }

  for (const consumer of record.consumers) {
    const seen = new Map<string, number>();
    const byStrategy = new Map<string, Delivery[]>();
    const duplicates: Delivery[] = [];
    for (const delivery of consumer.deliveries) {
      seen.set(delivery.id, (seen.get(delivery.id) ?? 0) + 1);
      if (seen.get(delivery.id) === 2) duplicates.push(delivery);
      const list = byStrategy.get(delivery.strategy) ?? [];
      list.push(delivery);
      byStrategy.set(delivery.strategy, list);
    }
    // (b) Never twice.
    if (duplicates.length > 0) {
      add({ kind: 'duplicate', consumer: consumer.name, message: `${consumer.name} received ${duplicates.length} signal(s) twice`, ids: duplicates.slice(0, MAX_IDS).map((d) => d.id), instance: duplicates[0]?.instance, at: duplicates[0]?.at });
    }
    // (c) Per strategy, the stored order (a repeat is (b)'s, not an order violation).
    for (const [strategy, deliveries] of byStrategy) {
      let last = -1;
      let lastId = '';
      const handled = new Set<string>();
      const outOfOrder: Delivery[] = [];
      for (const delivery of deliveries) {
        if (handled.has(delivery.id)) continue;
        handled.add(delivery.id);
        const stored = position.get(delivery.id);
        if (!stored || stored.strategy !== strategy) {
          add({ kind: 'order', consumer: consumer.name, message: `${consumer.name} received ${delivery.id} on ${strategy}, which ${strategy}'s stored history does not hold`, ids: [delivery.id], instance: delivery.instance, at: delivery.at });
          continue;
        }
        if (stored.index < last) {
          if (outOfOrder.length === 0) {
            add({ kind: 'order', consumer: consumer.name, message: `${consumer.name} received ${delivery.id} (stored #${stored.index}) after ${lastId} (stored #${last}) on ${strategy}`, ids: [lastId, delivery.id], instance: delivery.instance, at: delivery.at });
          }
          outOfOrder.push(delivery);
          continue;
        }
        last = stored.index;
        lastId = delivery.id;
      }
    }
    // (a) Everything stored after its start reaches it: its first delivery per strategy marks its start
    // there when it has no start cursor (a consumer that joined late).
    for (const [strategy, history] of Object.entries(record.stored)) {
      const first = byStrategy.get(strategy)?.[0];
      const from = consumer.startCursor !== null ? 0 : first ? (position.get(first.id)?.index ?? 0) : history.length;
      const missing = history.slice(from).filter((entry) => !seen.has(entry.id));
      if (missing.length > 0) {
        const firstMissing = missing[0] as StoredSignal;
        const ackAt = record.acks.find((ack) => ack.id === firstMissing.id)?.at;
        add({ kind: 'missing', consumer: consumer.name, message: `${consumer.name} never received ${missing.length} of ${strategy}'s stored signal(s)`, ids: missing.slice(0, MAX_IDS).map((entry) => entry.id), at: ackAt });
      }
    }
  }

  // (e) No process ended unless the nemesis ended it, none logged a fatal line.
  for (const exit of record.exits.filter((exit) => !exit.expected)) {
    add({ kind: 'unexpected-exit', instance: exit.instance, incarnation: exit.incarnation, message: `instance ${exit.instance} (incarnation ${exit.incarnation}) exited by itself: code ${exit.code}, signal ${exit.signal}; log ${exit.log}`, at: exit.at });
  }
  for (const fatal of record.fatalLines) {
    add({ kind: 'fatal-log', instance: fatal.instance, incarnation: fatal.incarnation, message: `instance ${fatal.instance} (incarnation ${fatal.incarnation}) logged: ${fatal.line}` });
  }

  // (f) No hang.
  for (const [consumer, ids] of Object.entries(record.fences.missing)) {
    if (ids.length > 0) add({ kind: 'hang', consumer, message: `${consumer} did not receive fence(s) ${ids.join(', ')} within ${record.fences.boundMs} ms`, ids });
  }
  for (const hang of record.hangs) add({ kind: 'hang', message: hang });

  const summary: Summary = {
    seed: record.seed,
    durationMs: record.durationMs,
    acknowledged: record.acks.length,
    stored: Object.values(record.stored).reduce((sum, history) => sum + history.length, 0),
    delivered: record.consumers.reduce((sum, consumer) => sum + consumer.deliveries.length, 0),
    consumers: record.consumers.length,
    faults: countByKind(record.applied),
    violations: violations.length,
  };
  return { summary, violations };
}

export function formatSummary(result: CheckResult): string {
  const { summary } = result;
  const faults = Object.entries(summary.faults).map(([kind, count]) => `${kind} ${count}`).join(', ');
  return [
    `seed          ${summary.seed}`,
    `duration      ${(summary.durationMs / 1000).toFixed(1)} s`,
    `acknowledged  ${summary.acknowledged} signals (${summary.stored} stored)`,
    `delivered     ${summary.delivered} (to ${summary.consumers} consumers)`,
    `faults        ${faults}`,
    `violations    ${summary.violations}`,
  ].join('\n');
}

/** One violation with its evidence; `logTail` gives the tail of an instance's log (the orchestrator's, not the checker's). */
export function formatViolation(violation: Violation, logTail?: (instance: number, incarnation?: number) => string | undefined): string {
  const lines = [`[${violation.kind}] ${violation.message}`];
  if (violation.ids?.length) lines.push(`  ids: ${violation.ids.join(', ')}`);
  if (violation.at !== undefined) lines.push(`  at ${(violation.at / 1000).toFixed(1)} s`);
  if (violation.nearestFault) lines.push(`  nearest fault: ${violation.nearestFault}`);
  for (const note of violation.consumerNotes ?? []) lines.push(`  ${violation.consumer} ${note}`);
  const tail = violation.instance !== undefined ? logTail?.(violation.instance, violation.incarnation) : undefined;
  if (tail) lines.push(`  log tail of instance ${violation.instance}:`, ...tail.split('\n').map((line) => `    ${line}`));
  return lines.join('\n');
}

export { describeFault };
