import type { Envelope, Topic } from './event-bus.js';
import { SlowConsumerError } from './errors.js';
import { bound, ReplayHold, StreamPoint, type OverflowPolicy } from './resume.js';

export type { OverflowPolicy } from './resume.js';

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
  overflow: OverflowPolicy<Envelope<T>>;
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
 * The per-subscription queue between the bus (push) and GraphQL execution (pull): the resume
 * primitive (`resume.ts`) for one subscriber. It replays missed events first, holding live ones
 * meanwhile, then delivers live ones; it drops an event only if it was already delivered, and bounds
 * what waits by the overflow policy.
 */
export class DeliveryStream<T extends Topic> implements AsyncIterableIterator<Envelope<T>> {
  private queue: Envelope<T>[] = [];
  /** Live events that arrive while replaying; null once live. */
  private hold: ReplayHold<Envelope<T>> | null;
  private replay: AsyncIterator<Envelope<T>[]> | null;
  private readonly point: StreamPoint;
  private waiting: { resolve: (result: IteratorResult<Envelope<T>>) => void; reject: (error: unknown) => void } | null =
    null;
  private failure: unknown = null;
  private ended = false;
  private closed = false;

  constructor(private readonly options: DeliveryStreamOptions<T>) {
    this.replay = options.replay ?? null;
    this.hold = this.replay ? new ReplayHold(options.capacity, options.overflow, (count) => options.meter?.conflated(count)) : null;
    this.point = new StreamPoint(options.after);
    options.meter?.opened();
  }

  /** A live event from the bus. */
  push(envelope: Envelope<T>): void {
    if (this.ended) return;
    if (this.hold) {
      this.guard(() => this.hold?.hold(envelope));
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
    if (error instanceof SlowConsumerError) this.options.meter?.slowConsumer();
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
      const held = this.hold?.release() ?? [];
      this.hold = null;
      for (const envelope of held) this.offer(envelope, true);
    } catch (error) {
      this.fail(error);
    }
  }

  private offer(envelope: Envelope<T>, live: boolean): void {
    if (this.ended) return;
    this.guard(() => {
      if (!this.point.admit(envelope.position)) return;
      if (this.options.accept && !this.options.accept(envelope)) return;
      this.queue.push(envelope);
      if (!live) this.options.meter?.replayed();
      // Replayed pages are pulled by the reader, so only live arrivals can overflow.
      if (live && this.queue.length > this.options.capacity) {
        const { kept, dropped } = bound(this.queue, this.options.capacity, this.options.overflow, `Fell more than ${this.options.capacity} events behind`);
        this.queue = kept;
        if (dropped > 0) this.options.meter?.conflated(dropped);
      }
      if (this.options.isLast?.(envelope)) this.end();
      this.wake();
    });
  }

  /** Runs a step of the stream; what it throws (an expired cursor, a slow consumer, a refused event) ends the stream. */
  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.fail(error);
    }
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
