import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPublisher } from '../../src/publish/index.js';
import { ProtocolClient, execute, type NextPayload } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';

/**
 * Real processes on one real Redis: two API instances (A, B), the feed process, and other services
 * publishing through the TypeScript publisher and the Redis ingest stream.
 */
let redis: TestRedis;
let a: ServerProcess;
let b: ServerProcess;
let feed: ServerProcess;
let trader: string;
let publisher: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // Analytics off: they subscribe every price channel on every instance, and this file counts the fan-out's subscriptions.
  const env = { REDIS_URL: redis.url, BACKTEST_BARS_PER_SECOND: '5000', ANALYTICS: '0' };
  [a, b, feed] = await Promise.all([
    startProcess('main.ts', env),
    startProcess('main.ts', env),
    startProcess('feed.ts', { ...env, FEED_SYMBOLS: 'BTC-USD,ETH-USD', FEED_TICKS_PER_SECOND: '20' }),
  ]);
  [trader, publisher] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('svc', ['publisher'])]);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await Promise.all([a?.stop(), b?.stop(), feed?.stop()]);
  await redis?.stop();
});

async function connect(server: ServerProcess): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, trader);
  clients.push(client);
  return client;
}

type Tick = { price: { symbol: string; price: number; cursor: string } };
const PRICE = 'subscription ($symbols: [String!]!) { price(symbols: $symbols) { symbol price cursor } }';

