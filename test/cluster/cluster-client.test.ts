import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../../src/bus/redis-connection.js';
import { isUnavailable } from '../../src/bus/unavailable.js';
import { startCluster, type TestCluster } from '../support/redis-cluster.js';
import { testConfig } from '../support/test-config.js';

/** The cluster client every Redis user of the API gets from a `redis+cluster://` URL, on a real cluster. */
let cluster: TestCluster;
const clients: RedisClient[] = [];
const { timeouts } = testConfig().bus;

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await cluster?.stop();
});

/** A client as the bus makes it: nothing waits in a queue while Redis is away, nothing is sent twice. */
function client(url: string): RedisClient {
  const created = createRedisClient(url, { enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1 }, timeouts);
  created.on('error', () => {});
  clients.push(created);
  return created;
}

describe('Redis Cluster client', () => {
  it('answers a burst sent as soon as it is ready, while its connections to the masters are still being opened', async () => {
    const fresh = client(cluster.url);
    await new Promise((resolve) => fresh.once('ready', resolve));
    // Keys on every master: ioredis opens a node's connection on its first command.
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => fresh.set(`burst:${i}`, String(i))));
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
  });

  it('refuses at once, as unavailable, while no node of the cluster answers', async () => {
    const away = client('redis+cluster://127.0.0.1:1');
    const started = Date.now();
    const error = await away.get('x').catch((caught: unknown) => caught);
    expect(isUnavailable(error), String(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(200);
  });
});
