import type { Envelope, Topic } from './event-bus.js';

/** Raised inside a stream whose reader fell more than its capacity behind on a reliable topic. */
export class SlowConsumerError extends Error {
  readonly code = 'SLOW_CONSUMER';
  constructor(capacity: number) {
    super(`Fell more than ${capacity} events behind; reconnect and resume after the last cursor received`);
    this.name = 'SlowConsumerError';
  }
}

/**
 * What happens when live events arrive faster than the reader takes them and `capacity` are waiting.
 * - `disconnect`: end the stream with `SlowConsumerError` (nothing is dropped silently; the client
 *   resumes by cursor).
 * - `conflate`: keep only the newest waiting event per `keyOf` (e.g. the latest price per symbol).
 */
export type OverflowPolicy<T extends Topic> =
  | { kind: 'disconnect' }
  | { kind: 'conflate'; keyOf: (envelope: Envelope<T>) => string };

/**
 * What a stream reports for metrics. Every call is on the delivery path, so an implementation must
 * be as cheap as a counter increment.
 */
export interface DeliveryMeter {
  /** The stream started: it counts as an active subscription until `closed`. */
  opened(): void;
  /** The stream ended, for any reason (called once). */
  closed(): void;
  /** An event was handed to the reader, i.e. to the transport. */
  delivered(envelope: Envelope): void;
  /** An event read from history for a resume was queued for the reader. */
  replayed(): void;
  /** `count` waiting events were dropped because newer ones of the same key superseded them. */
  conflated(count: number): void;
  /** The stream ended with `SlowConsumerError`. */
  slowConsumer(): void;
}

export interface DeliveryStreamOptions<T extends Topic> {
  /** Live events that may wait for the reader. */
  capacity: number;
  overflow: OverflowPolicy<T>;
  /** Keeps only the events the subscriber asked for; throwing ends the stream with that error. */
  accept?: (envelope: Envelope<T>) => boolean;
  /** Ends the stream after delivering an event for which this returns true. */
  isLast?: (envelope: Envelope<T>) => boolean;
  /** Pages of missed events to deliver before any live one (replay); pulled only as the reader reads. */
  replay?: AsyncIterator<Envelope<T>[]>;
  /** The position delivery starts after: events at or before it are duplicates. */
  after?: { epoch: string; offset: number };
  /** Releases what feeds the stream; called once, when the stream ends for any reason. */
  onClose: () => void;
  /** Counts what the stream does; without it nothing is counted. */
  meter?: DeliveryMeter;
}

/**
 * The per-subscription queue between the bus (push) and GraphQL execution (pull). It replays missed
 * events first, holding live ones meanwhile, then delivers live ones; it drops an event only if it
 * was already delivered (same or lower offset), and bounds what waits by the overflow policy.
 */
export class DeliveryStream<T extends Topic> implements AsyncIterableIterator<Envelope<T>> {
  private readonly queue: Envelope<T>[] = [];
  /** Live events that arrived while replaying. */
  private held: Envelope<T>[] = [];
  private replay: AsyncIterator<Envelope<T>[]> | null;
  private epoch: string | null;
  private lastOffset: number;
  private waiting: { resolve: (result: IteratorResult<Envelope<T>>) => void; reject: (error: unknown) => void } | null =
    null;
  private failure: unknown = null;
  private ended = false;
  private closed = false;

  constructor(private readonly options: DeliveryStreamOptions<T>) {
    this.replay = options.replay ?? null;
    this.epoch = options.after?.epoch ?? null;
    this.lastOffset = options.after?.offset ?? 0;
    options.meter?.opened();
  }

  /** A live event from the bus. */
  push(envelope: Envelope<T>): void {
    if (this.ended) return;
    if (this.replay) {
      this.held.push(envelope);
      this.held = this.bounded(this.held);
      return;
    }
    this.offer(envelope, true);
  }

  /** Ends the stream after what is queued has been read. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    this.wake();
  }

  /** Ends the stream now: waiting events are discarded and the reader's next read throws. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.queue.length = 0;
    this.end();
  }

  async next(): Promise<IteratorResult<Envelope<T>>> {
    for (;;) {
      const value = this.queue.shift();
      if (value) {
        this.options.meter?.delivered(value);
        return { value, done: false };
      }
      if (this.failure !== null) {
        const error = this.failure;
        this.failure = null;
        throw error;
      }
      if (this.ended) return { value: undefined, done: true };
      if (this.replay) {
        await this.pullReplay(this.replay);
        continue;
      }
      return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
    }
  }

  async return(): Promise<IteratorResult<Envelope<T>>> {
    this.queue.length = 0;
    this.end();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<Envelope<T>>> {
    this.fail(error);
    return this.next();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Envelope<T>> {
    return this;
  }

  private async pullReplay(replay: AsyncIterator<Envelope<T>[]>): Promise<void> {
    try {
      const page = await replay.next();
      if (!page.done) {
        for (const envelope of page.value) this.offer(envelope, false);
        return;
      }
      this.replay = null;
      const held = this.held;
      this.held = [];
      for (const envelope of held) this.offer(envelope, true);
    } catch (error) {
      this.fail(error);
    }
  }

  private offer(envelope: Envelope<T>, live: boolean): void {
    if (this.ended) return;
    const { epoch, offset } = envelope.position;
    if (this.epoch !== null && epoch !== this.epoch) {
      this.fail(new StreamResetError());
      return;
    }
    if (offset <= this.lastOffset) return;
    this.epoch = epoch;
    this.lastOffset = offset;
    try {
      if (this.options.accept && !this.options.accept(envelope)) return;
    } catch (error) {
      this.fail(error);
      return;
    }
    this.queue.push(envelope);
    if (!live) this.options.meter?.replayed();
    // Replayed pages are pulled by the reader, so only live arrivals can overflow.
    if (live && this.queue.length > this.options.capacity) {
      const kept = this.bounded(this.queue);
      this.queue.splice(0, this.queue.length, ...kept);
    }
    if (this.options.isLast?.(envelope)) this.end();
    this.wake();
  }

  /** Applies the overflow policy to a list that may have grown past capacity. */
  private bounded(list: Envelope<T>[]): Envelope<T>[] {
    const { capacity, overflow } = this.options;
    if (list.length <= capacity) return list;
    if (overflow.kind === 'conflate') {
      const newest = new Map<string, Envelope<T>>();
      for (const envelope of list) {
        const key = overflow.keyOf(envelope);
        newest.delete(key);
        newest.set(key, envelope);
      }
      if (newest.size <= capacity) {
        this.options.meter?.conflated(list.length - newest.size);
        return [...newest.values()];
      }
    }
    this.options.meter?.slowConsumer();
    this.fail(new SlowConsumerError(capacity));
    return [];
  }

  private wake(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    const value = this.queue.shift();
    if (value) {
      this.waiting = null;
      this.options.meter?.delivered(value);
      waiting.resolve({ value, done: false });
    } else if (this.failure !== null) {
      this.waiting = null;
      const error = this.failure;
      this.failure = null;
      waiting.reject(error);
    } else if (this.ended) {
      this.waiting = null;
      waiting.resolve({ value: undefined, done: true });
    }
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.meter?.closed();
    this.options.onClose();
  }
}

/** The history behind a subscription was reset (e.g. Redis lost its data) while it was live. */
export class StreamResetError extends Error {
  readonly code = 'CURSOR_EXPIRED';
  constructor() {
    super('The event history was reset; refetch a snapshot and subscribe after its cursor');
    this.name = 'StreamResetError';
  }
}
