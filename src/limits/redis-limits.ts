import { randomBytes } from 'node:crypto';
import type { Result } from 'ioredis';
import { createRedisClient, isClusterUrl, quitClient, type RedisClient } from '../bus/redis-connection.js';
import { RedisLink } from '../bus/redis-link.js';
import { isUnavailable } from '../bus/unavailable.js';
import { ACQUIRE_SCRIPT, RENEW_SCRIPT, TAKE_SCRIPT } from './limit-scripts.js';
import { rates, type ConnectionSlots, type LimitsSettings, type RateLimit, type SharedLimits } from './limits.js';
import { LocalRate, LocalSlots } from './local-limits.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    titanLimitTake(key: string, intervalMs: number, burst: number, count: number): Result<number, Context>;
    titanLimitAcquire(key: string, member: string, limit: number, leaseMs: number): Result<number, Context>;
    titanLimitRenew(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Result<number, Context>;
  }
}

export interface RedisLimitsOptions extends LimitsSettings {
  redisUrl: string;
  /** @default "titan:limit" */
  prefix?: string;
}

/** Users whose connections one renewal script renews at most: each script stays short in Redis. */
const RENEW_BATCH = 200;

/**
 * The limits counted across instances in Redis: a rate is one script per request (GCRA, one key per
 * user or address, expiring when idle), connections per user a sorted set per user of
 * `instance:connection` scored by when each stops counting, renewed by its instance every third of
 * `connectionLeaseMs`, so the connections of an instance that died stop counting after the lease.
 *
 * **Fail to local**: when Redis does not answer (down, frozen: each call waits at most
 * `REDIS_COMMAND_TIMEOUT_MS`, and none is tried while the connection's probe says it is away), each
 * decision is made by this instance alone with the same limits, so an outage neither takes the
 * instance down nor locks everyone out; across N instances a user then gets up to N times the budget.
 * Logged once per outage (the connection's own lines come from `RedisLink`). Connections opened
 * meanwhile are added to Redis by the next renewal after it is back, closes are removed then.
 *
 * On a Redis Cluster the users' connection sets share one hash slot (`<prefix>:{connections}:<user>`),
 * so one renewal script and one removal pipeline can still cover many users; rates are one key per
 * script and spread over the shards.
 */
export class RedisLimits implements SharedLimits {
  readonly mutations: RateLimit;
  readonly publishes: RateLimit;
  readonly connects: RateLimit;
  readonly connections: ConnectionSlots;
  private readonly redis: RedisClient;
  private readonly link: RedisLink;
  private readonly prefix: string;
  /** Where the users' connection sets live: `<prefix>:connections`, hash-tagged on a cluster. */
  private readonly connectionsPrefix: string;
  private readonly instanceId = randomBytes(6).toString('base64url');
  /** This instance's connections: what it renews, and what it counts alone while Redis is away. */
  private readonly local: LocalSlots;
  /** Members closed while Redis did not answer, per key: removed by the next renewal. */
  private readonly removals = new Map<string, Set<string>>();
  private readonly renewal: NodeJS.Timeout;
  /** How long a connection counts in Redis without being renewed (`CONNECTION_LEASE_MS`). */
  private readonly leaseMs: number;
  private readonly log: LimitsSettings['log'];
  private readonly onError: (error: unknown) => void;
  /** Set at the first decision made locally in an outage (logged then), cleared when Redis answers. */
  private alone = false;
  private closed = false;

