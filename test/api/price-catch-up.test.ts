import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute, type NextPayload } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';

/**
 * The large-gap rule (`bus/catch-up.ts`, `PRICE_REPLAY_MAX`): a price resume replays the missed ticks
 * one by one while they are at most PRICE_REPLAY_MAX, and gets the newest tick of each symbol that
 * changed instead when more were missed (or some are no longer retained, or the subscription is
 * capped); then live, without a duplicate. Signals always replay every event. On the shared path and
 * on a stream of its own (a field with a directive takes that path), on the in-memory bus and on Redis.
 */
const REPLAY_MAX = 5;
let server: InProcessServer;
let trader: string;
let publisher: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  [trader, publisher] = await Promise.all([tokenFor('ivy', ['trader']), tokenFor('svc', ['publisher'])]);
});

afterAll(() => {
  cleanups.forEach((cleanup) => cleanup());
});

async function connect(): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, trader);
  cleanups.push(() => client.close());
  return client;
}

const PATHS = [
  ['the shared path', ''],
  ['a stream of its own', '@include(if: true)'],
] as const;
const pricesAfter = (directive: string) =>
  `subscription ($symbols: [String!]!, $after: Cursor, $rate: Float) { price(symbols: $symbols, after: $after, maxRate: $rate) ${directive} { symbol price cursor } }`;
type PriceData = { price: { symbol: string; price: number; cursor: string } };

/** Publishes ticks in this order as one batch; resolves with the cursor of the last. */
async function publish(ticks: [symbol: string, price: number][]): Promise<string> {
  const { data, errors } = await execute<{ publishPrices: { items: { cursor: string }[] } }>(
    server.graphqlUrl,
    'mutation ($inputs: [PriceInput!]!) { publishPrices(inputs: $inputs) { items { cursor } } }',
    { inputs: ticks.map(([symbol, price]) => ({ symbol, price })) },
    publisher,
  );
  expect(errors).toBeUndefined();
  return data!.publishPrices.items.at(-1)!.cursor;
}

const ticksOf = (results: NextPayload<PriceData>[]) => results.map((result) => `${result.data?.price.symbol}:${result.data?.price.price}`);

/** Subscribes after `after`, takes `count` events, then checks that the next live tick comes next (and nothing before it). */
async function resume(directive: string, symbols: string[], after: string, count: number, rate: number | null = null) {
  const client = await connect();
  client.subscribe('p', pricesAfter(directive), { symbols, after, rate });
  const caughtUp = ticksOf(await client.collect<PriceData>('p', count));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const extra = client.drain('p');
  await publish([[symbols[0]!, 999]]);
  const live = ticksOf(await client.collect<PriceData>('p', 1));
  client.close();
  return { caughtUp, extra: extra.length, live };
}

