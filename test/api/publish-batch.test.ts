import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor } from '../../src/bus/cursor.js';
import { connectPublisher, ValidationError } from '../../src/publish/index.js';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';

/**
 * The batch mutations, `publishPrices` and `publishSignals`, against servers on a real Redis:
 * per-item results and errors, ids respected per item, the batch bound, each input counted against
 * the publisher's rate on every transport and instance, and subscribers receiving a batch in order.
 */

let redis: TestRedis;
let server: InProcessServer;
/** Two instances on the same Redis with a small publishing rate: 10 per second, a burst of 20. */
let rated: [InProcessServer, InProcessServer];
let trader: string;
let publisher: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const slow = { REDIS_URL: redis.url, PUBLISHES_PER_SECOND: '10' };
  const [main, one, two] = await Promise.all([
    startServer({ REDIS_URL: redis.url, PUBLISH_BATCH_MAX: '50', DEMO_FEED: 'false' }),
    startServer(slow),
    startServer(slow),
  ]);
  server = main;
  rated = [one, two];
  trader = await tokenFor('alice', ['trader']);
  publisher = await tokenFor('batch-feed', ['publisher']);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await Promise.all([server, ...(rated ?? [])].filter(Boolean).map((s) => s.stop()));
  await redis?.stop();
});

const ITEM = 'items { index id cursor duplicate error { code message } } published failed';
const PUBLISH_PRICES = `mutation ($inputs: [PriceInput!]!) { publishPrices(inputs: $inputs) { ${ITEM} } }`;
const PUBLISH_SIGNALS = `mutation ($inputs: [SignalInput!]!) { publishSignals(inputs: $inputs) { ${ITEM} } }`;
const PRICE_SUBSCRIPTION = `subscription ($symbols: [String!]!) { price(symbols: $symbols) { id symbol price cursor } }`;

interface Item {
  index: number;
  id: string | null;
  cursor: string | null;
  duplicate: boolean;
  error: { code: string; message: string } | null;
}
interface Batch {
  items: Item[];
  published: number;
  failed: number;
}

function publishPrices(inputs: unknown[], url = server.graphqlUrl, token = publisher) {
  return execute<{ publishPrices: Batch }>(url, PUBLISH_PRICES, { inputs }, token);
}

function publishSignals(inputs: unknown[], token = publisher) {
  return execute<{ publishSignals: Batch }>(server.graphqlUrl, PUBLISH_SIGNALS, { inputs }, token);
}

/** A subscriber of `symbols` whose subscription delivers (the warm-up tick cleared). */
async function subscriber(symbols: string[]): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, trader);
  clients.push(client);
  client.subscribe('p', PRICE_SUBSCRIPTION, { symbols });
  await client.untilLive('p', () => publishPrices([{ symbol: symbols[0], price: 1 }]));
  await new Promise((resolve) => setTimeout(resolve, 50));
  client.drain('p');
  return client;
}

const offset = (cursor: string | null | undefined) => decodeCursor(cursor ?? '')?.offset ?? -1;

