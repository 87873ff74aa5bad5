import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor } from '../../src/bus/cursor.js';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startServer, tokenFor, type TestServer } from '../support/start-server.js';

let server: TestServer;
let trader: string;
let publisher: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  server = await startServer();
  trader = await tokenFor('alice', ['trader']);
  publisher = await tokenFor('feed-service', ['publisher']);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await server.stop();
});

async function connect(): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, trader);
  clients.push(client);
  return client;
}

const PUBLISH_PRICE = `mutation ($input: PriceInput!) { publishPrice(input: $input) { symbol price bid ask volume timestamp cursor } }`;
const PUBLISH_SIGNAL = `mutation ($input: SignalInput!) { publishSignal(input: $input) { id strategyId symbol side confidence reason cursor } }`;
const PRICE_SUBSCRIPTION = `subscription ($symbols: [String!]!) { price(symbols: $symbols) { symbol price bid ask cursor } }`;

type Tick = { symbol: string; price: number; bid: number; ask: number; cursor: string };

function publishPrice(input: Record<string, unknown>) {
  return execute<{ publishPrice: Tick & { volume: number; timestamp: string } }>(server.graphqlUrl, PUBLISH_PRICE, { input }, publisher);
}

/** Waits until the subscription delivers, then clears what the warm-up published. */
async function settle(client: ProtocolClient, id: string, symbol: string): Promise<void> {
  await client.untilLive(id, () => publishPrice({ symbol, price: 1 }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  client.drain(id);
}

describe('publishing prices', () => {
  it('delivers a published tick to WebSocket subscribers of its symbol, in order, with increasing cursors', async () => {
    const client = await connect();
    client.subscribe('p', PRICE_SUBSCRIPTION, { symbols: ['WSTEST', 'OTHER'] });
    await settle(client, 'p', 'WSTEST');
    const published = [];
    for (const price of [10, 11, 12]) published.push((await publishPrice({ symbol: 'WSTEST', price, bid: price - 0.5, ask: price + 0.5 })).data?.publishPrice);
    await publishPrice({ symbol: 'UNWATCHED', price: 5 });
    const events = await client.collect<{ price: Tick }>('p', 3);
    expect(events.map((e) => e.data?.price.price)).toEqual([10, 11, 12]);
    expect(events.map((e) => e.data?.price.cursor)).toEqual(published.map((p) => p?.cursor));
    const offsets = events.map((e) => decodeCursor(e.data?.price.cursor ?? '')?.offset ?? 0);
    expect(offsets[0]).toBeLessThan(offsets[1] ?? 0);
    expect(offsets[1]).toBeLessThan(offsets[2] ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.drain('p')).toEqual([]);
  });

  it('fills defaults: bid and ask from price, volume 0, the server time', async () => {
    const before = Date.now();
    const { data } = await publishPrice({ symbol: 'DEFAULTS', price: 42.5 });
    expect(data?.publishPrice).toMatchObject({ symbol: 'DEFAULTS', price: 42.5, bid: 42.5, ask: 42.5, volume: 0 });
    expect(Date.parse(data?.publishPrice.timestamp ?? '')).toBeGreaterThanOrEqual(before - 1000);
  });

  it('streams over SSE on the same endpoint', async () => {
    const controller = new AbortController();
    const url = `${server.graphqlUrl}?query=${encodeURIComponent('subscription { price(symbols: ["SSETEST"]) { symbol price } }')}`;
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${trader}` },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    const publishing = setInterval(() => void publishPrice({ symbol: 'SSETEST', price: 7 }), 50);
    try {
      while (!text.includes('"price":7')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    } finally {
      clearInterval(publishing);
      controller.abort();
    }
    expect(text).toContain('event: next');
    expect(text).toContain('{"symbol":"SSETEST","price":7}');
  });

  it.each([
    [{ symbol: 'BTC-USD', price: 0 }, 'price'],
    [{ symbol: 'BTC-USD', price: -3 }, 'price'],
    [{ symbol: '', price: 1 }, 'symbol'],
    [{ symbol: 'btc usd', price: 1 }, 'symbol'],
    [{ symbol: 'BTC-USD', price: 10, bid: 11, ask: 10.5 }, 'bid'],
    [{ symbol: 'BTC-USD', price: 10, volume: -1 }, 'volume'],
    [{ symbol: 'BTC-USD', price: 10, timestamp: 'yesterday' }, 'DateTime'],
  ])('refuses %j with BAD_USER_INPUT naming %s, and no subscriber sees it', async (input, field) => {
    const client = await connect();
    client.subscribe('v', PRICE_SUBSCRIPTION, { symbols: ['BTC-USD'] });
    await settle(client, 'v', 'BTC-USD');
    const { errors, data } = await publishPrice(input);
    expect(data ?? null).toBeNull();
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toContain(field);
    await publishPrice({ symbol: 'BTC-USD', price: 99.5 });
    const [next] = await client.collect<{ price: Tick }>('v', 1);
    expect(next?.data?.price.price).toBe(99.5);
    client.send({ id: 'v', type: 'complete' });
  });

  it('refuses a non-finite price sent as a JSON number literal', async () => {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${publisher}` },
      body: `{"query":${JSON.stringify(PUBLISH_PRICE)},"variables":{"input":{"symbol":"BTC-USD","price":1e999}}}`,
    });
    const body = (await response.json()) as { errors?: { message: string }[] };
    expect(body.errors?.[0]?.message).toMatch(/price|Float/);
  });
});

