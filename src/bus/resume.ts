import { CursorExpiredError, SlowConsumerError } from './errors.js';
import type { EventBus, Envelope, StreamPosition, Topic } from './event-bus.js';

/**
 * The resume guarantee, written once. Every path that delivers events after a position (a
 * subscriber's own stream, a resumer on the shared fan-out, a Redis channel catching up after an
 * outage) replays history page by page while it holds the live events that arrive meanwhile, then
 * delivers the held ones the replay did not reach, and never one twice; a history that changed its
 * epoch underneath ends it with `CursorExpiredError`. The pieces are here; the paths compose them.
 */

/**
 * Where a reader stands: the position of the last event it was given. `admit` is the one rule for
 * what comes next: an event at or before it was delivered already (a replayed event that then
 * arrives live, say) and is dropped; one of another epoch means the history was reset.
 */
export class StreamPoint {
  epoch: string | null;
  offset: number;

  constructor(after?: StreamPosition | null) {
    this.epoch = after?.epoch ?? null;
    this.offset = after?.offset ?? 0;
  }

  /** True if the event at `position` is new to this reader (and moves the reader there). */
  admit(position: StreamPosition): boolean {
    if (this.epoch !== null && position.epoch !== this.epoch) {
      throw new CursorExpiredError('The event history was reset');
    }
    if (position.offset <= this.offset) return false;
    this.epoch = position.epoch;
    this.offset = position.offset;
    return true;
  }

  /** True if `position` is at or before this point in the same history: delivered already. */
  covers(position: StreamPosition): boolean {
    return position.epoch === this.epoch && position.offset <= this.offset;
  }

  get position(): StreamPosition | null {
    return this.epoch === null ? null : { epoch: this.epoch, offset: this.offset };
  }
}

/**
 * What to do with live events that pile up past `capacity` (waiting for a slow reader, or held
 * while a replay runs).
 * - `disconnect`: end with `SlowConsumerError` (nothing is dropped silently; the client resumes by cursor).
 * - `conflate`: keep only the newest event per `keyOf` (the latest price per symbol).
 */
export type OverflowPolicy<T> = { kind: 'disconnect' } | { kind: 'conflate'; keyOf: (item: T) => string };

/**
 * `items` within `capacity` by `policy`: itself when it fits, the newest per key in their order
 * when conflating makes it fit (`dropped` says how many were superseded), else `SlowConsumerError`.
 */
export function bound<T>(items: T[], capacity: number, policy: OverflowPolicy<T>, why: string): { kept: T[]; dropped: number } {
  if (items.length <= capacity) return { kept: items, dropped: 0 };
  if (policy.kind === 'conflate') {
    const newest = new Map<string, T>();
    for (const item of items) {
      const key = policy.keyOf(item);
      newest.delete(key);
      newest.set(key, item);
    }
    if (newest.size <= capacity) return { kept: [...newest.values()], dropped: items.length - newest.size };
  }
  throw new SlowConsumerError(why);
}

/**
 * Live events held while a replay runs, bounded by an overflow policy. `release` ends the hold and
 * hands back what was held; from then on the reader is live.
 */
export class ReplayHold<T> {
  private held: T[] | null = [];

  constructor(
    private readonly capacity: number,
    private readonly policy: OverflowPolicy<T>,
    /** Called with how many held events a newer one of the same key superseded. */
    private readonly onConflated?: (count: number) => void,
  ) {}

  get holding(): boolean {
    return this.held !== null;
  }

  /** Holds a live event; throws `SlowConsumerError` when the policy cannot keep the hold bounded. */
  hold(item: T): void {
    if (!this.held) return;
    this.held.push(item);
    if (this.held.length <= this.capacity) return;
    const { kept, dropped } = bound(this.held, this.capacity, this.policy, `More than ${this.capacity} live events arrived while replaying`);
    this.held = kept;
    if (dropped > 0) this.onConflated?.(dropped);
  }

  release(): T[] {
    const held = this.held ?? [];
    this.held = null;
    return held;
  }
}

/**
 * Events read from history per page while replaying, on every path: a replay of thousands of events
 * takes a few round trips, and one page stays a small reply.
 */
export const HISTORY_PAGE_SIZE = 500;

/** Pages of the history of `keys` after `after`, oldest first, read one at a time as the reader asks. */
export async function* historyPages<T extends Topic>(
  bus: EventBus,
  topic: T,
  keys: readonly string[],
  after: StreamPosition,
  pageSize = HISTORY_PAGE_SIZE,
): AsyncGenerator<Envelope<T>[]> {
  let position = after;
  for (;;) {
    const page = await bus.history(topic, keys, position, pageSize);
    if (page.envelopes.length > 0) yield page.envelopes;
    const last = page.envelopes.at(-1);
    if (page.complete || !last) return;
    position = last.position;
  }
}
