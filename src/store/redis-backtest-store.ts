import { createRedisClient, quitClient, type RedisClient, type RedisTimeouts } from '../bus/redis-connection.js';
import { RedisLink, type LinkLog } from '../bus/redis-link.js';
import { asUnavailable } from '../bus/unavailable.js';
import type { BacktestRecord, BacktestStore } from '../domain/backtest.js';

export interface RedisBacktestStoreOptions {
  /** Where Redis is: `redis://`, `rediss://`, `redis+sentinel://` or `redis+cluster://` (see `redis-connection.ts`). */
  redisUrl: string;
  /** @default "titan" */
  prefix?: string;
  /** How long a backtest is kept after its last update. @default 604800 (7 days) */
  ttlSeconds?: number;
  timeouts: RedisTimeouts;
  log: LinkLog;
  onError: (error: unknown) => void;
}

/**
 * Backtests in Redis, so any instance can answer `backtest`/`backtests` for a run another instance
 * executes. One JSON string per backtest, and a sorted set per owner (score = creation time).
 *
 * No command spans two keys of different owners or backtests, so the same code runs on a Redis
 * Cluster, where those keys live in different slots: a record and its owner's index are written side
 * by side (a listed id whose record is not there, not yet or no longer, is skipped), and a list reads
 * the records one by one, sent together.
 */
export class RedisBacktestStore implements BacktestStore {
  private readonly redis: RedisClient;
  private readonly link: RedisLink;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly retryAfterMs: number;

  constructor({ redisUrl, prefix = 'titan', ttlSeconds = 7 * 24 * 3600, timeouts, log, onError }: RedisBacktestStoreOptions) {
    // Like the bus: fail at once while Redis is away, never resend a write behind the caller's back.
    this.redis = createRedisClient(
      redisUrl,
      { connectionName: 'titan-backtests', enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1 },
      timeouts,
    );
    this.link = new RedisLink(this.redis, { role: 'store', log, onError });
    this.prefix = prefix;
    this.ttlSeconds = ttlSeconds;
    this.retryAfterMs = timeouts.retryMaxDelayMs;
  }

  async save(record: BacktestRecord): Promise<void> {
    const owned = this.ownerKey(record.ownerId);
    await this.command(async () => {
      const [indexed] = await Promise.all([
        this.redis.multi().zadd(owned, Date.parse(record.createdAt), record.id).expire(owned, this.ttlSeconds).exec(),
        this.redis.set(this.recordKey(record.id), JSON.stringify(record), 'EX', this.ttlSeconds),
      ]);
      const failed = indexed?.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
    });
  }

  async get(id: string): Promise<BacktestRecord | null> {
    const json = await this.command(() => this.redis.get(this.recordKey(id)));
    return json ? (JSON.parse(json) as BacktestRecord) : null;
  }

  async listByOwner(ownerId: string): Promise<BacktestRecord[]> {
    const ids = await this.command(() => this.redis.zrevrange(this.ownerKey(ownerId), 0, 199));
    if (ids.length === 0) return [];
    const jsons = await this.command(() => Promise.all(ids.map((id) => this.redis.get(this.recordKey(id)))));
    return jsons.filter((json): json is string => json !== null).map((json) => JSON.parse(json) as BacktestRecord);
  }

  /** Whether its Redis connection is ready and answering (readiness, metrics). */
  isHealthy(): boolean {
    return this.link.isUp;
  }

  async close(): Promise<void> {
    this.link.stop();
    await quitClient(this.redis);
  }

  /** Runs a Redis call; a connection problem becomes `UnavailableError`. */
  private async command<R>(call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (error) {
      throw asUnavailable(error, this.retryAfterMs);
    }
  }

  private recordKey(id: string): string {
    return `${this.prefix}:backtest:${id}`;
  }

  private ownerKey(ownerId: string): string {
    return `${this.prefix}:backtests-of:${ownerId}`;
  }
}
