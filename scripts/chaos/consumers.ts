import { createTitanClient, type CursorStore, type Signal, type TitanClient } from '@titan-realtime/client';
import type { ConsumerRecord } from './checker.js';
import { sleep } from './processes.js';

/**
 * A consumer of the chaos run: one `signal` stream of the client package over every strategy the
 * publishers use, on one instance at a time. The package resumes by cursor across reconnects to its
 * URL; it takes one URL, so when the connection drops (its instance died, the nemesis closed it)
 * the consumer makes a new client on an instance that is up, with a cursor store that answers the
 * cursor of the last signal it recorded: the new stream resumes right after it.
 */

export interface ConsumerOptions {
  index: number;
  strategies: readonly string[];
  urls: readonly string[];
  token: string;
  /** Where the stream starts: the signal history's cursor before the first publish. */
  startCursor: string | null;
  /** Which instances are up now (the orchestrator knows). */
  upInstances: () => number[];
  random: () => number;
  now: () => number;
}

export class Consumer {
  readonly record: ConsumerRecord;
  private client: TitanClient | null = null;
  private instance = -1;
  /** Bumped by every move: a stale client's events and state changes are ignored. */
  private generation = 0;
  private closed = false;
  private moving: Promise<void> | null = null;
  moves = 0;

  constructor(private readonly options: ConsumerOptions) {
    this.record = { name: `consumer-${options.index}`, startCursor: options.startCursor, deliveries: [], notes: [] };
  }

  private lastCursor(): string | null {
    return this.record.deliveries.at(-1)?.cursor ?? this.options.startCursor;
  }

  /** Opens the stream on `preferred` if it is up, else on a random instance that is. */
  connect(preferred?: number): void {
    if (this.closed) return;
    const { urls, token, strategies, upInstances, random, now } = this.options;
    const up = upInstances();
    const candidates = up.length > 0 ? up : urls.map((_, index) => index);
    const instance = preferred !== undefined && candidates.includes(preferred) ? preferred : (candidates[Math.floor(random() * candidates.length)] as number);
    const generation = ++this.generation;
    this.instance = instance;
    // Resume after the last signal recorded, whatever client recorded it.
    const cursorStore: CursorStore = { get: () => this.lastCursor(), set: () => {} };
    const client = createTitanClient({ url: `${urls[instance]}/graphql`, token, transport: 'ws', cursorStore, retryBaseDelayMs: 200, maxRetryDelayMs: 1000 });
    this.client = client;
    client.on('state', ({ newState, code, reason }) => {
      if (generation !== this.generation) return;
      if (newState === 'reconnecting' || newState === 'failed') {
        this.record.notes.push({ at: now(), text: `connection to instance ${instance} ${newState} (${code ?? ''} ${reason ?? ''})` });
        void this.move();
      }
    });
    client.on('cursorExpired', ({ key }) => this.record.notes.push({ at: now(), text: `CURSOR_EXPIRED on ${key}: went on from a snapshot` }));
    const stream = client.signals({ strategyIds: [...strategies] }, (signal: Signal) => {
      if (generation !== this.generation) return;
      this.record.deliveries.push({ strategy: signal.strategyId, id: signal.id, cursor: signal.cursor ?? null, instance, at: now() });
    });
    stream.done.then(
      () => undefined,
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.record.notes.push({ at: now(), text: `stream on instance ${instance} ended: ${(error as Error).message}` });
        void this.move();
      },
    );
  }

  /** Leaves the current instance and resumes on another one that is up (after `pauseMs`). */
  move(pauseMs = 200, preferred?: number): Promise<void> {
    this.moving ??= (async () => {
      this.generation += 1;
      this.client?.close();
      this.client = null;
      this.moves += 1;
      await sleep(pauseMs);
      this.moving = null;
      this.connect(preferred);
    })();
    return this.moving;
  }

  /** Closes the connection at once; it comes back, resuming, on a random instance. */
  drop(): Promise<void> {
    return this.move(50);
  }

  get currentInstance(): number {
    return this.instance;
  }

  close(): void {
    this.closed = true;
    this.generation += 1;
    this.client?.close();
  }
}
