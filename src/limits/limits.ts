import type { RedisTimeouts } from '../bus/redis-connection.js';
import type { LinkLog } from '../bus/redis-link.js';
import type { Limits } from '../config.js';

/**
 * The limits a client meets on every transport, counted per user or per client address: in this
 * process, or across every instance through Redis when `REDIS_URL` is set (three replicas then hold a
 * user to one budget, not three). Both implementations (`local-limits.ts`, `redis-limits.ts`) have
 * this interface; `openLimits` (`open-limits.ts`) picks one.
 */

/** A rate per key (a user id, a client address). */
export interface RateLimit {
  /**
   * Counts `count` requests of `key` at once (a batch): resolves with 0 if allowed (all counted), else
   * the ms until they would be (none counted). Never rejects. A count over `burst` is never allowed:
   * check it first (what it answers then is the wait until the bucket is full).
   */
  take(key: string, count?: number): Promise<number>;
  /** Requests allowed at once after a quiet period: the most one `take` can count. */
  readonly burst: number;
}

/** Open WebSockets per user, at most `connectionsPerUser`. */
export interface ConnectionSlots {
  /** Counts connection `connId` of `user` if the user is under the limit: false if refused. Never rejects. */
  acquire(user: string, connId: string): Promise<boolean>;
  /** Stops counting it (the socket closed). Safe to call for a connection that was refused. */
  release(user: string, connId: string): void;
}

export interface SharedLimits {
  /** Mutations per user (`MUTATIONS_PER_SECOND`, burst twice as many). */
  readonly mutations: RateLimit;
  /** Mutations per user with role `publisher` (`PUBLISHES_PER_SECOND`, burst twice as many). */
  readonly publishes: RateLimit;
  /** WebSocket connection attempts per client address (`WS_CONNECTS_PER_MINUTE`, all of them at once). */
  readonly connects: RateLimit;
  /** WebSockets per user (`MAX_CONNECTIONS_PER_USER`). */
  readonly connections: ConnectionSlots;
  /** False while the Redis connection does not answer (the limits are then counted per instance); always true in memory. */
  isHealthy(): boolean;
  /** Stops renewing and releases Redis; this instance's connections stop counting after their lease. */
  close(): Promise<void>;
}

/** What `openLimits` takes: the `limits` knobs, and the bus' Redis URL and timeouts. */
export interface LimitsSettings {
  limits: Pick<Limits, 'mutationsPerSecond' | 'publishesPerSecond' | 'connectsPerMinute' | 'connectionsPerUser' | 'connectionLeaseMs'>;
  /** Counted in Redis when set, else in this process. */
  redisUrl: string | undefined;
  timeouts: RedisTimeouts;
  log: LinkLog;
  onError: (error: unknown) => void;
}

/** The rates as token buckets (rate per second and burst), the one place both implementations read them. */
export function rates(limits: LimitsSettings['limits']) {
  return {
    mutations: { perSecond: limits.mutationsPerSecond, burst: Math.max(1, limits.mutationsPerSecond * 2) },
    publishes: { perSecond: limits.publishesPerSecond, burst: Math.max(1, limits.publishesPerSecond * 2) },
    connects: { perSecond: limits.connectsPerMinute / 60, burst: limits.connectsPerMinute },
  } as const;
}
