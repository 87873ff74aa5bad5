import { createTitanClient, TitanError, type TitanClient } from '@titan-realtime/client';
import type { Ack } from './checker.js';
import { sleep } from './processes.js';

/**
 * A publisher of the chaos run: signals at a steady rate through the client package's
 * `publishSignal`, round robin over the instances. Each signal has its own id; a publish that fails
 * for a reason worth retrying (the instance is gone, Redis is away, no answer in time) is retried
 * with the same id on the next instance until it is acknowledged or the run gives up on it.
 */

export interface PublisherOptions {
  index: number;
  runId: string;
  strategies: readonly string[];
  /** The instances' `/graphql` URLs. */
  urls: readonly string[];
  token: string;
  rate: number;
  now: () => number;
  onAck: (ack: Ack) => void;
  /** Something other than an outage refused a publish (a bug or a misconfigured run). */
  onRejected: (id: string, error: string) => void;
}

/** A call that has not answered by then is taken as lost and retried elsewhere (with its id). */
const PUBLISH_TIMEOUT_MS = 10_000;
const RETRYABLE = new Set(['UNAVAILABLE', 'NETWORK_ERROR', 'RATE_LIMITED', 'TIMEOUT', 'INTERNAL_SERVER_ERROR']);

export class Publisher {
  private readonly clients: TitanClient[];
  private next: number;
  private stopping = false;
  /** Give up on an unacknowledged publish (the run is over). */
  private abandoned = false;
  private loop: Promise<void> = Promise.resolve();
  published = 0;
  retries = 0;

  constructor(private readonly options: PublisherOptions) {
    this.clients = options.urls.map((url) => createTitanClient({ url, token: options.token, transport: 'ws' }));
    this.next = options.index % options.urls.length;
  }

  fenceId(): string {
    return `${this.options.runId}-fence-p${this.options.index}`;
  }

  fenceStrategy(): string {
    return this.options.strategies[this.options.index % this.options.strategies.length] as string;
  }

  start(): void {
    const { rate, runId, index, strategies } = this.options;
    const startedAt = Date.now();
    this.loop = (async () => {
      for (let i = 0; !this.stopping; i += 1) {
        const due = startedAt + (i * 1000) / rate;
        if (due > Date.now()) await sleep(due - Date.now());
        if (this.stopping) break;
        await this.publish(`${runId}-p${index}-${i}`, strategies[i % strategies.length] as string, i);
      }
    })();
  }

  /** Stops publishing new signals; resolves once the one in flight is acknowledged (or given up after `giveUpMs`). */
  async stop(giveUpMs: number): Promise<void> {
    this.stopping = true;
    const timer = setTimeout(() => (this.abandoned = true), giveUpMs);
    await this.loop;
    clearTimeout(timer);
  }

  /** The fence: one last signal, acknowledged like every other. */
  async publishFence(giveUpMs: number): Promise<boolean> {
    this.abandoned = false;
    const timer = setTimeout(() => (this.abandoned = true), giveUpMs);
    const acked = await this.publish(this.fenceId(), this.fenceStrategy(), -1);
    clearTimeout(timer);
    return acked;
  }

  private async publish(id: string, strategyId: string, sequence: number): Promise<boolean> {
    const { onAck, onRejected, now, index } = this.options;
    const input = { id, strategyId, symbol: 'CHAOS', side: sequence % 2 === 0 ? 'BUY' : 'SELL', price: 100 + (sequence % 100), confidence: 0.5, reason: `p${index}#${sequence}` } as const;
    for (let attempt = 1; !this.abandoned; attempt += 1) {
      const instance = this.next;
      this.next = (this.next + 1) % this.clients.length;
      const client = this.clients[instance] as TitanClient;
      let timer: NodeJS.Timeout | undefined;
      try {
        const signal = await Promise.race([
          client.publishSignal(input),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new TitanError('NETWORK_ERROR', 'no answer in time') as Error), PUBLISH_TIMEOUT_MS);
          }),
        ]);
        this.published += 1;
        onAck({ publisher: index, id, strategy: strategyId, cursor: signal.cursor ?? null, instance, attempts: attempt, at: now() });
        return true;
      } catch (error) {
        const code = error instanceof TitanError ? error.code : 'HARNESS';
        if (!RETRYABLE.has(code)) {
          onRejected(id, `${code}: ${(error as Error).message}`);
          return false;
        }
        this.retries += 1;
        const wait = error instanceof TitanError && error.retryAfterMs ? Math.min(error.retryAfterMs, 1000) : 100;
        await sleep(wait);
      } finally {
        clearTimeout(timer);
      }
    }
    return false;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
