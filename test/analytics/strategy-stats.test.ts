import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startServer, tokenFor, tokens, type InProcessServer } from '../support/start-server.js';

/**
 * Strategy figures on Redis: two instances on one Redis answer the same figures for the same history,
 * an instance started after the events (a restart) rebuilds them from the retained streams, and a
 * token limited to some strategies sees only theirs.
 */
let redis: TestRedis;
const servers: InProcessServer[] = [];
let publisher: string;
let trader: string;
const leftovers: (() => void)[] = [];

const ENV = { PUBLISHES_PER_SECOND: '100000', MUTATIONS_PER_SECOND: '10000', HISTORY_MAX_LEN: '50', ANALYTICS_STATS_THROTTLE_MS: '100' };

beforeAll(async () => {
  redis = await startRedis();
  servers.push(await startServer({ ...ENV, REDIS_URL: redis.url }), await startServer({ ...ENV, REDIS_URL: redis.url }));
  [publisher, trader] = await Promise.all([tokenFor('feed', ['publisher']), tokenFor('alice', ['trader'])]);
});

afterAll(async () => {
  leftovers.forEach((dispose) => dispose());
  await Promise.all(servers.map((server) => server.stop()));
  await redis.stop();
});

const STATS = `query ($ids: [ID!]) { strategyStats(strategyIds: $ids) {
  strategyId signals buys sells since realisedPnl unrealisedPnl totalPnl roundTrips winningRoundTrips hitRate cursor
  positions { symbol side quantity entryPrice markPrice unrealisedPnl } } }`;

async function stats(server: InProcessServer, ids: string[] | null, token = trader) {
  return execute<{ strategyStats: Record<string, unknown>[] }>(server.graphqlUrl, STATS, { ids }, token);
}

async function publishSignals(server: InProcessServer, signals: { strategyId: string; symbol: string; side: 'BUY' | 'SELL'; price: number }[]) {
  const inputs = signals.map((signal) => ({ ...signal, confidence: 0.5 }));
  const result = await execute(server.graphqlUrl, 'mutation ($inputs: [SignalInput!]!) { publishSignals(inputs: $inputs) { failed } }', { inputs }, publisher);
  expect(result.errors).toBeUndefined();
}

async function publishPrice(server: InProcessServer, symbol: string, price: number) {
  const result = await execute(server.graphqlUrl, 'mutation ($input: PriceInput!) { publishPrice(input: $input) { cursor } }', { input: { symbol, price } }, publisher);
  expect(result.errors).toBeUndefined();
}

/** Figures of every instance, once they all answer the same cursor (they read the same events). */
async function agreed(ids: string[]) {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const answers = await Promise.all(servers.map(async (server) => JSON.stringify((await stats(server, ids)).data?.strategyStats)));
    if (answers.every((answer) => answer === answers[0])) return JSON.parse(answers[0] ?? 'null') as Record<string, unknown>[];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the instances did not come to give the same figures');
}

describe('strategyStats across instances', () => {
  it('gives identical figures on two instances and on one started after the events (from the retained window)', async () => {
    const [first, second] = servers as [InProcessServer, InProcessServer];
    await publishPrice(first, 'STATS-A', 100);
    // 60 signals into a window of HISTORY_MAX_LEN = 50: the 10 oldest fall out on every instance alike.
    const sides = ['BUY', 'SELL', 'SELL', 'BUY'] as const;
    await publishSignals(second, Array.from({ length: 60 }, (_, n) => ({ strategyId: 'ma-crossover', symbol: n % 3 === 0 ? 'STATS-B' : 'STATS-A', side: sides[n % 4]!, price: 90 + (n % 7) })));
    await publishPrice(second, 'STATS-A', 104);
    await publishPrice(first, 'STATS-B', 95);
    const before = await agreed(['ma-crossover']);
    expect(before[0]).toMatchObject({ strategyId: 'ma-crossover', signals: 50 });
    expect((before[0]?.positions as { markPrice: number }[]).map((position) => position.markPrice)).toEqual([104, 95]);

    // Restart the second instance: it rebuilds the window and the prices from the retained streams.
    await second.stop();
    servers[1] = await startServer({ ...ENV, REDIS_URL: redis.url });
    const after = await agreed(['ma-crossover']);
    expect(after).toEqual(before);
    const candles = '{ candleHistory(symbol: "STATS-A", interval: ONE_SECOND) { candles { openTime open high low close volume ticks closed cursor } cursor } }';
    const [one, other] = await Promise.all(servers.map((server) => execute(server.graphqlUrl, candles, {}, trader)));
    // The bars (cursors included) are the same; the snapshot cursor is where each instance read, which may differ.
    expect(one?.data?.candleHistory).toBeDefined();
    expect((one?.data?.candleHistory as { candles: unknown[] }).candles).toEqual((other?.data?.candleHistory as { candles: unknown[] }).candles);
  });

  it('updates a subscriber on every signal and on price moves of a held symbol', async () => {
    const [first, second] = servers as [InProcessServer, InProcessServer];
    const client = await ProtocolClient.connect(first.wsUrl, trader);
    leftovers.push(() => client.close());
    client.subscribe('s', 'subscription { strategyStats(strategyIds: ["rsi-reversion"]) { strategyId signals unrealisedPnl } }');
    const [initial] = await client.collect<{ strategyStats: { signals: number } }>('s', 1);
    const signalsBefore = initial!.data!.strategyStats.signals;
    await publishSignals(second, [{ strategyId: 'rsi-reversion', symbol: 'STATS-C', side: 'BUY', price: 10 }]);
    await client.waitFor((m) => m.id === 's' && (m.payload as { data: { strategyStats: { signals: number } } }).data.strategyStats.signals === signalsBefore + 1);
    await publishPrice(second, 'STATS-C', 13);
    await client.waitFor((m) => m.id === 's' && (m.payload as { data: { strategyStats: { unrealisedPnl: number } } }).data.strategyStats.unrealisedPnl === 3);
  });
});

describe('strategyStats entitlements', () => {
  it('shows a limited token only its strategies, and refuses others with FORBIDDEN', async () => {
    const [first] = servers as [InProcessServer];
    const limited = await tokens.issue('bob', ['trader'], '1h', { strategies: ['rsi-reversion'] });
    const all = await stats(first, null, limited);
    expect(all.data?.strategyStats.map((entry) => entry.strategyId)).toEqual(['rsi-reversion']);
    const refused = await stats(first, ['ma-crossover'], limited);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const client = await ProtocolClient.connect(first.wsUrl, limited);
    leftovers.push(() => client.close());
    client.subscribe('s', 'subscription { strategyStats { strategyId } }');
    client.subscribe('x', 'subscription { strategyStats(strategyIds: ["ma-crossover"]) { strategyId } }');
    const denied = await client.waitFor((m) => m.id === 'x');
    expect(JSON.stringify(denied.payload)).toContain('FORBIDDEN');
    const [event] = await client.collect<{ strategyStats: { strategyId: string } }>('s', 1);
    expect(event?.data?.strategyStats.strategyId).toBe('rsi-reversion');
    await publishSignals(first, [{ strategyId: 'ma-crossover', symbol: 'STATS-D', side: 'BUY', price: 1 }, { strategyId: 'rsi-reversion', symbol: 'STATS-D', side: 'SELL', price: 1 }]);
    const [next] = await client.collect<{ strategyStats: { strategyId: string } }>('s', 1);
    expect(next?.data?.strategyStats.strategyId).toBe('rsi-reversion');
  });
});
