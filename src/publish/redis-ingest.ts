import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../bus/redis-connection.js';
import type { MarketPublisher } from './market-publisher.js';
import { ValidationError, type PriceInput, type SignalInput } from './validation.js';

export interface RedisIngestOptions {
  /** Where Redis is: `redis://`, `rediss://` or `redis+sentinel://` (see `redis-connection.ts`). */
  url: string;
  publisher: MarketPublisher;
  /** @default "titan" */
  prefix?: string;
  /** Entries kept in the rejected stream. @default 1000 */
  rejectedMaxLen?: number;
  /** How long an entry a crashed consumer took may stay unacknowledged before another takes it. @default 30000 */
  claimIdleMs?: number;
  onError: (error: unknown) => void;
}

const GROUP = 'titan-ingest';
const BLOCK_MS = 1000;
const BATCH = 100;

type StreamEntry = [id: string, fields: string[]];

/**
 * The publishing path for services in other languages: they `XADD <prefix>:ingest * type price|signal
 * data <json>` (the same fields as the `PriceInput`/`SignalInput` GraphQL inputs). Every instance
 * reads the stream in one consumer group, so each entry is validated and published exactly once
 * however many instances run; an invalid entry is acknowledged and copied, with the reason, to
 * `<prefix>:ingest:rejected`. An entry whose publish failed stays pending and is retried.
 */
export class RedisIngest {
  private running = true;
  private readonly loop: Promise<void>;
  private lastClaim = 0;

  private constructor(
    private readonly redis: Redis,
    private readonly options: Required<Omit<RedisIngestOptions, 'url'>>,
    private readonly consumer: string,
  ) {
    this.loop = this.run();
  }

  static async start(options: RedisIngestOptions): Promise<RedisIngest> {
    const { url, prefix = 'titan', rejectedMaxLen = 1000, claimIdleMs = 30_000, publisher, onError } = options;
    const redis = createRedisClient(url, { maxRetriesPerRequest: null, connectionName: 'titan-ingest' });
    redis.on('error', onError);
    try {
      await createGroup(redis, ingestStream(prefix));
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    const consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    return new RedisIngest(redis, { prefix, rejectedMaxLen, claimIdleMs, publisher, onError }, consumer);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.redis.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    const stream = ingestStream(this.options.prefix);
    while (this.running) {
      try {
        if (Date.now() - this.lastClaim > this.options.claimIdleMs) await this.claimAbandoned(stream);
        const reply = (await this.redis.xreadgroup(
          'GROUP', GROUP, this.consumer, 'COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', stream, '>',
        )) as [string, StreamEntry[]][] | null;
        for (const [, entries] of reply ?? []) await this.handleAll(stream, entries);
      } catch (error) {
        if (!this.running) return;
        // A Redis that lost its data lost the group too: make it again and go on.
        if (error instanceof Error && error.message.startsWith('NOGROUP')) {
          await createGroup(this.redis, stream).catch(this.options.onError);
          continue;
        }
        this.options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, BLOCK_MS));
      }
    }
  }

  private async claimAbandoned(stream: string): Promise<void> {
    this.lastClaim = Date.now();
    const [, entries] = (await this.redis.xautoclaim(
      stream, GROUP, this.consumer, this.options.claimIdleMs, '0-0', 'COUNT', BATCH,
    )) as [string, StreamEntry[]];
    await this.handleAll(stream, entries.filter((entry) => entry[1] !== null));
  }

  private async handleAll(stream: string, entries: StreamEntry[]): Promise<void> {
    for (const [id, fields] of entries) {
      const rejection = await this.handle(fields);
      if (rejection === undefined) continue;
      if (rejection !== null) {
        await this.redis.xadd(
          `${stream}:rejected`, 'MAXLEN', '~', this.options.rejectedMaxLen, '*',
          'source', id, 'error', rejection, ...fields,
        );
      }
      await this.redis.xack(stream, GROUP, id);
    }
  }

  /** null: published; a string: rejected for that reason; undefined: failed, leave it pending. */
  private async handle(fields: string[]): Promise<string | null | undefined> {
    const entry = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) entry.set(fields[i] as string, fields[i + 1] as string);
    const type = entry.get('type');
    let data: unknown;
    try {
      data = JSON.parse(entry.get('data') ?? '');
    } catch {
      return 'field "data" must be a JSON object';
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'field "data" must be a JSON object';
    try {
      if (type === 'price') await this.options.publisher.publishPrice(data as PriceInput);
      else if (type === 'signal') await this.options.publisher.publishSignal(data as SignalInput);
      else return `field "type" must be "price" or "signal" (got ${JSON.stringify(type ?? null)})`;
      return null;
    } catch (error) {
      if (error instanceof ValidationError) return error.message;
      this.options.onError(error);
      return undefined;
    }
  }
}

/** Creates the consumer group (and the stream) unless it exists. */
async function createGroup(redis: Redis, stream: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, GROUP, '$', 'MKSTREAM');
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  }
}

export function ingestStream(prefix: string): string {
  return `${prefix}:ingest`;
}