/** Subscribes, then publishes through B until a tick arrives: delivery has demonstrably started. */
async function subscribePrices(server: ServerProcess, id: string, symbol: string): Promise<ProtocolClient> {
  const client = await connect(server);
  client.subscribe(id, PRICE, { symbols: [symbol] });
  await client.untilLive(id, () =>
    execute(b.graphqlUrl, `mutation { publishPrice(input: { symbol: "${symbol}", price: 0.5 }) { price } }`, {}, publisher),
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  client.drain(id);
  return client;
}

describe('several instances on one Redis', () => {
  it('delivers the feed process ticks to clients of every instance, identically', async () => {
    const [onA, onB] = await Promise.all([connect(a), connect(b)]);
    onA.subscribe('t', PRICE, { symbols: ['BTC-USD'] });
    onB.subscribe('t', PRICE, { symbols: ['BTC-USD'] });
    const [fromA, fromB] = await Promise.all([onA.collect<Tick>('t', 20), onB.collect<Tick>('t', 20)]);
    for (const event of [...fromA, ...fromB]) expect(event.data?.price.symbol).toBe('BTC-USD');
    // The two subscriptions start a few ticks apart: from the later one's first tick on, both
    // clients got the same ticks in the same order.
    const [seenOnA, seenOnB] = [fromA, fromB].map((events) => events.map((e) => e.data?.price.cursor));
    const [early, late] = seenOnA!.includes(seenOnB![0]) ? [seenOnA, seenOnB] : [seenOnB, seenOnA];
    const at = early!.indexOf(late![0]);
    expect(at).toBeGreaterThanOrEqual(0);
    const overlap = Math.min(early!.length - at, late!.length);
    expect(overlap).toBeGreaterThanOrEqual(10);
    expect(late!.slice(0, overlap)).toEqual(early!.slice(at, at + overlap));
  });

  it('delivers a publishPrice made on B to a subscriber on A, exactly once', async () => {
    const onA = await subscribePrices(a, 'x', 'CROSS');
    const { data } = await execute<{ publishPrice: { cursor: string } }>(
      b.graphqlUrl, 'mutation { publishPrice(input: { symbol: "CROSS", price: 123.45 }) { cursor } }', {}, publisher,
    );
    const [event] = await onA.collect<Tick>('x', 1);
    expect(event?.data?.price).toEqual({ symbol: 'CROSS', price: 123.45, cursor: data?.publishPrice.cursor });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(onA.drain('x')).toEqual([]);
  });

  it('holds one Redis subscription per channel per process, however many clients subscribe', async () => {
    const subscribers = await Promise.all([1, 2, 3].map((n) => subscribePrices(a, `f${n}`, 'FANOUT')));
    const [, count] = (await redis.client.pubsub('NUMSUB', 'titan:price:live:FANOUT')) as [string, number];
    expect(count).toBe(1);
    await execute(b.graphqlUrl, 'mutation { publishPrice(input: { symbol: "FANOUT", price: 3 }) { price } }', {}, publisher);
    for (const [index, client] of subscribers.entries()) {
      expect((await client.collect<Tick>(`f${index + 1}`, 1))[0]?.data?.price.price).toBe(3);
    }
  });

  it('delivers what another service publishes with the TypeScript publisher, and refuses invalid events', async () => {
    const onB = await subscribePrices(b, 'ts', 'TSPUB');
    const service = await connectPublisher({ redisUrl: redis.url });
    try {
      await expect(service.publishPrice({ symbol: 'TSPUB', price: -1 })).rejects.toThrow(/price must be/);
      await expect(service.publishSignal({ strategyId: 'nope', symbol: 'TSPUB', side: 'BUY', price: 1, confidence: 0.5 })).rejects.toThrow(/strategy/);
      await service.publishPrice({ symbol: 'TSPUB', price: 77, bid: 76.9, ask: 77.1 });
    } finally {
      await service.close();
    }
    const [event] = await onB.collect<Tick>('ts', 1);
    expect(event?.data?.price).toMatchObject({ symbol: 'TSPUB', price: 77 });
  });

  it('publishes entries of the Redis ingest stream exactly once across instances, and rejects invalid ones with a reason', async () => {
    const onA = await subscribePrices(a, 'in', 'INGEST');
    await redis.client.xadd('titan:ingest', '*', 'type', 'price', 'data', JSON.stringify({ symbol: 'INGEST', price: 0 }));
    await redis.client.xadd('titan:ingest', '*', 'type', 'price', 'data', '{not json');
    await redis.client.xadd('titan:ingest', '*', 'type', 'trade', 'data', '{}');
    await redis.client.xadd('titan:ingest', '*', 'type', 'price', 'data', JSON.stringify({ symbol: 'INGEST', price: 10.5 }));
    const [event] = await onA.collect<Tick>('in', 1);
    expect(event?.data?.price).toMatchObject({ symbol: 'INGEST', price: 10.5 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(onA.drain('in')).toEqual([]);
    const rejected = await redis.client.xrange('titan:ingest:rejected', '-', '+');
    const reasons = rejected.map(([, fields]) => fields[fields.indexOf('error') + 1]);
    // Both instances consume the group, so rejections may be recorded in either order.
    expect(reasons).toHaveLength(3);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringContaining('price must be'),
        'field "data" must be a JSON object',
        expect.stringContaining('field "type" must be "price" or "signal"'),
      ]),
    );
  });

  it('runs a backtest on A that B can follow, read and cancel', async () => {
    const start = `mutation ($bars: Int) { startBacktest(input: { strategyId: "ma-crossover", symbol: "BTC-USD", bars: $bars }) { id } }`;
    const quick = (await execute<{ startBacktest: { id: string } }>(a.graphqlUrl, start, { bars: 2000 }, trader)).data!.startBacktest.id;
    const follower = await connect(b);
    follower.subscribe('bt', 'subscription ($id: ID!) { backtestProgress(id: $id) { status progress } }', { id: quick });
    let last: { status: string } | undefined;
    for (;;) {
      const message = await follower.waitFor((m) => m.id === 'bt', 20_000);
      if (message.type === 'complete') break;
      last = (message.payload as NextPayload<{ backtestProgress: { status: string } }>).data?.backtestProgress;
    }
    expect(last?.status).toBe('COMPLETED');
    const read = await execute<{ backtest: { status: string; result: { trades: number } } }>(
      b.graphqlUrl, 'query ($id: ID!) { backtest(id: $id) { status result { trades } } }', { id: quick }, trader,
    );
    expect(read.data?.backtest.status).toBe('COMPLETED');

    const long = (await execute<{ startBacktest: { id: string } }>(a.graphqlUrl, start, { bars: 1_000_000 }, trader)).data!.startBacktest.id;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelled = await execute<{ cancelBacktest: { status: string } }>(
      b.graphqlUrl, 'mutation ($id: ID!) { cancelBacktest(id: $id) { status } }', { id: long }, trader,
    );
    expect(cancelled.data?.cancelBacktest.status).toBe('CANCELLED');
    const onA = await execute<{ backtest: { status: string; message: string } }>(
      a.graphqlUrl, 'query ($id: ID!) { backtest(id: $id) { status message } }', { id: long }, trader,
    );
    expect(onA.data?.backtest).toEqual({ status: 'CANCELLED', message: 'Cancelled on request' });
  });
});

describe('start-up checks', () => {
  it('refuses to start in production without JWT_SECRET, naming it', async () => {
    await expect(startProcess('main.ts', { NODE_ENV: 'production', JWT_SECRET: '' })).rejects.toThrow(/JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL is required/);
  });

  it('refuses a bad value with a message naming the variable and the value', async () => {
    await expect(startProcess('main.ts', { PORT: 'eighty', FEED_TICKS_PER_SECOND: '-1' })).rejects.toThrow(
      /PORT must be a number from 0 to 65535 \(got "eighty"\)[\s\S]*FEED_TICKS_PER_SECOND/,
    );
  });

  it('refuses to run the feed process without Redis', async () => {
    await expect(startProcess('feed.ts', { REDIS_URL: '' })).rejects.toThrow(/REDIS_URL is required/);
  });
});