describe.each(['memory', 'redis'] as const)('on the %s bus', (kind) => {
  let redis: TestRedis | null = null;

  beforeAll(async () => {
    redis = kind === 'redis' ? await startRedis() : null;
    server = await startServer({ PRICE_REPLAY_MAX: String(REPLAY_MAX), HISTORY_MAX_LEN: '30', ...(redis ? { REDIS_URL: redis.url } : {}) });
  });

  afterAll(async () => {
    await server.stop();
    await redis?.stop();
  });

  describe.each(PATHS)('a price resume on %s', (_path, directive) => {
    const tag = directive ? 'OWN' : 'SHARED';

    it(`replays every missed tick while they are at most PRICE_REPLAY_MAX (${REPLAY_MAX})`, async () => {
      const [a, b] = [`GAP5-A-${tag}`, `GAP5-B-${tag}`];
      const after = await publish([[a, 1], [b, 1]]);
      await publish([[a, 2], [b, 2], [a, 3], [a, 4], [b, 3]]);
      const { caughtUp, extra, live } = await resume(directive, [a, b], after, 5);
      expect(caughtUp).toEqual([`${a}:2`, `${b}:2`, `${a}:3`, `${a}:4`, `${b}:3`]);
      expect(extra).toBe(0);
      expect(live).toEqual([`${a}:999`]);
    });

    it('gets the newest tick of each symbol that changed instead when more were missed, then live', async () => {
      const [a, b, quiet] = [`GAP6-A-${tag}`, `GAP6-B-${tag}`, `GAP6-Q-${tag}`];
      await publish([[quiet, 7]]);
      const after = await publish([[a, 1], [b, 1]]);
      await publish([[a, 2], [b, 2], [a, 3], [a, 4], [b, 3], [a, 5]]);
      const { caughtUp, extra, live } = await resume(directive, [a, b, quiet], after, 2);
      // In publish order; the quiet symbol did not change after the cursor, so nothing of it comes.
      expect(caughtUp).toEqual([`${b}:3`, `${a}:5`]);
      expect(extra).toBe(0);
      expect(live).toEqual([`${a}:999`]);
    });

    it('gets the newest tick per symbol when the missed ticks are no longer retained (instead of CURSOR_EXPIRED)', async () => {
      const a = `TRIM-${tag}`;
      const after = await publish([[a, 1]]);
      // HISTORY_MAX_LEN is 30 (Redis trims whole stream nodes of 100): the first of these is gone.
      await publish(Array.from({ length: 250 }, (_, index): [string, number] => [a, index + 2]));
      const { caughtUp, extra, live } = await resume(directive, [a], after, 1);
      expect(caughtUp).toEqual([`${a}:251`]);
      expect(extra).toBe(0);
      expect(live).toEqual([`${a}:999`]);
    });

    it('always gets the newest per symbol when capped (maxRate), even for a small gap', async () => {
      const [a, b] = [`GAPCAP-A-${tag}`, `GAPCAP-B-${tag}`];
      const after = await publish([[a, 1], [b, 1]]);
      await publish([[a, 2], [a, 3], [b, 2]]);
      const client = await connect();
      client.subscribe('p', pricesAfter(directive), { symbols: [a, b], after, rate: 10 });
      expect(ticksOf(await client.collect<PriceData>('p', 2))).toEqual([`${a}:3`, `${b}:2`]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(client.drain('p')).toEqual([]);
    });

    it('ends with CURSOR_EXPIRED when the history was reset (another epoch), as before', async () => {
      const client = await connect();
      const fromAnotherHistory = Buffer.from('c1:otherepoch:1').toString('base64url');
      client.subscribe('p', pricesAfter(directive), { symbols: [`EPOCH-${tag}`], after: fromAnotherHistory, rate: null });
      const answer = await client.waitFor((message) => message.id === 'p' && message.type !== 'complete');
      expect(JSON.stringify(answer.payload)).toContain('CURSOR_EXPIRED');
    });
  });

  describe('a signal resume', () => {
    it('replays every missed signal however many, past PRICE_REPLAY_MAX', async () => {
      const publishSignal = (reason: string) =>
        execute<{ publishSignal: { cursor: string } }>(
          server.graphqlUrl,
          'mutation ($reason: String) { publishSignal(input: { strategyId: "rsi-reversion", symbol: "GAPSIG", side: BUY, price: 1, confidence: 0.5, reason: $reason }) { cursor } }',
          { reason },
          publisher,
        );
      const after = (await publishSignal('before')).data!.publishSignal.cursor;
      const reasons = Array.from({ length: REPLAY_MAX * 3 }, (_, index) => `missed-${index}`);
      for (const reason of reasons) await publishSignal(reason);
      for (const directive of ['', '@include(if: true)']) {
        const client = await connect();
        client.subscribe('s', `subscription ($after: Cursor) { signal(symbols: ["GAPSIG"], after: $after) ${directive} { reason } }`, { after });
        const replayed = await client.collect<{ signal: { reason: string } }>('s', reasons.length);
        expect(replayed.map((result) => result.data?.signal.reason)).toEqual(reasons);
        client.close();
      }
    });
  });
});
