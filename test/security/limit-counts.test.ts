import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LimitsSettings, SharedLimits } from '../../src/limits/limits.js';
import { openLimits } from '../../src/limits/open-limits.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { testConfig } from '../support/test-config.js';
import { until } from '../support/until.js';

/**
 * The limits module against a real redis-server: the shared counts, their keys in Redis, and what
 * happens when Redis goes away. The servers that use it are tested in shared-limits.test.ts.
 */

let redis: TestRedis;
const opened: SharedLimits[] = [];
const warnings: string[] = [];
const errors: unknown[] = [];

const log = { info: () => {}, warn: (_fields: object, message: string) => void warnings.push(message) };

/** Limits as a server with these variables opens them, on the test's Redis (or in memory with `REDIS_URL: ''`). */
function limitsFor(env: Record<string, string> = {}): SharedLimits {
  const config = testConfig({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '300', ...env });
  const settings: LimitsSettings = { limits: config.limits, redisUrl: config.bus.redisUrl, timeouts: config.bus.timeouts, log, onError: (error) => errors.push(error) };
  const limits = openLimits(settings);
  opened.push(limits);
  return limits;
}

async function healthy(...all: SharedLimits[]): Promise<void> {
  await until(() => all.every((limits) => limits.isHealthy()), 'the limits to reach Redis', 5000);
}

async function takeMany(limits: SharedLimits['mutations'], key: string, count: number): Promise<number[]> {
  const waits: number[] = [];
  for (let i = 0; i < count; i += 1) waits.push(await limits.take(key));
  return waits;
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(opened.map((limits) => limits.close()));
  await redis?.stop();
});

describe('rates in Redis', () => {
  it('share one bucket per key across instances: the burst, then one per interval, with the wait', async () => {
    // 5 per second, a burst of 10.
    const [a, b] = [limitsFor({ MUTATIONS_PER_SECOND: '5' }), limitsFor({ MUTATIONS_PER_SECOND: '5' })];
    await healthy(a, b);
    const waits = [...(await takeMany(a.mutations, 'u1', 5)), ...(await takeMany(b.mutations, 'u1', 5))];
    expect(waits).toEqual(Array(10).fill(0));
    const refused = await a.mutations.take('u1');
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(200);
    expect(await b.mutations.take('u1')).toBeGreaterThan(0);
    // Another key, and another rate of the same key, have their own buckets.
    expect(await b.mutations.take('u2')).toBe(0);
    expect(await b.publishes.take('u1')).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, refused + 20));
    expect(await b.mutations.take('u1')).toBe(0);
  });

  it('keep a key only while its bucket is not full again: an idle user costs nothing', async () => {
    const limits = limitsFor({ MUTATIONS_PER_SECOND: '20' });
    await healthy(limits);
    expect(await limits.mutations.take('idle-user')).toBe(0);
    const key = 'titan:limit:mutations:idle-user';
    const ttl = await redis.client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(50); // one request at 20/s is refilled in 50 ms
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await redis.client.exists(key)).toBe(0);
  });

  it('count connection attempts per address with the whole minute as the burst', async () => {
    const limits = limitsFor({ WS_CONNECTS_PER_MINUTE: '3' });
    await healthy(limits);
    expect(await takeMany(limits.connects, '203.0.113.9', 3)).toEqual([0, 0, 0]);
    const wait = await limits.connects.take('203.0.113.9');
    expect(wait).toBeGreaterThan(19_000);
    expect(wait).toBeLessThanOrEqual(20_000);
  });
});

describe('a batch counted as its size (take(key, count))', () => {
  it.each([
    ['in Redis', {}],
    ['in memory', { REDIS_URL: '' }],
  ])('%s: all of it or none of it, with the wait for all of it', async (_where, env) => {
    // 10 per second, a burst of 20.
    const limits = limitsFor({ PUBLISHES_PER_SECOND: '10', ...env });
    await healthy(limits);
    expect(limits.publishes.burst).toBe(20);
    expect(await limits.publishes.take('batcher', 15)).toBe(0);
    // 5 left: 15 more are refused whole, with the wait for the 10 missing (1 s at 10/s).
    const wait = await limits.publishes.take('batcher', 15);
    expect(wait).toBeGreaterThan(900);
    expect(wait).toBeLessThanOrEqual(1000);
    // The refused batch counted nothing: the 5 left are still there.
    expect(await limits.publishes.take('batcher', 5)).toBe(0);
    expect(await limits.publishes.take('batcher')).toBeGreaterThan(0);
  });
});