describe('publishing signals', () => {
  const signal = { strategyId: 'ma-crossover', symbol: 'SIGTEST', side: 'BUY', price: 100, confidence: 0.7, reason: 'test' };

  it('delivers to subscribers whose filters match, and not to others', async () => {
    const client = await connect();
    client.subscribe('all', 'subscription { signal { strategyId symbol side confidence reason } }');
    client.subscribe('rsi', 'subscription { signal(strategyIds: ["rsi-reversion"]) { symbol } }');
    client.subscribe('sym', 'subscription { signal(symbols: ["SIGTEST"]) { symbol side } }');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { data, errors } = await execute<{ publishSignal: { id: string; cursor: string } }>(
      server.graphqlUrl, PUBLISH_SIGNAL, { input: signal }, publisher,
    );
    expect(errors).toBeUndefined();
    expect(data?.publishSignal.id).toBeTruthy();
    const [all] = await client.collect('all', 1);
    expect(all?.data).toEqual({ signal: { strategyId: 'ma-crossover', symbol: 'SIGTEST', side: 'BUY', confidence: 0.7, reason: 'test' } });
    const [bySymbol] = await client.collect('sym', 1);
    expect(bySymbol?.data).toEqual({ signal: { symbol: 'SIGTEST', side: 'BUY' } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.drain('rsi')).toEqual([]);
  });

  it.each([
    [{ ...signal, strategyId: 'no-such-strategy' }, 'strategyId'],
    [{ ...signal, confidence: 1.5 }, 'confidence'],
    [{ ...signal, confidence: -0.1 }, 'confidence'],
    [{ ...signal, price: 0 }, 'price'],
    [{ ...signal, symbol: '' }, 'symbol'],
  ])('refuses %j naming %s', async (input, field) => {
    const { errors } = await execute(server.graphqlUrl, PUBLISH_SIGNAL, { input }, publisher);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toContain(field);
  });

  it('lists recent signals newest first, filtered by strategy and symbol', async () => {
    for (const [strategyId, symbol] of [['ma-crossover', 'LISTA'], ['rsi-reversion', 'LISTA'], ['ma-crossover', 'LISTB']]) {
      await execute(server.graphqlUrl, PUBLISH_SIGNAL, { input: { ...signal, strategyId, symbol } }, publisher);
    }
    const query = `query ($strategyId: ID, $symbol: String, $last: Int) { signals(strategyId: $strategyId, symbol: $symbol, last: $last) { strategyId symbol } }`;
    const bySymbol = await execute<{ signals: { strategyId: string; symbol: string }[] }>(server.graphqlUrl, query, { symbol: 'LISTA' }, trader);
    expect(bySymbol.data?.signals).toEqual([
      { strategyId: 'rsi-reversion', symbol: 'LISTA' },
      { strategyId: 'ma-crossover', symbol: 'LISTA' },
    ]);
    const byStrategy = await execute<{ signals: { symbol: string }[] }>(server.graphqlUrl, query, { strategyId: 'ma-crossover', last: 2 }, trader);
    expect(byStrategy.data?.signals.map((s) => s.symbol)).toEqual(['LISTB', 'LISTA']);
    const tooMany = await execute(server.graphqlUrl, query, { last: 100000 }, trader);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('snapshot queries', () => {
  it('returns the latest tick per symbol with its cursor, and lists published symbols', async () => {
    await publishPrice({ symbol: 'SNAP', price: 1 });
    const last = (await publishPrice({ symbol: 'SNAP', price: 2 })).data?.publishPrice;
    const { data } = await execute<{ prices: Tick[]; symbols: string[] }>(
      server.graphqlUrl, '{ symbols prices(symbols: ["SNAP", "NEVER-TICKED"]) { symbol price cursor } }', {}, trader,
    );
    expect(data?.prices).toEqual([{ symbol: 'SNAP', price: 2, cursor: last?.cursor }]);
    expect(data?.symbols).toEqual(expect.arrayContaining(['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'SNAP']));
  });

  it('lists the strategies', async () => {
    const { data } = await execute<{ strategies: { id: string; name: string; description: string }[] }>(
      server.graphqlUrl, '{ strategies { id name description } }', {}, trader,
    );
    expect(data?.strategies.map((s) => s.id)).toEqual(expect.arrayContaining(['ma-crossover', 'rsi-reversion']));
    for (const strategy of data?.strategies ?? []) expect(strategy.description.length).toBeGreaterThan(10);
  });
});

describe('bad requests', () => {
  it('answers malformed GraphQL over HTTP with a syntax error', async () => {
    const { errors } = await execute(server.graphqlUrl, '{ symbols', {}, trader);
    expect(errors?.[0]?.message).toMatch(/Syntax Error/);
  });

  it('answers a malformed or invalid operation over WebSocket with an error for that id, and keeps the socket', async () => {
    const client = await connect();
    client.subscribe('bad', 'subscription { price(symbols: ["BTC-USD"]) { price ');
    const syntax = await client.waitFor((m) => m.id === 'bad');
    expect(syntax.type).toBe('error');
    expect(JSON.stringify(syntax.payload)).toMatch(/Syntax Error/);
    client.subscribe('unknown', 'subscription { nope }');
    expect((await client.waitFor((m) => m.id === 'unknown')).type).toBe('error');
    client.subscribe('empty', 'subscription { price(symbols: []) { price } }');
    const empty = await client.waitFor((m) => m.id === 'empty');
    expect(JSON.stringify(empty.payload)).toContain('BAD_USER_INPUT');
    client.subscribe('ok', PRICE_SUBSCRIPTION, { symbols: ['STILLOK'] });
    await settle(client, 'ok', 'STILLOK');
  });

  it('refuses a malformed cursor with BAD_CURSOR', async () => {
    const client = await connect();
    client.subscribe('c', 'subscription { price(symbols: ["BTC-USD"], after: "not-a-cursor!") { price } }');
    const message = await client.waitFor((m) => m.id === 'c');
    expect(message.type).toBe('error');
    expect(JSON.stringify(message.payload)).toContain('BAD_CURSOR');
  });

  it('refuses too many symbols in one subscription', async () => {
    const client = await connect();
    const symbols = Array.from({ length: 51 }, (_, i) => `S${i}`);
    client.subscribe('many', PRICE_SUBSCRIPTION, { symbols });
    expect(JSON.stringify((await client.waitFor((m) => m.id === 'many')).payload)).toContain('at most 50');
  });
});
