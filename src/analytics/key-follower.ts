import type { DeliveryStream } from '../bus/delivery-stream.js';
import type { Envelope, EventBus, StreamPosition, Topic } from '../bus/event-bus.js';
import { listen } from '../bus/listen.js';

/** How a key's state starts: from its newest `HISTORY_MAX_LEN` events, which may not be all it ever had. */
export interface KeyHistory {
  /** True when the key never had more events than these (nothing was trimmed): its first event is its first ever. */
  complete: boolean;
  /** Offset of the oldest event it starts from (the topic position when it has none). */
  firstOffset: number;
  /** The topic position its history was read at. */
  position: StreamPosition;
}

export interface KeyFollowerOptions<T extends Topic> {
  bus: EventBus;
  topic: T;
  /** `HISTORY_MAX_LEN`: how many of each key's newest events a state starts from. */
  historyMaxLen: number;
  /** Pause before the keys of a failed stream are followed again (`REDIS_RETRY_MAX_DELAY_MS`). */
  retryMs: number;
  /** A key's state starts over; its history then arrives through `onEvent`, oldest first. */
  onStart(key: string, history: KeyHistory): void;
  /** The next event of a followed key, in publish order, each once. */
  onEvent(envelope: Envelope<T>): void;
  /** A key's state is void (its stream failed: history reset, Redis gone too long); it starts over after `retryMs`. */
  onStop(key: string, error: unknown): void;
}

/**
 * Keys whose events are read in one snapshot and one stream: a snapshot of 20 keys × 1,000 events
 * is a reply of a few MB, and a key is never far from its batch's stream.
 */
const BATCH_KEYS = 20;
/**
 * Live events that may wait for the follower's loop. The loop only falls behind within one task (one
 * read from Redis can carry a batch), so this is generous; past it, the keys start over.
 */
const QUEUE_CAPACITY = 50_000;

/**
 * Follows keys of one topic for a derived state: each key from the oldest of its newest
 * `historyMaxLen` events, then live, without gap or duplicate (the resume machinery of `bus/listen.ts`:
 * the stream replays what was published after the snapshot, then goes on live). A stream that fails
 * voids its keys' states and follows them again after `retryMs`. No writes to the bus.
 */
export class KeyFollower<T extends Topic> {
  /** Keys followed, each with the promise of its state being in (its history read, its stream live). */
  private readonly followed = new Map<string, Promise<void>>();
  private readonly streams = new Set<DeliveryStream<T>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: KeyFollowerOptions<T>) {}

  /** Follows those of `keys` not followed yet; resolves once they are (or failed and will be retried). */
  follow(keys: readonly string[]): Promise<void> {
    const fresh = [...new Set(keys)].filter((key) => !this.followed.has(key));
    for (let index = 0; index < fresh.length; index += BATCH_KEYS) {
      const batch = fresh.slice(index, index + BATCH_KEYS);
      const started = this.startBatch(batch);
      for (const key of batch) this.followed.set(key, started);
    }
    return Promise.all(keys.map((key) => this.followed.get(key))).then(() => undefined);
  }

  isFollowing(key: string): boolean {
    return this.followed.has(key);
  }

  /** Resolves once `key`'s state is in, if it is followed. */
  ready(key: string): Promise<void> {
    return this.followed.get(key) ?? Promise.resolve();
  }

  get keyCount(): number {
    return this.followed.size;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const stream of [...this.streams]) void stream.return();
  }

  /** Never rejects: a failure is reported through `onStop` and retried. */
  private async startBatch(keys: string[]): Promise<void> {
    const { bus, topic, historyMaxLen, onStart, onEvent } = this.options;
    try {
      const snapshot = await bus.snapshot(topic, keys, historyMaxLen);
      keys.forEach((key, index) => {
        const newestFirst = snapshot.latest[index] ?? [];
        const oldest = newestFirst.at(-1);
        onStart(key, {
          complete: newestFirst.length < historyMaxLen,
          firstOffset: oldest?.position.offset ?? snapshot.position.offset,
          position: snapshot.position,
        });
        for (let at = newestFirst.length - 1; at >= 0; at -= 1) {
          const envelope = newestFirst[at];
          if (envelope) onEvent(envelope);
        }
      });
      if (this.stopped) return;
      const stream = await listen(bus, topic, keys, { after: snapshot.position, capacity: QUEUE_CAPACITY, overflow: { kind: 'disconnect' } });
      if (this.stopped) {
        await stream.return();
        return;
      }
      this.streams.add(stream);
      this.drain(stream, keys).catch((error: unknown) => this.restartLater(keys, error));
    } catch (error) {
      this.restartLater(keys, error);
    }
  }

  private async drain(stream: DeliveryStream<T>, keys: string[]): Promise<void> {
    try {
      for await (const envelope of stream) this.options.onEvent(envelope);
    } finally {
      this.streams.delete(stream);
    }
    // A follower's stream ends without an error only when the follower stops.
    if (!this.stopped) this.restartLater(keys, new Error('the stream ended'));
  }

  private restartLater(keys: string[], error: unknown): void {
    if (this.stopped) return;
    for (const key of keys) this.options.onStop(key, error);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      const restarted = this.startBatch(keys);
      for (const key of keys) this.followed.set(key, restarted);
    }, this.options.retryMs);
    timer.unref();
    this.timers.add(timer);
  }
}
