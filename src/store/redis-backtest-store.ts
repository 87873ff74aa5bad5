import type { Redis } from 'ioredis';
import { createRedisClient } from '../bus/redis-connection.js';
import type { BacktestRecord, BacktestStore } from '../domain/backtest.js';

export interface RedisBacktestStoreOptions {
  /** Where Redis is: `redis://`, `rediss://` or `redis+sentinel://` (see `redis-connection.ts`). */
  url: string;
  /** @default "titan" */
  prefix?: string;
  /** How long a backtest is kept after its last update. @default 604800 (7 days) */
  ttlSeconds?: number;
  onError: (error: unknown) => void;
}

/**
 * Backtests in Redis, so any instance can answer `backtest`/`backtests` for a run another instance
 * executes. One JSON string per backtest, and a sorted set per owner (score = creation time).
 */
export class RedisBacktestStore implements BacktestStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlSeconds: number;

  constructor({ url, prefix = 'titan', ttlSeconds = 7 * 24 * 3600, onError }: RedisBacktestStoreOptions) {
    this.redis = createRedisClient(url, { maxRetriesPerRequest: 3, connectionName: 'titan-backtests' });
    this.redis.on('error', onError);
    this.prefix = prefix;
    this.ttlSeconds = ttlSeconds;
  }

  async save(record: BacktestRecord): Promise<void> {
    const owned = this.ownerKey(record.ownerId);
    await this.redis
      .multi()
      .set(this.recordKey(record.id), JSON.stringify(record), 'EX', this.ttlSeconds)
      .zadd(owned, Date.parse(record.createdAt), record.id)
      .expire(owned, this.ttlSeconds)
      .exec();
  }

  async get(id: string): Promise<BacktestRecord | null> {
    const json = await this.redis.get(this.recordKey(id));
    return json ? (JSON.parse(json) as BacktestRecord) : null;
  }

  async listByOwner(ownerId: string): Promise<BacktestRecord[]> {
    const ids = await this.redis.zrevrange(this.ownerKey(ownerId), 0, 199);
    if (ids.length === 0) return [];
    const jsons = await this.redis.mget(ids.map((id) => this.recordKey(id)));
    return jsons.filter((json): json is string => json !== null).map((json) => JSON.parse(json) as BacktestRecord);
  }

  /** Whether its Redis connection is ready (metrics). */
  isHealthy(): boolean {
    return this.redis.status === 'ready';
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private recordKey(id: string): string {
    return `${this.prefix}:backtest:${id}`;
  }

  private ownerKey(ownerId: string): string {
    return `${this.prefix}:backtests-of:${ownerId}`;
  }
}
