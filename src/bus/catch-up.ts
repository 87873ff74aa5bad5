import { CursorExpiredError, PositionAheadError } from './errors.js';
import type { Envelope, EventBus, StreamPosition, Topic } from './event-bus.js';
import { historyPages, HISTORY_PAGE_SIZE } from './resume.js';

/**
 * How a resumer is caught up with what was published after its cursor, before it goes live:
 * - `replay`: every missed event, in order (signals, backtest progress: nothing may be skipped);
 * - `latest`: the missed events while they are at most `replayMax`; when more were missed, the
 *   newest event of each key that has one after the cursor instead (a snapshot at the current
 *   position), which is what a reader of latest values needs at a fraction of the bytes. With
 *   `replayMax` 0, always the newest per key.
 * A subscription's plan (`schema/subscription-plan.ts`) picks one; every delivery path takes its
 * pages from here, so the rule holds whichever transport serves the subscription.
 */
export type CatchUp = { kind: 'replay' } | { kind: 'latest'; replayMax: number };

/**
 * The pages that catch a resumer up after `after`, oldest first, each event newer than the one
 * before. Readers admit them through a `StreamPoint` as they would history: the newest-per-key page
 * is sorted by position, and any live event it supersedes is at or before its last position.
 * Throws `CursorExpiredError` when the history after `after` is gone and `catchUp` may not stand in
 * for it (a replay), or when the history was reset (another epoch).
 */
export async function* catchUpPages<T extends Topic>(
  bus: EventBus,
  topic: T,
  keys: readonly string[],
  after: StreamPosition,
  catchUp: CatchUp,
  pageSize = HISTORY_PAGE_SIZE,
): AsyncGenerator<Envelope<T>[]> {
  if (catchUp.kind === 'replay') {
    yield* historyPages(bus, topic, keys, after, pageSize);
    return;
  }
  const missed = catchUp.replayMax > 0 ? await fewMissed(bus, topic, keys, after, catchUp.replayMax) : null;
  if (missed) {
    if (missed.length > 0) yield missed;
    return;
  }
  const { position, latest } = await bus.snapshot(topic, keys, 1);
  if (position.epoch !== after.epoch) throw new CursorExpiredError('The event history was reset');
  if (after.offset > position.offset) throw new PositionAheadError();
  const newest = latest
    .map((events) => events[0])
    .filter((envelope): envelope is Envelope<T> => envelope !== undefined && envelope.position.offset > after.offset)
    .sort((a, b) => a.position.offset - b.position.offset);
  if (newest.length > 0) yield newest;
}

/**
 * The events of `keys` after `after` when there are at most `max` of them (read in one page), or
 * null when there are more, or when some are no longer retained (the newest per key stands in for them).
 */
async function fewMissed<T extends Topic>(bus: EventBus, topic: T, keys: readonly string[], after: StreamPosition, max: number): Promise<Envelope<T>[] | null> {
  try {
    // One more than allowed: a complete page of at most `max` is then the whole gap.
    const page = await bus.history(topic, keys, after, max + 1);
    return page.complete && page.envelopes.length <= max ? page.envelopes : null;
  } catch (error) {
    if (error instanceof CursorExpiredError) return null;
    throw error;
  }
}
