import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, followWithResume } from '../support/protocol-client.js';
import { startSentinel, type TestSentinel } from '../support/sentinel.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';

/** A server given `REDIS_URL=redis+sentinel://…` finds the master through Sentinel and follows a failover. */
let sentinel: TestSentinel;
let server: ServerProcess;
let trader: string;
let publisher: string;

beforeAll(async () => {
  sentinel = await startSentinel();
  server = await startProcess('main.ts', { REDIS_URL: sentinel.url });
  [trader, publisher] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('svc', ['publisher'])]);
});

afterAll(async () => {
  await server?.stop();
  await sentinel?.stop();
});

type SignalData = { signal: { reason: string; cursor: string } };
const SIGNALS = `subscription ($after: Cursor) {
  signal(strategyIds: ["ma-crossover"], symbols: ["SENTINEL"], after: $after) { reason cursor }
}`;
const PUBLISH = `mutation ($reason: String!) {
  publishSignal(input: { strategyId: "ma-crossover", symbol: "SENTINEL", side: SELL, price: 1, confidence: 0.5, reason: $reason }) { cursor }
}`;

/**
 * Publishes signal `reason`, retrying while the server reports a failure: a publish that failed was
 * not stored (the server never answers success for a lost write), so retrying cannot duplicate it.
 */
async function publish(reason: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { data, errors } = await execute<{ publishSignal: { cursor: string } }>(server.graphqlUrl, PUBLISH, { reason }, publisher);
    if (data?.publishSignal) return data.publishSignal.cursor;
    if (Date.now() > deadline) throw new Error(`publish ${reason} kept failing: ${JSON.stringify(errors)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Redis through Sentinel', () => {
  it('publishes and delivers through the master Sentinel names, and goes on after the master crashed and the replica took over', async () => {
    const start = await publish('start');
    const follower = followWithResume<SignalData>({
      wsUrl: server.wsUrl,
      token: trader,
      query: SIGNALS,
      variables: {},
      after: start,
      cursorOf: (payload) => payload.data!.signal.cursor,
      done: (received) => received.length >= 40,
      timeoutMs: 25_000,
    });
    for (let i = 0; i < 20; i += 1) await publish(`#${i}`);
    // Every event so far is on the replica before it is promoted (replication is asynchronous).
    await sentinel.master.client.wait(1, 5000);

    await sentinel.killMaster();
    for (let i = 20; i < 40; i += 1) await publish(`#${i}`);

    const received = await follower;
    expect(received.map((payload) => payload.data!.signal.reason)).toEqual(Array.from({ length: 40 }, (_, i) => `#${i}`));
    await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 5000 }).toBe(200);
  });
});
