/**
 * How much publishing this instance has taken on and not yet answered: the inputs of the publish
 * mutations being executed (`PUBLISH_MAX_IN_FLIGHT`). The per-user rates (`PUBLISHES_PER_SECOND`)
 * bound each publisher, not the sum of them: when publishers together offer more than the instance
 * and its Redis sustain, every publish waits longer in the bus's queue until they all time out
 * (UNAVAILABLE, after `REDIS_COMMAND_TIMEOUT_MS`, with nothing learnt by the publisher but to retry).
 * Bounded here instead, what does not fit is refused at once with RATE_LIMITED and a `retryAfterMs`
 * of about the time a publish takes now, the queue stays short, and the publishes taken keep their
 * latency. A request that finds nothing in flight is always taken, however large.
 */
export class PublishesInFlight {
  private inFlight = 0;
  /** Recent time from taking a publish to its answer (moving average), the wait a refused one is told. */
  private latencyMs = MIN_RETRY_MS;

  constructor(private readonly limit: number) {}

  /**
   * Takes `count` inputs, or refuses them: `{ retryAfterMs }`. What is taken must be released once,
   * with `done()`, when its execution ended (answered or failed).
   */
  take(count: number): { done: () => void } | { retryAfterMs: number } {
    const refused = this.refuses(count);
    if (refused) return refused;
    this.inFlight += count;
    const started = performance.now();
    let released = false;
    return {
      done: () => {
        if (released) return;
        released = true;
        this.inFlight -= count;
        this.latencyMs += (performance.now() - started - this.latencyMs) * SMOOTHING;
      },
    };
  }

  /** What `take(count)` would answer if it refused now, else null: to refuse before spending anything else. */
  refuses(count: number): { retryAfterMs: number } | null {
    if (this.inFlight === 0 || this.inFlight + count <= this.limit) return null;
    return { retryAfterMs: Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, Math.ceil(this.latencyMs))) };
  }

  /** Inputs taken and not yet answered (a metric, and for tests). */
  get current(): number {
    return this.inFlight;
  }
}

const MIN_RETRY_MS = 10;
const MAX_RETRY_MS = 5000;
/** Weight of the newest publish in the moving average: about the last twenty count. */
const SMOOTHING = 0.05;
