import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute, type NextPayload } from '../support/protocol-client.js';
import { SseSubscription } from '../support/sse-client.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';

/**
 * Every transport and field on the shared fan-out (src/transport/fanout/): SSE subscribers join the
 * groups of WebSocket subscribers of the same operation, resume by cursor like them, and backtest
 * progress is served there too, completing with the run's final status.
 */
let server: InProcessServer;
let trader: string;
let publisherToken: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  server = await startServer({ BACKTEST_BARS_PER_SECOND: '2000' });
  [trader, publisherToken] = await Promise.all([tokenFor('ivy', ['trader']), tokenFor('svc', ['publisher'])]);
});

afterAll(async () => {
  cleanups.forEach((cleanup) => cleanup());
  await server.stop();
});

async function connect(token: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, token);
  cleanups.push(() => client.close());
  return client;
}

async function openSse(query: string, variables: Record<string, unknown>, method: 'GET' | 'POST' = 'POST'): Promise<SseSubscription> {
  const subscription = await SseSubscription.open(server.graphqlUrl, trader, query, variables, method);
  cleanups.push(() => subscription.close());
  return subscription;
}

async function waitForStats(check: (stats: ReturnType<InProcessServer['stats']>) => boolean, what: string) {
  for (let attempt = 0; attempt < 250; attempt += 1) {
    if (check(server.stats())) return server.stats();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(server.stats().fanout)}`);
}

const PRICES = 'subscription ($symbol: String!, $after: Cursor) { price(symbols: [$symbol], after: $after) { price cursor } }';
type PriceData = { price: { price: number; cursor: string } };
const publishPrice = async (symbol: string, price: number) => {
  const { errors } = await execute(server.graphqlUrl, 'mutation ($s: String!, $p: Float!) { publishPrice(input: { symbol: $s, price: $p }) { price } }', { s: symbol, p: price }, publisherToken);
  expect(errors).toBeUndefined();
};
const prices = (results: NextPayload<PriceData>[]) => results.map((result) => result.data?.price.price);

describe('SSE on the shared path', () => {
  it('joins the group of WebSocket subscribers of the same operation and receives the same events, in order', async () => {
    const ws = await connect(trader);
    ws.subscribe('p', PRICES, { symbol: 'SHARED' });
    await ws.untilLive('p', () => publishPrice('SHARED', 0.5));
    const sse = await openSse(PRICES, { symbol: 'SHARED' });
    expect(sse.status).toBe(200);
    expect(sse.contentType).toContain('text/event-stream');
    await waitForStats((stats) => stats.fanout.price.members === 2, 'the SSE subscriber to join');
    expect(server.stats().fanout.price).toMatchObject({ groups: 1, members: 2 });
    ws.drain('p');

    for (let price = 1; price <= 5; price += 1) await publishPrice('SHARED', price);
    expect(prices(await ws.collect<PriceData>('p', 5))).toEqual([1, 2, 3, 4, 5]);
    await sse.until((s) => s.results().length >= 5, 'five SSE events');
    expect(prices(sse.results<PriceData>())).toEqual([1, 2, 3, 4, 5]);

    sse.close();
    await waitForStats((stats) => stats.fanout.price.members === 1, 'the SSE subscriber to leave when its response closes');
    ws.close();
    await waitForStats((stats) => stats.fanout.price.groups === 0, 'the group to close');
  });

  it('resumes after a cursor (GET, as EventSource sends it): what was missed, then live, no gap and no duplicate', async () => {
    const first = await openSse(PRICES, { symbol: 'RESUMED' }, 'GET');
    await waitForStats((stats) => stats.fanout.price.members === 1, 'the first subscriber');
    for (let price = 1; price <= 3; price += 1) await publishPrice('RESUMED', price);
    await first.until((s) => s.results().length >= 3, 'three events');
    const cursor = first.results<PriceData>()[0]?.data?.price.cursor;
    first.close();

    for (let price = 4; price <= 6; price += 1) await publishPrice('RESUMED', price);
    const resumed = await openSse(PRICES, { symbol: 'RESUMED', after: cursor }, 'GET');
    await resumed.until((s) => s.results().length >= 5, 'the replay');
    for (let price = 7; price <= 8; price += 1) await publishPrice('RESUMED', price);
    await resumed.until((s) => s.results().length >= 7, 'live events after the replay');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(prices(resumed.results<PriceData>())).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(server.stats().fanout.price.replayed).toBeGreaterThanOrEqual(5);
    resumed.close();
  });

  it("leaves what it does not serve to Yoga: a malformed body (read here first) and a bad argument get Yoga's typed errors", async () => {
    const malformed = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${trader}` },
      body: '{"query": ',
    });
    const answer = await malformed.text();
    const data = answer.split('\n').find((line) => line.startsWith('data: {')) ?? '';
    const [error] = (JSON.parse(data.slice('data: '.length)) as { errors: { extensions: { code: string; originalError?: { message: string } } }[] }).errors;
    expect(error?.extensions.code).toBe('BAD_REQUEST');
    // Yoga parsed the very body this path had read first (development servers show the parser's message).
    expect(error?.extensions.originalError?.message).toContain('"{"query": " is not valid JSON');
    expect(answer).toContain('event: complete');
    const badArgument = await openSse(PRICES, { symbol: 'not a symbol!' });
    await badArgument.until((s) => s.ended || s.text.includes('BAD_USER_INPUT'), 'the refusal');
    expect(badArgument.text).toContain('BAD_USER_INPUT');
  });
});

