import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, followWithResume } from '../support/protocol-client.js';
import { startNginx, type TestNginx } from '../support/nginx.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';

/**
 * Scale-out as it runs in production: three server processes on one Redis behind a real nginx with
 * deploy/nginx.conf (round-robin, no sticky sessions). Clients only know nginx's address.
 */
let redis: TestRedis;
let instances: ServerProcess[] = [];
let nginx: TestNginx;
let trader: string;
let publisher: string;

beforeAll(async () => {
  redis = await startRedis();
  instances = await Promise.all([1, 2, 3].map(() => startProcess('main.ts', { REDIS_URL: redis.url })));
  nginx = await startNginx(instances.map((instance) => Number(new URL(instance.url).port)));
  [trader, publisher] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('svc', ['publisher'])]);
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(instances.map((instance) => instance.stop()));
  await redis?.stop();
});

type SignalData = { signal: { reason: string; cursor: string } };
const SIGNALS = `subscription ($symbol: String!, $after: Cursor) {
  signal(strategyIds: ["ma-crossover"], symbols: [$symbol], after: $after) { reason cursor }
}`;
const PUBLISH = `mutation ($symbol: String!, $reason: String!) {
  publishSignal(input: { strategyId: "ma-crossover", symbol: $symbol, side: BUY, price: 1, confidence: 0.5, reason: $reason }) { cursor }
}`;

/** Publishes signal `reason` on `symbol` through `graphqlUrl` (an instance or nginx); resolves with its cursor. */
async function publishSignal(graphqlUrl: string, symbol: string, reason: string): Promise<string> {
  const { status, data, errors } = await execute<{ publishSignal: { cursor: string } }>(graphqlUrl, PUBLISH, { symbol, reason }, publisher);
  if (!data?.publishSignal) throw new Error(`publish ${reason} through ${graphqlUrl} failed (${status}): ${JSON.stringify(errors)}`);
  return data.publishSignal.cursor;
}

const numbered = (count: number) => Array.from({ length: count }, (_, i) => `#${i}`);

/**
 * `clients` clients follow `symbol` through nginx from `after`, each like a real client: on any
 * close it reconnects (through nginx) and resumes after its last cursor, until it has `count`
 * events. Resolves with each client's events and how many times it subscribed.
 */
function followThroughNginx(clients: number, symbol: string, after: string, count: number) {
  return Array.from({ length: clients }, async () => {
    let subscriptions = 0;
    const events = await followWithResume<SignalData>({
      wsUrl: nginx.wsUrl,
      token: trader,
      query: SIGNALS,
      variables: { symbol },
      after,
      cursorOf: (payload) => payload.data!.signal.cursor,
      done: (received) => received.length >= count,
      onSubscribe: () => (subscriptions += 1),
      timeoutMs: 20_000,
    });
    return { reasons: events.map((event) => event.data!.signal.reason), cursors: events.map((event) => event.data!.signal.cursor), subscriptions };
  });
}

describe('three instances behind nginx', () => {
  it('spreads WebSocket clients over every instance, and each gets every event published through any of them, in order', async () => {
    const start = await publishSignal(nginx.graphqlUrl, 'SPREAD', 'start');
    const followers = followThroughNginx(6, 'SPREAD', start, 40);
    // Through each instance directly and through nginx (which again picks any instance).
    const paths = [...instances.map((instance) => instance.graphqlUrl), nginx.graphqlUrl];
    for (const [index, reason] of numbered(40).entries()) await publishSignal(paths[index % paths.length]!, 'SPREAD', reason);

    for (const { reasons, cursors } of await Promise.all(followers)) {
      expect(reasons).toEqual(numbered(40));
      expect(new Set(cursors).size).toBe(40);
    }
    // nginx logs each WebSocket when it closes: the six landed on all three instances (no stickiness).
    await expect.poll(() => upstreamsOfWebSockets().size, { timeout: 5000 }).toBe(3);
  });

  it('moves the clients of a killed instance to the others, which resume after their last cursor: no loss, no duplicate', async () => {
    const total = 150;
    const start = await publishSignal(nginx.graphqlUrl, 'KILL', 'start');
    const followers = followThroughNginx(6, 'KILL', start, total);
    const [victim, ...survivors] = instances;
    let paths = [...instances.map((instance) => instance.graphqlUrl), nginx.graphqlUrl];
    for (const [index, reason] of numbered(total).entries()) {
      if (index === 50) {
        await victim!.kill();
        // Publishing goes on through the survivors and through nginx, which skips the dead one.
        paths = [...survivors.map((instance) => instance.graphqlUrl), nginx.graphqlUrl];
      }
      await publishSignal(paths[index % paths.length]!, 'KILL', reason);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    const results = await Promise.all(followers);
    for (const { reasons, cursors } of results) {
      expect(reasons).toEqual(numbered(total));
      expect(new Set(cursors).size).toBe(total);
    }
    // Round-robin put two of the six on the killed instance: they resubscribed, the others did not.
    const resumed = results.filter((result) => result.subscriptions > 1).length;
    expect(resumed).toBeGreaterThanOrEqual(1);
    expect(resumed).toBeLessThan(6);
  });
});

/** Upstream addresses of the WebSocket handshakes (status 101) in nginx's access log. */
function upstreamsOfWebSockets(): Set<string> {
  const lines = nginx.output().split('\n').filter((line) => line.includes('"GET /graphql HTTP/1.1" 101'));
  return new Set(lines.map((line) => /upstream=(\S+)/.exec(line)?.[1] ?? ''));
}
