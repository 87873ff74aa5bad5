import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisLink } from '../../src/bus/redis-link.js';
import { startRedis } from '../support/redis.js';

/** How the API sees one Redis connection: up, down, and what it logs about it. */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function recorder() {
  const lines: { level: string; msg: string; fields: Record<string, unknown>; at: number }[] = [];
  const record = (level: string) => (fields: object, msg: string) => lines.push({ level, msg, fields: fields as Record<string, unknown>, at: Date.now() });
  return { lines, log: { info: record('info'), warn: record('warn') } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('RedisLink', () => {
  it('logs one line when the connection is lost, a reminder per interval while down, one with the duration when back', async () => {
    const redis = await startRedis({ persistent: true });
    cleanups.push(() => redis.stop());
    const client = new Redis(redis.url, { commandTimeout: 200, retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    const { lines, log } = recorder();
    const errors: unknown[] = [];
    const link = new RedisLink(client, { role: 'test', log, onError: (error) => errors.push(error), probeIntervalMs: 50, reminderMs: 300 });
    cleanups.push(() => {
      link.stop();
      client.disconnect();
    });
    await until(() => link.isUp, 'the link to be up');

    await redis.kill();
    await until(() => !link.isUp, 'the link to go down');
    await sleep(1000);
    await redis.restart();
    await until(() => link.isUp, 'the link to be back');

    const messages = lines.map((line) => line.msg);
    expect(messages[0]).toBe('redis connected');
    expect(messages.filter((msg) => msg === 'redis connection lost')).toHaveLength(1);
    const reminders = lines.filter((line) => line.msg === 'redis still unreachable');
    // About one every 300 ms over the second the server was away, never one per reconnect attempt.
    expect(reminders.length).toBeGreaterThanOrEqual(2);
    expect(reminders.length).toBeLessThanOrEqual(4);
    const back = lines.filter((line) => line.msg === 'redis connection back');
    expect(back).toHaveLength(1);
    expect(back[0]?.fields.downMs).toBeGreaterThanOrEqual(1000);
    // Connection refused, again and again: expected, so never passed on as an error.
    expect(errors).toEqual([]);
  });

  it('notices a frozen Redis by its unanswered probes, and reconnects once it answers again', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const client = new Redis(redis.url, { commandTimeout: 100, connectTimeout: 200, retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    const { lines, log } = recorder();
    const link = new RedisLink(client, { role: 'test', log, onError: () => {}, probeIntervalMs: 50, reminderMs: 10_000 });
    cleanups.push(() => {
      link.stop();
      client.disconnect();
    });
    await until(() => link.isUp, 'the link to be up');
    redis.signal('SIGSTOP');
    try {
      await until(() => !link.isUp, 'the link to go down while Redis is frozen');
      expect(lines.find((line) => line.msg === 'redis connection lost')?.fields.reason).toBe('not answering');
      await sleep(500);
    } finally {
      redis.signal('SIGCONT');
    }
    await until(() => link.isUp, 'the link to be back');
    expect(await client.ping()).toBe('PONG');
  });
});
