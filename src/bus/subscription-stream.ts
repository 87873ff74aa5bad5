/** Raised inside a stream whose consumer fell more than `capacity` events behind. */
export class SlowConsumerError extends Error {
  readonly code = 'SLOW_CONSUMER';
  constructor(capacity: number) {
    super(`Subscription fell more than ${capacity} events behind and was ended; resubscribe to continue`);
    this.name = 'SlowConsumerError';
  }
}

export interface SubscriptionStreamOptions {
  /** Events that may wait for the consumer; one more ends the stream with `SlowConsumerError`. */
  capacity: number;
  /** Releases what feeds the stream; called once, when the stream ends for any reason. */
  onClose: () => void;
}

/**
 * A bounded push-to-pull queue: the bus pushes, GraphQL execution pulls with `for await`. Never
 * drops silently: overflowing ends the stream with an error the client sees.
 */
export class SubscriptionStream<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private readonly waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }[] = [];
  private failure: unknown = null;
  private ended = false;
  private closed = false;
  private readonly capacity: number;
  private readonly onClose: () => void;

  constructor({ capacity, onClose }: SubscriptionStreamOptions) {
    this.capacity = capacity;
    this.onClose = onClose;
  }

  push(value: T): void {
    if (this.ended) return;
    const consumer = this.waiting.shift();
    if (consumer) {
      consumer.resolve({ value, done: false });
      return;
    }
    if (this.queue.length >= this.capacity) {
      this.fail(new SlowConsumerError(this.capacity));
      return;
    }
    this.queue.push(value);
  }

  /** Ends the stream after what is queued has been read. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    for (const consumer of this.waiting.splice(0)) consumer.resolve({ value: undefined, done: true });
  }

  /** Ends the stream now: queued events are discarded and the consumer's next read throws. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.queue.length = 0;
    this.release();
    for (const consumer of this.waiting.splice(0)) consumer.reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift() as T, done: false });
    if (this.failure !== null) {
      const error = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.fail(error);
    return this.next();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}