describe('publishPrices', () => {
  it('publishes the valid items in order; the invalid one fails alone, naming its index and field', async () => {
    const client = await subscriber(['BATCH-A']);
    const prices = [10, 11, -1, 12, 13];
    const { data, errors } = await publishPrices(prices.map((price) => ({ symbol: 'BATCH-A', price })));
    expect(errors).toBeUndefined();
    const batch = data!.publishPrices;
    expect(batch).toMatchObject({ published: 4, failed: 1 });
    expect(batch.items.map((item) => item.index)).toEqual([0, 1, 2, 3, 4]);
    const bad = batch.items[2]!;
    expect(bad.cursor).toBeNull();
    expect(bad.error?.code).toBe('BAD_USER_INPUT');
    expect(bad.error?.message).toMatch(/^inputs\[2\]: price must be a finite number above 0/);
    const good = batch.items.filter((item) => item.error === null);
    const offsets = good.map((item) => offset(item.cursor));
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    expect(new Set(offsets).size).toBe(4);

    const events = await client.collect<{ price: { price: number; cursor: string } }>('p', 4);
    expect(events.map((event) => event.data?.price.price)).toEqual([10, 11, 12, 13]);
    expect(events.map((event) => event.data?.price.cursor)).toEqual(good.map((item) => item.cursor));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.drain('p')).toEqual([]);
  });

  it('respects ids per item: a repeat inside the batch and a retried batch publish nothing new', async () => {
    const client = await subscriber(['BATCH-ID']);
    const inputs = [
      { id: 'feed-a', symbol: 'BATCH-ID', price: 1.5 },
      { id: 'feed-b', symbol: 'BATCH-ID', price: 2.5 },
      { id: 'feed-a', symbol: 'BATCH-ID', price: 1.5 },
    ];
    const first = (await publishPrices(inputs)).data!.publishPrices;
    expect(first.items.map((item) => [item.id, item.duplicate])).toEqual([['feed-a', false], ['feed-b', false], ['feed-a', true]]);
    expect(first.items[2]!.cursor).toBe(first.items[0]!.cursor);
    expect(first).toMatchObject({ published: 3, failed: 0 });

    // The publisher did not get the answer, say, and sends the batch again.
    const retry = (await publishPrices(inputs)).data!.publishPrices;
    expect(retry.items.every((item) => item.duplicate)).toBe(true);
    expect(retry.items.map((item) => item.cursor)).toEqual(first.items.map((item) => item.cursor));

    const events = await client.collect<{ price: { id: string; price: number } }>('p', 2);
    expect(events.map((event) => event.data?.price.id)).toEqual(['feed-a', 'feed-b']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.drain('p')).toEqual([]);
  });

  it(`refuses a batch over PUBLISH_BATCH_MAX as a whole, publishing nothing`, async () => {
    const inputs = Array.from({ length: 51 }, (_, i) => ({ symbol: 'BATCH-BIG', price: i + 1 }));
    const { status, data, errors } = await publishPrices(inputs);
    expect(data?.publishPrices).toBeUndefined();
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toBe('inputs may hold at most 50 events (PUBLISH_BATCH_MAX; got 51)');
    expect(status).toBe(200);
    const { data: after } = await execute<{ prices: unknown[] }>(server.graphqlUrl, `{ prices(symbols: ["BATCH-BIG"]) { price } }`, {}, trader);
    expect(after?.prices).toEqual([]);
    // 50 is within the bound.
    expect((await publishPrices(inputs.slice(0, 50))).data?.publishPrices.published).toBe(50);
  });

  it('is for publishers only, and an empty batch does nothing', async () => {
    const { errors } = await publishPrices([{ symbol: 'BATCH-A', price: 1 }], server.graphqlUrl, trader);
    expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Over a trader's burst (MUTATIONS_PER_SECOND 10: 20), still FORBIDDEN: a batch it may not send counts one.
    const many = await publishPrices(Array.from({ length: 30 }, () => ({ symbol: 'BATCH-A', price: 1 })), server.graphqlUrl, trader);
    expect(many.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await publishPrices([])).data?.publishPrices).toEqual({ items: [], published: 0, failed: 0 });
  });
});

