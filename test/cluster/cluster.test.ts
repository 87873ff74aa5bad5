import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute, followWithResume, type GraphQLResponse } from '../support/protocol-client.js';
import { startCluster, type TestCluster } from '../support/redis-cluster.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';

/**
 * `REDIS_URL=redis+cluster://…`: two API processes on a local 3-master Redis Cluster (one replica
 * each). Each topic's keys share a slot (`titan:{signal}:…`), live messages go by sharded pub/sub,
 * and a master that crashes is replaced by its replica while both processes stay up.
 */
let cluster: TestCluster;
let a: ServerProcess;
let b: ServerProcess;
let trader: string;
let publisher: string;

/** Short timeouts, so a failover is noticed and left behind within seconds. */
const ENV = { REDIS_COMMAND_TIMEOUT_MS: '500', REDIS_CONNECT_TIMEOUT_MS: '500', REDIS_RETRY_MAX_DELAY_MS: '200' };

beforeAll(async () => {
  cluster = await startCluster();
  const env = { REDIS_URL: cluster.url, ...ENV };
  [a, b, trader, publisher] = await Promise.all([
    startProcess('main.ts', env),
    startProcess('main.ts', env),
    tokenFor('alice', ['trader']),
    tokenFor('svc', ['publisher', 'trader']),
  ]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await cluster?.stop();
});

type SignalData = { signal: { id: string; reason: string; cursor: string } };
const SIGNALS = `subscription ($symbols: [String!], $after: Cursor) {
  signal(strategyIds: ["ma-crossover"], symbols: $symbols, after: $after) { id reason cursor }
}`;
const PUBLISH_SIGNAL = `mutation ($input: SignalInput!) { publishSignal(input: $input) { id cursor } }`;
type Published = GraphQLResponse<{ publishSignal: { id: string; cursor: string } }>;

function publishSignal(server: ServerProcess, symbol: string, id: string): Promise<Published> {
  const input = { id, strategyId: 'ma-crossover', symbol, side: 'BUY', price: 1, confidence: 0.5, reason: id };
  return execute(server.graphqlUrl, PUBLISH_SIGNAL, { input }, publisher);
}

/** Publishes until it is stored, the same id every time: a refused attempt may or may not have been. */
async function publishUntilStored(server: ServerProcess, symbol: string, id: string, seen: string[] = []): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const result = await publishSignal(server, symbol, id);
    if (result.data?.publishSignal) return result.data.publishSignal.cursor;
    // While a master fails over, the only answer besides success is UNAVAILABLE with its retry hint.
    for (const error of result.errors ?? []) seen.push(String(error.extensions?.code));
    if (Date.now() > deadline) throw new Error(`publish ${id} kept failing: ${JSON.stringify(result.errors)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function subscribe(server: ServerProcess, symbol: string, after?: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, trader);
  client.subscribe('s', SIGNALS, { symbols: [symbol], after });
  return client;
}

const reasons = (payloads: { data?: SignalData }[]) => payloads.map((payload) => payload.data!.signal.reason);

describe('Redis Cluster', () => {
  it('keeps each topic in one slot and spreads the topics over the masters', async () => {
    await publishUntilStored(a, 'SLOTS', 'slots-1');
    expect(await cluster.client.exists('titan:{signal}:offset', 'titan:{signal}:epoch', 'titan:{signal}:stream:ma-crossover')).toBe(3);
    const masters = new Set(await Promise.all(['price', 'signal', 'backtestProgress', 'backtestCancel'].map(async (topic) => (await cluster.masterOf(`{${topic}}`)).port)));
    expect(masters.size).toBeGreaterThan(1);
  });

  it('delivers events published through either instance to subscribers on both, in order', async () => {
    const start = await publishUntilStored(a, 'BOTH', 'both-0');
    const [onA, onB] = await Promise.all([subscribe(a, 'BOTH', start), subscribe(b, 'BOTH', start)]);
    try {
      for (let i = 1; i <= 10; i += 1) await publishUntilStored(i % 2 ? a : b, 'BOTH', `both-${i}`);
      const expected = Array.from({ length: 10 }, (_, i) => `both-${i + 1}`);
      expect(reasons(await onA.collect<SignalData>('s', 10))).toEqual(expected);
      expect(reasons(await onB.collect<SignalData>('s', 10))).toEqual(expected);
    } finally {
      onA.close();
      onB.close();
    }
  });

  it('resumes on one instance after a cursor given by the other', async () => {
    const first = await publishUntilStored(a, 'RESUME', 'resume-1');
    for (let i = 2; i <= 4; i += 1) await publishUntilStored(b, 'RESUME', `resume-${i}`);
    const resumed = await subscribe(b, 'RESUME', first);
    try {
      expect(reasons(await resumed.collect<SignalData>('s', 3))).toEqual(['resume-2', 'resume-3', 'resume-4']);
      await publishUntilStored(a, 'RESUME', 'resume-5');
      expect(reasons(await resumed.collect<SignalData>('s', 1))).toEqual(['resume-5']);
    } finally {
      resumed.close();
    }
  });

  it('publishes each ingest stream entry once, whichever instance reads it, and copies a rejected one', async () => {
    const start = await publishUntilStored(a, 'INGEST', 'ingest-0');
    const [onA, onB] = await Promise.all([subscribe(a, 'INGEST', start), subscribe(b, 'INGEST', start)]);
    try {
      const entry = (reason: string) => JSON.stringify({ strategyId: 'ma-crossover', symbol: 'INGEST', side: 'SELL', price: 2, confidence: 0.9, reason });
      await cluster.client.xadd('titan:{ingest}', '*', 'type', 'signal', 'data', '{"not":"a signal"}');
      for (let i = 1; i <= 20; i += 1) await cluster.client.xadd('titan:{ingest}', '*', 'type', 'signal', 'data', entry(`ingest-${i}`));
      // Both instances read the stream (one group), each a batch at a time: batches read by different
      // instances may be published in either order, but every subscriber sees the one stored order.
      const expected = Array.from({ length: 20 }, (_, i) => `ingest-${i + 1}`);
      const [seenOnA, seenOnB] = [reasons(await onA.collect<SignalData>('s', 20)), reasons(await onB.collect<SignalData>('s', 20))];
      expect([...seenOnA].sort()).toEqual([...expected].sort());
      expect(seenOnB).toEqual(seenOnA);
      // Nothing more: no entry was published twice.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(onA.drain('s')).toEqual([]);
      expect(await cluster.client.xlen('titan:{ingest}:rejected')).toBe(1);
      await expect.poll(async () => ((await cluster.client.xpending('titan:{ingest}', 'titan-ingest')) as [number])[0]).toBe(0);
    } finally {
      onA.close();
      onB.close();
    }
  });

  it('records a backtest on one instance that the other reads', async () => {
    const started = await execute<{ startBacktest: { id: string } }>(
      a.graphqlUrl,
      'mutation ($input: StartBacktestInput!) { startBacktest(input: $input) { id } }',
      { input: { strategyId: 'ma-crossover', symbol: 'BTC-USD', bars: 200 } },
      trader,
    );
    expect(started.errors, JSON.stringify(started.errors)).toBeUndefined();
    const id = started.data!.startBacktest.id;
    await expect
      .poll(async () => (await execute<{ backtests: { id: string; status: string }[] }>(b.graphqlUrl, '{ backtests { id status } }', {}, trader)).data?.backtests, {
        timeout: 15_000,
      })
      .toContainEqual({ id, status: 'COMPLETED' });
  });

  it('goes on after the master of a topic crashed: publishes are refused with UNAVAILABLE or stored, subscriptions resume from their cursors, the ingest stream flows again', async () => {
    const start = await publishUntilStored(a, 'FAILOVER', 'failover-0');
    const follow = (server: ServerProcess) =>
      followWithResume<SignalData>({
        wsUrl: server.wsUrl,
        token: trader,
        query: SIGNALS,
        variables: { symbols: ['FAILOVER'] },
        after: start,
        cursorOf: (payload) => payload.data!.signal.cursor,
        done: (received) => received.length >= 43,
        timeoutMs: 60_000,
      });
    const followers = [follow(a), follow(b)];
    const refusals: string[] = [];
    for (let i = 1; i <= 20; i += 1) await publishUntilStored(i % 2 ? a : b, 'FAILOVER', `failover-${i}`, refusals);
    const master = await cluster.masterOf('{signal}');
    // Replication is asynchronous: what the test relies on is on the replica before its master dies
    // (without WAIT, writes acknowledged in the last moments before a crash can be lost).
    await master.client.set('{signal}:fence', '1');
    expect(await master.client.call('WAIT', '1', '5000')).toBe(1);

    await cluster.kill(master);
    // Published while the replica takes over: each is refused (UNAVAILABLE) until it is stored.
    for (let i = 21; i <= 40; i += 1) await publishUntilStored(i % 2 ? a : b, 'FAILOVER', `failover-${i}`, refusals);
    await cluster.promoted('{signal}', master);
    // The ingest stream lived on the crashed master too: its consumers go on with the new one.
    for (let i = 41; i <= 43; i += 1) {
      const data = JSON.stringify({ strategyId: 'ma-crossover', symbol: 'FAILOVER', side: 'SELL', price: 2, confidence: 0.9, reason: `failover-${i}` });
      await cluster.client.xadd('titan:{ingest}', '*', 'type', 'signal', 'data', data);
    }

    const expected = Array.from({ length: 43 }, (_, i) => `failover-${i + 1}`);
    const [onA, onB] = (await Promise.all(followers)).map(reasons);
    expect(onA!.slice(0, 40)).toEqual(expected.slice(0, 40));
    // Entries read by different instances may be published in either order (see the ingest test).
    expect([...onA!.slice(40)].sort()).toEqual(expected.slice(40));
    expect(onB).toEqual(onA);
    // The crash was felt (the first publishes after it found no master), and only as UNAVAILABLE.
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((code) => code === 'UNAVAILABLE'), refusals.join()).toBe(true);
    for (const server of [a, b]) {
      await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    }
  });
});
