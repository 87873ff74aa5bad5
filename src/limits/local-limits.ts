import { RateLimiter } from '../auth/rate-limiter.js';
import { rates, type ConnectionSlots, type LimitsSettings, type RateLimit, type SharedLimits } from './limits.js';

/** A token bucket per key in this process. */
export class LocalRate implements RateLimit {
  private readonly buckets: RateLimiter;
  readonly burst: number;
  constructor(rate: { perSecond: number; burst: number }) {
    this.buckets = new RateLimiter(rate);
    this.burst = rate.burst;
  }
  take(key: string, count = 1): Promise<number> {
    return Promise.resolve(this.buckets.take(key, count));
  }
  /** The same, at once (the shared limits' fallback). */
  takeNow(key: string, count = 1): number {
    return this.buckets.take(key, count);
  }
}

/** This process's connections per user. */
export class LocalSlots implements ConnectionSlots {
  /** Connection ids per user; a user without any has no entry. */
  readonly open = new Map<string, Set<string>>();
  constructor(private readonly limit: number) {}

  acquire(user: string, connId: string): Promise<boolean> {
    return Promise.resolve(this.acquireNow(user, connId));
  }

  /** Counts it if under the limit (or already counted); false if refused. */
  acquireNow(user: string, connId: string): boolean {
    const held = this.open.get(user);
    if (held?.has(connId)) return true;
    if ((held?.size ?? 0) >= this.limit) return false;
    this.add(user, connId);
    return true;
  }

  /** Counts it whatever the limit (the shared count already admitted it). */
  add(user: string, connId: string): void {
    const held = this.open.get(user);
    if (held) held.add(connId);
    else this.open.set(user, new Set([connId]));
  }

  /** Stops counting it; true if it was counted. */
  release(user: string, connId: string): boolean {
    const held = this.open.get(user);
    if (!held?.delete(connId)) return false;
    if (held.size === 0) this.open.delete(user);
    return true;
  }
}

/** Every limit counted in this process alone (no `REDIS_URL`). */
export function memoryLimits(limits: LimitsSettings['limits']): SharedLimits {
  const rate = rates(limits);
  const slots = new LocalSlots(limits.connectionsPerUser);
  return {
    mutations: new LocalRate(rate.mutations),
    publishes: new LocalRate(rate.publishes),
    connects: new LocalRate(rate.connects),
    connections: { acquire: (user, connId) => slots.acquire(user, connId), release: (user, connId) => void slots.release(user, connId) },
    isHealthy: () => true,
    close: async () => {},
  };
}