describe('publishSignals', () => {
  it('publishes in order with ids (a UUID when omitted); an unknown strategy fails alone', async () => {
    const client = await ProtocolClient.connect(server.wsUrl, trader);
    clients.push(client);
    client.subscribe('s', `subscription { signal(symbols: ["BATCH-SIG"]) { id side price } }`);
    const signal = (price: number, extra: Record<string, unknown> = {}) => ({
      strategyId: 'ma-crossover', symbol: 'BATCH-SIG', side: 'BUY', price, confidence: 0.5, ...extra,
    });
    await client.untilLive('s', () => publishSignals([signal(1)]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.drain('s');

    const { data } = await publishSignals([signal(2, { id: 'sig-2' }), signal(3, { strategyId: 'nope' }), signal(4)]);
    const batch = data!.publishSignals;
    expect(batch).toMatchObject({ published: 2, failed: 1 });
    expect(batch.items[0]).toMatchObject({ index: 0, id: 'sig-2', duplicate: false, error: null });
    expect(batch.items[1]!.error).toEqual({ code: 'BAD_USER_INPUT', message: 'inputs[1]: strategyId "nope" is not a known strategy' });
    expect(batch.items[2]!.id).toMatch(/^[0-9a-f-]{36}$/);

    const events = await client.collect<{ signal: { id: string; price: number } }>('s', 2);
    expect(events.map((event) => event.data?.signal.price)).toEqual([2, 4]);
    expect(events.map((event) => event.data?.signal.id)).toEqual([batch.items[0]!.id, batch.items[2]!.id]);
  });
});

describe('the TypeScript publisher', () => {
  it('publishes a batch straight to Redis: per-item results, subscribers of the API get it in order once', async () => {
    const client = await subscriber(['BATCH-TS']);
    const direct = await connectPublisher({ redisUrl: redis.url });
    try {
      const inputs = [
        { id: 'ts-1', symbol: 'BATCH-TS', price: 1 },
        { id: 'ts-2', symbol: 'BATCH-TS', price: 2, bid: 3, ask: 1 },
        { id: 'ts-3', symbol: 'BATCH-TS', price: 3 },
        { id: 'ts-1', symbol: 'BATCH-TS', price: 1 },
      ];
      const results = await direct.publishPrices(inputs);
      expect(results.map((result) => ('error' in result ? 'error' : result.envelope.payload.id))).toEqual(['ts-1', 'error', 'ts-3', 'ts-1']);
      const bad = results[1] as { error: ValidationError };
      expect(bad.error).toBeInstanceOf(ValidationError);
      expect(bad.error.problems).toEqual(['bid 3 is above ask 1']);
      expect((results[3] as { envelope: { duplicate?: true } }).envelope.duplicate).toBe(true);
      const events = await client.collect<{ price: { id: string } }>('p', 2);
      expect(events.map((event) => event.data?.price.id)).toEqual(['ts-1', 'ts-3']);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(client.drain('p')).toEqual([]);
    } finally {
      await direct.close();
    }
  });
});

describe('rate per item', () => {
  it('counts each input against PUBLISHES_PER_SECOND across instances: 15 pass, 15 more are RATE_LIMITED', async () => {
    const user = await tokenFor('batch-rate-1', ['publisher']);
    const batch = (symbol: string, count: number) => Array.from({ length: count }, (_, i) => ({ symbol, price: i + 1 }));
    const passed = await publishPrices(batch('RATE-A', 15), rated[0].graphqlUrl, user);
    expect(passed.data?.publishPrices.published).toBe(15);
    // The burst of 20 has 5 left (and about one more since): 15 more on the other instance are refused whole.
    const refused = await publishPrices(batch('RATE-B', 15), rated[1].graphqlUrl, user);
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    const retryAfterMs = (refused.errors?.[0]?.extensions as { retryAfterMs: number }).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(500);
    expect(retryAfterMs).toBeLessThanOrEqual(1000);
    const { data } = await execute<{ prices: unknown[] }>(rated[1].graphqlUrl, `{ prices(symbols: ["RATE-B"]) { price } }`, {}, trader);
    expect(data?.prices).toEqual([]);
    // A single publish still fits.
    expect((await publishPrices(batch('RATE-A', 1), rated[1].graphqlUrl, user)).data?.publishPrices.published).toBe(1);
  });

  it('refuses a batch over the burst (30 against 20), which could never pass, with BAD_USER_INPUT naming it', async () => {
    const user = await tokenFor('batch-rate-2', ['publisher']);
    const inputs = Array.from({ length: 30 }, (_, i) => ({ symbol: 'RATE-C', price: i + 1 }));
    const { status, errors } = await publishPrices(inputs, rated[0].graphqlUrl, user);
    expect(status).toBe(200);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toContain('at most 20 at once (twice PUBLISHES_PER_SECOND)');
    // Nothing was counted: the whole burst is still there.
    expect((await publishPrices(inputs.slice(0, 20), rated[0].graphqlUrl, user)).data?.publishPrices.published).toBe(20);
  });

  it('counts a batch sent over WebSocket, written as a literal, the same way', async () => {
    const user = await tokenFor('batch-rate-3', ['publisher']);
    const client = await ProtocolClient.connect(rated[0].wsUrl, user);
    clients.push(client);
    const literal = Array.from({ length: 15 }, (_, i) => `{ symbol: "RATE-WS", price: ${i + 1} }`).join(' ');
    client.subscribe('m', `mutation { publishPrices(inputs: [${literal}]) { published } }`);
    const [result] = await client.collect<{ publishPrices: { published: number } }>('m', 1);
    expect(result?.data?.publishPrices.published).toBe(15);
    const refused = await publishPrices(Array.from({ length: 15 }, () => ({ symbol: 'RATE-WS', price: 1 })), rated[1].graphqlUrl, user);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});

describe('Redis not answering', () => {
  it('answers UNAVAILABLE for the whole batch; the retry with the same ids delivers each item once', async () => {
    const client = await subscriber(['BATCH-OUT']);
    const inputs = [1, 2, 3].map((price) => ({ id: `out-${price}`, symbol: 'BATCH-OUT', price }));
    redis.signal('SIGSTOP');
    let answer;
    try {
      answer = await publishPrices(inputs);
    } finally {
      redis.signal('SIGCONT');
    }
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE' });
    expect((answer.errors?.[0]?.extensions as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
    let retry = await publishPrices(inputs);
    for (let attempt = 0; retry.errors && attempt < 50; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      retry = await publishPrices(inputs);
    }
    expect(retry.data?.publishPrices.published).toBe(3);
    const events = await client.collect<{ price: { id: string } }>('p', 3);
    expect(events.map((event) => event.data?.price.id)).toEqual(['out-1', 'out-2', 'out-3']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.drain('p')).toEqual([]);
  });

  it('refuses publishes past PUBLISH_MAX_IN_FLIGHT at once with RATE_LIMITED and retryAfterMs, and takes them again once answered', async () => {
    const bounded = await startServer({ REDIS_URL: redis.url, PUBLISH_MAX_IN_FLIGHT: '10', DEMO_FEED: 'false', REDIS_COMMAND_TIMEOUT_MS: '1000' });
    const inputs = (count: number, tag: string) => Array.from({ length: count }, (_, i) => ({ id: `${tag}-${i}`, symbol: 'IN-FLIGHT', price: i + 1 }));
    try {
      redis.signal('SIGSTOP');
      let held: ReturnType<typeof publishPrices> | undefined;
      let refused: Awaited<ReturnType<typeof publishPrices>>;
      let refusedInMs: number;
      try {
        // Eight inputs wait for the frozen Redis (after their rate, which waits 1 s for Redis then
        // counts locally); five more would be thirteen in flight.
        held = publishPrices(inputs(8, 'held'), bounded.graphqlUrl);
        await new Promise((resolve) => setTimeout(resolve, 1300));
        const started = Date.now();
        refused = await publishPrices(inputs(5, 'over'), bounded.graphqlUrl);
        refusedInMs = Date.now() - started;
      } finally {
        redis.signal('SIGCONT');
      }
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect((refused.errors?.[0]?.extensions as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
      // At once: not after the command timeout (REDIS_COMMAND_TIMEOUT_MS, 1 s) its rate or its publish would wait.
      expect(refusedInMs).toBeLessThan(700);
      await held;
      const after = await publishPrices(inputs(10, 'after'), bounded.graphqlUrl);
      expect(after.data?.publishPrices.published).toBe(10);
    } finally {
      await bounded.stop();
    }
  });
});