  constructor({ limits, redisUrl, timeouts, log, onError, prefix = 'titan:limit' }: RedisLimitsOptions) {
    // Like the bus and the store: fail at once while Redis is away (and decide locally), never resend.
    this.redis = createRedisClient(
      redisUrl,
      { connectionName: 'titan-limits', enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1 },
      timeouts,
    );
    this.redis.defineCommand('titanLimitTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.redis.defineCommand('titanLimitAcquire', { numberOfKeys: 1, lua: ACQUIRE_SCRIPT });
    this.redis.defineCommand('titanLimitRenew', { lua: RENEW_SCRIPT });
    this.link = new RedisLink(this.redis, {
      role: 'limits',
      log,
      onError,
      // Back: what was opened or closed meanwhile reaches Redis at once rather than at the next renewal.
      onChange: (up) => up && this.renew(),
    });
    this.prefix = prefix;
    this.connectionsPrefix = isClusterUrl(redisUrl) ? `${prefix}:{connections}` : `${prefix}:connections`;
    this.log = log;
    this.onError = onError;
    const rate = rates(limits);
    this.mutations = this.sharedRate('mutations', rate.mutations);
    this.publishes = this.sharedRate('publishes', rate.publishes);
    this.connects = this.sharedRate('connects', rate.connects);
    this.local = new LocalSlots(limits.connectionsPerUser);
    this.connections = this.sharedSlots(limits.connectionsPerUser);
    this.leaseMs = limits.connectionLeaseMs;
    this.renewal = setInterval(() => this.renew(), this.leaseMs / 3).unref();
  }

  isHealthy(): boolean {
    return this.link.isUp;
  }

  /** Stops renewing and removes this instance's remaining connections from Redis (if it answers). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewal);
    this.link.stop();
    if (this.redis.status === 'ready') {
      for (const [user, ids] of this.local.open) for (const connId of ids) this.forget(this.connectionsKey(user), this.member(connId));
      await this.flushRemovals().catch(() => {});
    }
    await quitClient(this.redis);
  }

  private sharedRate(name: string, rate: { perSecond: number; burst: number }): RateLimit {
    const fallback = new LocalRate(rate);
    const intervalMs = 1000 / rate.perSecond;
    return {
      burst: rate.burst,
      take: (key, count = 1) =>
        this.decide(
          () => this.redis.titanLimitTake(`${this.prefix}:${name}:${key}`, intervalMs, rate.burst, count),
          () => fallback.takeNow(key, count),
        ),
    };
  }

  private sharedSlots(limit: number): ConnectionSlots {
    return {
      acquire: (user, connId) =>
        this.decide(
          async () => {
            const added = (await this.redis.titanLimitAcquire(this.connectionsKey(user), this.member(connId), limit, this.leaseMs)) === 1;
            // Counted locally too, past the local limit if need be: the shared count admitted it.
            if (added) this.local.add(user, connId);
            return added;
          },
          () => this.local.acquireNow(user, connId),
        ),
      release: (user, connId) => {
        if (!this.local.release(user, connId)) return;
        this.forget(this.connectionsKey(user), this.member(connId));
        if (this.link.isUp && !this.closed) this.flushRemovals().catch(() => {});
      },
    };
  }

  /**
   * The shared decision, or the local one when Redis does not answer: never rejects, never waits
   * longer than the command timeout.
   */
  private async decide<T>(shared: () => Promise<T>, local: () => T): Promise<T> {
    if (this.closed) return local();
    if (!this.link.isUp) return this.decideAlone('redis not answering', local);
    try {
      const result = await shared();
      this.alone = false;
      return result;
    } catch (error) {
      // Anything else is a bug (a script error): reported, and still no reason to refuse or crash.
      if (!isUnavailable(error)) this.onError(error);
      return this.decideAlone(error instanceof Error ? error.message.split('\n')[0]! : String(error), local);
    }
  }

  private decideAlone<T>(reason: string, local: () => T): T {
    if (!this.alone) {
      this.alone = true;
      this.log.warn({ redis: 'limits', reason }, 'limits counted by this instance alone until Redis answers');
    }
    return local();
  }

  /** Renews this instance's connections, and removes those closed while Redis did not answer. */
  private renew(): void {
    if (this.closed || !this.link.isUp) return;
    const report = (error: unknown) => {
      if (!isUnavailable(error)) this.onError(error);
    };
    this.flushRemovals().catch(report);
    const users = [...this.local.open];
    for (let start = 0; start < users.length; start += RENEW_BATCH) {
      const batch = users.slice(start, start + RENEW_BATCH);
      const keys = batch.map(([user]) => this.connectionsKey(user));
      const members = batch.map(([, ids]) => [...ids].map((connId) => this.member(connId)).join(' '));
      this.redis.titanLimitRenew(keys.length, ...keys, this.leaseMs, ...members).catch(report);
    }
  }

  private forget(key: string, member: string): void {
    const members = this.removals.get(key);
    if (members) members.add(member);
    else this.removals.set(key, new Set([member]));
  }

  /** Removes the closed members in one round trip; those that fail stay for the next attempt. */
  private async flushRemovals(): Promise<void> {
    if (this.removals.size === 0) return;
    const pending = [...this.removals];
    this.removals.clear();
    const pipeline = this.redis.pipeline();
    for (const [key, members] of pending) pipeline.zrem(key, ...members);
    try {
      const results = await pipeline.exec();
      if (results?.some(([error]) => error !== null)) throw results.find(([error]) => error !== null)![0];
    } catch (error) {
      for (const [key, members] of pending) for (const member of members) this.forget(key, member);
      throw error;
    }
  }

  private connectionsKey(user: string): string {
    return `${this.connectionsPrefix}:${user}`;
  }

  private member(connId: string): string {
    return `${this.instanceId}:${connId}`;
  }
}
