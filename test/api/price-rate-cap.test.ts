import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute, type NextPayload, type ProtocolMessage } from '../support/protocol-client.js';
import { SseSubscription } from '../support/sse-client.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';
import { until } from '../support/until.js';

/**
 * `price(maxRate:)`: at most that many ticks per second per symbol, ending on the latest, on the
 * shared fan-out (one cap per group) and on a stream of its own (a field with a directive takes
 * that path); signals are never capped; bad rates are BAD_USER_INPUT on every transport.
 */
let server: InProcessServer;
let trader: string;
let publisher: string;
const cleanups: (() => void)[] = [];
/** The server's own bus listeners (e.g. backtest cancellation), there before any subscriber. */
let ownListeners: number;

beforeAll(async () => {
  // Analytics follow every symbol with ticks (bus listeners of their own): off, the count is the fan-out's.
  server = await startServer({ ANALYTICS: '0' });
  ownListeners = server.stats().bus.listeners;
  [trader, publisher] = await Promise.all([tokenFor('ivy', ['trader']), tokenFor('svc', ['publisher'])]);
});

afterAll(async () => {
  cleanups.forEach((cleanup) => cleanup());
  await server.stop();
});

async function connect(): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, trader);
  cleanups.push(() => client.close());
  return client;
}

const CAPPED = 'subscription ($symbols: [String!]!, $rate: Float) { price(symbols: $symbols, maxRate: $rate) { symbol price } }';
/** The same subscription on a stream of its own: the shared path takes no field with a directive. */
const CAPPED_OWN = 'subscription ($symbols: [String!]!, $rate: Float) { price(symbols: $symbols, maxRate: $rate) @include(if: true) { symbol price } }';
type PriceData = { price: { symbol: string; price: number } };

const PUBLISH = 'mutation ($inputs: [PriceInput!]!) { publishPrices(inputs: $inputs) { published } }';
async function publishTicks(symbols: readonly string[], price: number): Promise<void> {
  const { errors } = await execute(server.graphqlUrl, PUBLISH, { inputs: symbols.map((symbol) => ({ symbol, price })) }, publisher);
  expect(errors).toBeUndefined();
}