describe('connections per user in Redis', () => {
  it('admit up to the limit across instances, free a slot on release, and never count one connection twice', async () => {
    const env = { MAX_CONNECTIONS_PER_USER: '2' };
    const [a, b] = [limitsFor(env), limitsFor(env)];
    await healthy(a, b);
    expect(await a.connections.acquire('ann', 'c1')).toBe(true);
    expect(await a.connections.acquire('ann', 'c1')).toBe(true); // the same connection again
    expect(await b.connections.acquire('ann', 'c2')).toBe(true);
    expect(await a.connections.acquire('ann', 'c3')).toBe(false);
    expect(await b.connections.acquire('ann', 'c3')).toBe(false);
    expect(await b.connections.acquire('ben', 'c3')).toBe(true);
    a.connections.release('ann', 'c1');
    a.connections.release('ann', 'never-acquired');
    await expect.poll(() => b.connections.acquire('ann', 'c3'), { timeout: 2000 }).toBe(true);
    expect(await redis.client.zcard('titan:limit:connections:ann')).toBe(2);
  });

  it("stop counting a dead instance's connections once its lease has passed, and keep the live ones renewed", async () => {
    const env = { MAX_CONNECTIONS_PER_USER: '2', CONNECTION_LEASE_MS: '600' };
    const live = limitsFor(env);
    await healthy(live);
    const key = 'titan:limit:connections:cat';
    // What a renewal of an instance that then died leaves behind: a member expiring after the lease.
    const [seconds, micros] = await redis.client.time();
    await redis.client.zadd(key, Number(seconds) * 1000 + Math.ceil(Number(micros) / 1000) + 600, 'dead-instance:x');
    expect(await live.connections.acquire('cat', 'mine')).toBe(true);
    expect(await live.connections.acquire('cat', 'second')).toBe(false);
    // Past the lease the dead member is pruned by the next check; the live one was renewed meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await live.connections.acquire('cat', 'second')).toBe(true);
    expect((await redis.client.zrange(key, 0, -1)).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/:mine$/), expect.stringMatching(/:second$/)]));
    expect(await redis.client.zscore(key, 'dead-instance:x')).toBeNull();
  });

  it('remove its connections from Redis when closed', async () => {
    const limits = limitsFor({ MAX_CONNECTIONS_PER_USER: '5' });
    await healthy(limits);
    await limits.connections.acquire('dan', 'c1');
    await limits.connections.acquire('dan', 'c2');
    expect(await redis.client.zcard('titan:limit:connections:dan')).toBe(2);
    await limits.close();
    expect(await redis.client.exists('titan:limit:connections:dan')).toBe(0);
  });
});

describe('the same limits in memory (no REDIS_URL)', () => {
  it('count per process with the same rates and limits', async () => {
    const limits = limitsFor({ REDIS_URL: '', MUTATIONS_PER_SECOND: '5', MAX_CONNECTIONS_PER_USER: '1' });
    expect(limits.isHealthy()).toBe(true);
    expect(await takeMany(limits.mutations, 'u', 10)).toEqual(Array(10).fill(0));
    expect(await limits.mutations.take('u')).toBeGreaterThan(0);
    expect(await limits.connections.acquire('eve', 'c1')).toBe(true);
    expect(await limits.connections.acquire('eve', 'c2')).toBe(false);
    limits.connections.release('eve', 'c1');
    expect(await limits.connections.acquire('eve', 'c2')).toBe(true);
  });
});

// Last: it kills the file's Redis (and starts it again).
describe('while Redis is away', () => {
  it('decide on this instance alone, at once, log it once, and share again when Redis is back', async () => {
    const env = { MUTATIONS_PER_SECOND: '1', MAX_CONNECTIONS_PER_USER: '1' };
    const [a, b] = [limitsFor(env), limitsFor(env)];
    await healthy(a, b);
    expect(await a.connections.acquire('fay', 'on-a')).toBe(true);
    warnings.length = 0;
    await redis.kill();
    await until(() => !a.isHealthy() && !b.isHealthy(), 'the limits to notice', 5000);

    const started = Date.now();
    // Each instance has its own budget now (2 at once, MUTATIONS_PER_SECOND=1), still enforced.
    expect(await takeMany(a.mutations, 'gil', 3)).toEqual([0, 0, expect.any(Number)]);
    expect(await takeMany(b.mutations, 'gil', 3)).toEqual([0, 0, expect.any(Number)]);
    expect(await b.mutations.take('gil')).toBeGreaterThan(0);
    // Connections: b does not know a's; each counts its own.
    expect(await b.connections.acquire('fay', 'on-b')).toBe(true);
    expect(await b.connections.acquire('fay', 'on-b-2')).toBe(false);
    expect(Date.now() - started).toBeLessThan(200);
    // Once per instance and outage (RedisLink logs the connection's own lines).
    expect(warnings.filter((line) => line.startsWith('limits'))).toEqual([
      'limits counted by this instance alone until Redis answers',
      'limits counted by this instance alone until Redis answers',
    ]);
    b.connections.release('fay', 'on-b');
    expect(await b.connections.acquire('fay', 'on-b-3')).toBe(true);

    // Back (empty): the renewals put both instances' connections into Redis again, and counts are shared.
    await redis.restart();
    await healthy(a, b);
    await expect
      .poll(() => redis.client.zrange('titan:limit:connections:fay', 0, -1).catch(() => []), { timeout: 5000 })
      .toEqual(expect.arrayContaining([expect.stringMatching(/:on-a$/), expect.stringMatching(/:on-b-3$/)]));
    expect(await a.connections.acquire('fay', 'on-a-2')).toBe(false);
    expect(errors).toEqual([]);
  });
});
