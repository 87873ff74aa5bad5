import { bound, type OverflowPolicy } from '../bus/resume.js';

/**
 * One subscriber's queue of analytics updates (a candle, a strategy's figures) between the service
 * (push) and GraphQL execution (pull). Updates are states, so past `capacity` the overflow policy
 * keeps the newest per key (`bound` of `bus/resume.ts`, the rule every stream uses); one that must not
 * be dropped has a key of its own, and too many of those end the stream with SLOW_CONSUMER.
 */
export class UpdateStream<T> implements AsyncIterableIterator<T> {
  private queue: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;
  private failure: unknown = null;
  private ended = false;

  constructor(
    private readonly capacity: number,
    private readonly policy: OverflowPolicy<T>,
    /** Releases what feeds the stream; called once, when it ends for any reason. */
    private readonly onClose: () => void,
  ) {}

  push(item: T): void {
    if (this.ended) return;
    this.queue.push(item);
    if (this.queue.length > this.capacity) {
      try {
        this.queue = bound(this.queue, this.capacity, this.policy, `Fell more than ${this.capacity} updates behind`).kept;
      } catch (error) {
        this.fail(error);
        return;
      }
    }
    this.wake();
  }

  /** Ends the stream now with `error`: what waits is discarded, the reader's next read throws it. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.queue.length = 0;
    this.close();
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.queue.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.failure !== null) {
      const error = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.fail(error);
    return this.next();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private close(): void {
    if (this.ended) return;
    this.ended = true;
    this.onClose();
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    const value = this.queue.shift();
    if (value !== undefined) {
      this.waiting = null;
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
}