/** Publishes a tick of every symbol every 20 ms (50 per second and symbol) for `ms`; resolves with the last price. */
async function storm(symbols: readonly string[], ms: number, from = 1): Promise<number> {
  const deadline = Date.now() + ms;
  let price = from;
  while (Date.now() < deadline) {
    await publishTicks(symbols, price);
    price += 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return price - 1;
}

/** The prices a subscription received so far, per symbol, in order. */
function received(messages: ProtocolMessage[]): Map<string, number[]> {
  const bySymbol = new Map<string, number[]>();
  for (const message of messages) {
    expect(message.type).toBe('next');
    const tick = (message.payload as NextPayload<PriceData>).data?.price;
    if (tick) bySymbol.set(tick.symbol, [...(bySymbol.get(tick.symbol) ?? []), tick.price]);
  }
  return bySymbol;
}

/** Waits until every subscription has received a first tick, publishing one per symbol meanwhile. */
async function live(client: ProtocolClient, ids: readonly string[], symbols: readonly string[]): Promise<void> {
  for (const id of ids) await client.untilLive(id, () => publishTicks(symbols, 0.5));
  // What the warm-up published may still come at the end of its window: let it, then forget it.
  await new Promise((resolve) => setTimeout(resolve, 600));
  for (const id of ids) client.drain(id);
}

describe('price(maxRate:)', () => {
  it('delivers at most about maxRate ticks per second per symbol, the last one published last, on both paths', async () => {
    const symbols = ['CAP-A', 'CAP-B'];
    const client = await connect();
    client.subscribe('shared', CAPPED, { symbols, rate: 2 });
    client.subscribe('own', CAPPED_OWN, { symbols, rate: 2 });
    client.subscribe('all', CAPPED, { symbols, rate: null });
    await live(client, ['shared', 'own', 'all'], symbols);
    const started = Date.now();
    const last = await storm(symbols, 2000);
    // The trailing send of the last window (500 ms at 2 per second).
    await new Promise((resolve) => setTimeout(resolve, 700));
    const seconds = (Date.now() - started) / 1000;
    const all = received(client.drain('all'));
    for (const id of ['shared', 'own']) {
      const bySymbol = received(client.drain(id));
      for (const symbol of symbols) {
        const prices = bySymbol.get(symbol) ?? [];
        expect(prices.length, `${id} ${symbol}: ${prices.join(',')}`).toBeGreaterThanOrEqual(3);
        expect(prices.length, `${id} ${symbol}: ${prices.join(',')}`).toBeLessThanOrEqual(Math.ceil(2 * seconds) + 1);
        expect(prices.at(-1)).toBe(last);
        expect(prices).toEqual([...prices].sort((a, b) => a - b));
      }
    }
    // Uncapped, every tick.
    for (const symbol of symbols) expect(all.get(symbol)).toHaveLength(last);
    client.close();
  });

  it('is applied once per group: subscribers with the same cap share one, another cap is another group', async () => {
    const symbols = ['CAP-GROUP'];
    const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
    a.subscribe('p', CAPPED, { symbols, rate: 4 });
    b.subscribe('p', CAPPED, { symbols, rate: 4 });
    c.subscribe('p', CAPPED, { symbols, rate: 1 });
    for (const client of [a, b, c]) await client.untilLive('p', () => publishTicks(symbols, 0.5));
    // The first test closed its groups: here, a and b share one, c has its own.
    await until(() => server.stats().fanout.price.groups === 2 && server.stats().fanout.price.members === 3, 'two groups of three members', 5000);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const client of [a, b, c]) client.drain('p');
    const last = await storm(symbols, 1500);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const pricesOf = (client: ProtocolClient) => received(client.drain('p')).get('CAP-GROUP') ?? [];
    const [fromA, fromB, fromC] = [pricesOf(a), pricesOf(b), pricesOf(c)];
    // One cap for the group: both members got the very same ticks.
    expect(fromA).toEqual(fromB);
    expect(fromA.length).toBeLessThanOrEqual(4 * 2.7 + 1);
    expect(fromC.length).toBeLessThanOrEqual(1 * 2.7 + 1);
    expect([fromA.at(-1), fromC.at(-1)]).toEqual([last, last]);
    a.close();
    b.close();
    c.close();
    // Every group gone (the tests before closed theirs), and with them every window's timer; the
    // streams of their own (the first test's) released their bus listeners, and their caps with them.
    await until(() => server.stats().fanout.price.groups === 0, 'the capped groups to close', 5000);
    expect(server.stats().fanout.price.capWindows).toBe(0);
    expect(server.stats().bus.listeners).toBe(ownListeners);
  });

  it('never caps signals: a burst reaches a signal subscriber whole, next to a capped price subscription', async () => {
    const client = await connect();
    client.subscribe('price', CAPPED, { symbols: ['CAP-SIG'], rate: 0.5 });
    client.subscribe('signal', 'subscription { signal(symbols: ["CAP-SIG"]) { reason } }');
    const publishSignals = (reasons: string[]) =>
      execute(
        server.graphqlUrl,
        'mutation ($inputs: [SignalInput!]!) { publishSignals(inputs: $inputs) { published } }',
        { inputs: reasons.map((reason) => ({ strategyId: 'rsi-reversion', symbol: 'CAP-SIG', side: 'BUY', price: 1, confidence: 0.5, reason })) },
        publisher,
      );
    await client.untilLive('signal', () => publishSignals(['warm-up']));
    await client.untilLive('price', () => publishTicks(['CAP-SIG'], 1));
    client.drain('signal');
    const reasons = Array.from({ length: 20 }, (_, index) => `s${index}`);
    for (const reason of reasons) await publishSignals([reason]);
    const signals = await client.collect<{ signal: { reason: string } }>('signal', 20);
    expect(signals.map((signal) => signal.data?.signal.reason)).toEqual(reasons);
    // And the schema offers no cap on signals at all.
    client.subscribe('bad', 'subscription { signal(maxRate: 1) { reason } }');
    const refused = await client.waitFor((message) => message.id === 'bad');
    expect(JSON.stringify(refused.payload)).toContain('GRAPHQL_VALIDATION_FAILED');
    client.close();
  });

  it.each([
    ['zero', 0],
    ['negative', -1],
    ['too small', 0.001],
    ['absurdly high', 1e9],
  ])('refuses a %s maxRate with BAD_USER_INPUT naming it, over WebSocket and SSE', async (_name, rate) => {
    const client = await connect();
    client.subscribe('bad', CAPPED, { symbols: ['CAP-BAD'], rate });
    const answer = await client.waitFor((message) => message.id === 'bad' && (message.type === 'next' || message.type === 'error'));
    const errors = (answer.type === 'next' ? (answer.payload as NextPayload).errors : answer.payload) as NextPayload['errors'];
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toMatch(/^maxRate must be a number of updates per second from 0\.01 to 100/);
    const sse = await SseSubscription.open(server.graphqlUrl, trader, CAPPED, { symbols: ['CAP-BAD'], rate });
    cleanups.push(() => sse.close());
    await sse.until((subscription) => subscription.completed, 'the SSE answer');
    expect(sse.results()[0]?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses an infinite literal (1e400) as BAD_USER_INPUT', async () => {
    const { errors } = await execute(server.graphqlUrl, 'subscription { price(symbols: ["CAP-BAD"], maxRate: 1e400) { price } }', {}, trader);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