describe('backtest progress on the shared path', () => {
  const START = 'mutation ($input: StartBacktestInput!) { startBacktest(input: $input) { id } }';
  const PROGRESS = 'subscription ($id: ID!) { backtestProgress(id: $id) { status processedBars } }';
  type Progress = { backtestProgress: { status: string; processedBars: number } };

  it('puts the subscribers of one backtest in one group, over WebSocket and SSE, and completes each after the final status', async () => {
    const { data } = await execute<{ startBacktest: { id: string } }>(server.graphqlUrl, START, { input: { strategyId: 'ma-crossover', symbol: 'BTC-USD', bars: 2000 } }, trader);
    const id = data!.startBacktest.id;
    const [a, b] = [await connect(trader), await connect(trader)];
    a.subscribe('b', PROGRESS, { id });
    b.subscribe('b', PROGRESS, { id });
    const sse = await openSse(PROGRESS, { id });
    await waitForStats((stats) => stats.fanout.backtestProgress.members === 3, 'three progress subscribers');
    expect(server.stats().fanout.backtestProgress).toMatchObject({ groups: 1, members: 3 });

    const follow = async (client: ProtocolClient) => {
      const seen: Progress['backtestProgress'][] = [];
      for (;;) {
        const message = await client.waitFor((m) => m.id === 'b', 20_000);
        if (message.type === 'complete') return seen;
        expect(message.type).toBe('next');
        seen.push((message.payload as NextPayload<Progress>).data!.backtestProgress);
      }
    };
    const [viaA, viaB] = await Promise.all([follow(a), follow(b)]);
    await sse.until((s) => s.completed, 'the SSE stream to complete', 20_000);
    const viaSse = sse.results<Progress>().map((result) => result.data!.backtestProgress);
    expect(viaA.at(-1)).toMatchObject({ status: 'COMPLETED', processedBars: 2000 });
    // Each started from the state when it joined, then got every event after it: the tails agree.
    const tail = viaA.slice(-3);
    expect(viaB.slice(-3)).toEqual(tail);
    expect(viaSse.slice(-3)).toEqual(tail);
    await waitForStats((stats) => stats.fanout.backtestProgress.groups === 0, 'the group to close after the final status');
  });
});

describe('an SSE stream whose token expires', () => {
  it('ends with UNAUTHENTICATED, then complete, like a WebSocket closed with 4401', async () => {
    const shortLived = await tokenFor('ivy', ['trader'], 2);
    const stream = await SseSubscription.open(server.graphqlUrl, shortLived, PRICES, { symbol: 'EXPIRY' }, 'POST');
    cleanups.push(() => stream.close());
    expect(stream.contentType).toContain('text/event-stream');
    await stream.until((s) => s.completed, 'the stream to end at expiry', 6000);
    expect(stream.results()[0]?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
