import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute } from '../support/protocol-client.js';
import { SseSubscription } from '../support/sse-client.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';

/**
 * Standard SSE resume (`transport/sse-resume.ts`), written against the raw stream as a browser's
 * `EventSource` sees it (Node has none): every event of a subscription carries its cursor as `id:`,
 * and a request with `Last-Event-ID` resumes after it exactly as `after:` does, overriding the
 * document's `after`. On the shared fan-out and on Yoga's own SSE (a field with a directive).
 */
let server: InProcessServer;
let trader: string;
let publisher: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  server = await startServer();
  [trader, publisher] = await Promise.all([tokenFor('ivy', ['trader']), tokenFor('svc', ['publisher'])]);
});

afterAll(async () => {
  cleanups.forEach((cleanup) => cleanup());
  await server.stop();
});

async function open(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET') {
  const subscription = await SseSubscription.open(server.graphqlUrl, trader, query, variables, method, headers);
  cleanups.push(() => subscription.close());
  return subscription;
}

async function publishSignal(symbol: string, reason: string): Promise<string> {
  const { data, errors } = await execute<{ publishSignal: { cursor: string } }>(
    server.graphqlUrl,
    'mutation ($symbol: String!, $reason: String) { publishSignal(input: { strategyId: "rsi-reversion", symbol: $symbol, side: BUY, price: 1, confidence: 0.5, reason: $reason }) { cursor } }',
    { symbol, reason },
    publisher,
  );
  expect(errors).toBeUndefined();
  return data!.publishSignal.cursor;
}

/** Publishes until the stream has a first event (a subscription starts asynchronously). */
async function untilLive(subscription: SseSubscription, publish: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; attempt < 50 && subscription.results().length === 0; attempt += 1) {
    await publish();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(subscription.results().length).toBeGreaterThan(0);
}

const PATHS = [
  ['the shared fan-out', ''],
  ["Yoga's own SSE", '@include(if: true)'],
] as const;
const signals = (directive: string) => `subscription ($symbol: String!, $after: Cursor) { signal(symbols: [$symbol], after: $after) ${directive} { reason } }`;
type SignalData = { signal: { reason: string } };
const reasons = (subscription: SseSubscription) => subscription.results<SignalData>().map((result) => result.data?.signal.reason);

describe.each(PATHS)('SSE on %s', (_path, directive) => {
  const tag = directive ? 'YOGA' : 'FANOUT';

  it('gives every event its cursor as id:, whether or not the document selects it', async () => {
    const symbol = `IDS-${tag}`;
    const stream = await open(signals(directive), { symbol });
    await untilLive(stream, () => publishSignal(symbol, 'warm-up'));
    const cursors = [await publishSignal(symbol, 'one'), await publishSignal(symbol, 'two')];
    await stream.until((subscription) => reasons(subscription).includes('two'), 'two signals');
    const events = stream.events.filter((event) => event.event === 'next');
    expect(events.slice(-2).map((event) => event.id)).toEqual(cursors);
    expect(events.every((event) => event.id !== null)).toBe(true);
    // Price ticks too, over POST: the id is the tick's cursor.
    const prices = await open(`subscription { price(symbols: ["${symbol}"]) ${directive} { price cursor } }`, {}, {}, 'POST');
    await untilLive(prices, () => execute(server.graphqlUrl, `mutation { publishPrice(input: { symbol: "${symbol}", price: 2 }) { price } }`, {}, publisher));
    const tick = prices.events.find((event) => event.event === 'next');
    expect(tick?.id).toBe((JSON.parse(tick!.data) as { data: { price: { cursor: string } } }).data.price.cursor);
  });

  it('resumes from Last-Event-ID as from after: what was published while away comes once, in order, then live', async () => {
    const symbol = `RECONNECT-${tag}`;
    const first = await open(signals(directive), { symbol });
    await untilLive(first, () => publishSignal(symbol, 'warm-up'));
    await publishSignal(symbol, 'seen');
    await first.until((subscription) => reasons(subscription).includes('seen'), 'the signal seen before the cut');
    const lastId = first.events.filter((event) => event.event === 'next').at(-1)?.id;
    expect(lastId).toBeTruthy();
    first.close();
    const missed = ['away-1', 'away-2', 'away-3', 'away-4', 'away-5'];
    for (const reason of missed) await publishSignal(symbol, reason);
    // What a reconnecting EventSource sends: the same request, plus the last id it saw.
    const again = await open(signals(directive), { symbol }, { 'last-event-id': lastId! });
    await again.until((subscription) => reasons(subscription).length >= missed.length, 'the missed signals');
    await publishSignal(symbol, 'live');
    await again.until((subscription) => reasons(subscription).includes('live'), 'the live signal');
    expect(reasons(again)).toEqual([...missed, 'live']);
  });

  it("lets Last-Event-ID override the document's after", async () => {
    const symbol = `OVERRIDE-${tag}`;
    const early = await publishSignal(symbol, 'a');
    const later = await publishSignal(symbol, 'b');
    await publishSignal(symbol, 'c');
    const stream = await open(signals(directive), { symbol, after: early }, { 'last-event-id': later });
    await stream.until((subscription) => reasons(subscription).includes('c'), 'the signal after the header');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reasons(stream)).toEqual(['c']);
  });

  it('answers a Last-Event-ID that is no cursor of this API with BAD_CURSOR, as a bad after', async () => {
    for (const header of ['not-a-cursor', Buffer.from('c1:epoch:1:extra').toString('base64url')]) {
      const stream = await open(signals(directive), { symbol: `BAD-${tag}` }, { 'last-event-id': header });
      await stream.until((subscription) => subscription.completed, 'the error and complete');
      // 400, as for a bad after: an EventSource gives up rather than retrying the same header forever.
      expect(stream.status).toBe(400);
      expect(stream.results()[0]?.errors?.[0]?.extensions?.code).toBe('BAD_CURSOR');
    }
    const badAfter = await open(signals(directive), { symbol: `BAD-${tag}`, after: 'not-a-cursor' });
    await badAfter.until((subscription) => subscription.completed, 'the error and complete');
    expect(badAfter.status).toBe(400);
    expect(badAfter.results()[0]?.errors?.[0]?.extensions?.code).toBe('BAD_CURSOR');
  });
});

describe('Last-Event-ID on other requests', () => {
  it('is ignored outside SSE: a query over HTTP with the header answers as without it', async () => {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${trader}`, 'last-event-id': 'not-a-cursor' },
      body: JSON.stringify({ query: '{ symbols }' }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
  });
});

/** A browser's EventSource cannot send headers: its token may come as `access_token` on an SSE GET, nowhere else. */
describe('access_token on an SSE GET', () => {
  const url = (query: string, token: string) => `${server.graphqlUrl}?query=${encodeURIComponent(query)}&access_token=${encodeURIComponent(token)}`;

  it('authenticates a GET that accepts text/event-stream, on both SSE paths', async () => {
    for (const [, directive] of PATHS) {
      const symbol = `QT${directive ? 'Y' : 'F'}-${process.pid % 1000}`;
      const controller = new AbortController();
      cleanups.push(() => controller.abort());
      const query = `subscription { signal(symbols: ["${symbol}"]) ${directive} { reason } }`;
      const response = await fetch(url(query, trader), { headers: { accept: 'text/event-stream' }, signal: controller.signal });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = response.body!.getReader();
      let text = '';
      const deadline = Date.now() + 10_000;
      while (!text.includes('"reason":"by query token"') && Date.now() < deadline) {
        await publishSignal(symbol, 'by query token');
        const chunk = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 200))]);
        if (chunk && !chunk.done) text += new TextDecoder().decode(chunk.value);
      }
      expect(text).toContain('"reason":"by query token"');
      controller.abort();
    }
  });

  it('refuses a bad token there with UNAUTHENTICATED', async () => {
    const response = await fetch(url('subscription { signal { reason } }', 'not-a-token'), { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('UNAUTHENTICATED');
  });

  it('is not a token anywhere else: a plain GET query with it is unauthenticated', async () => {
    const response = await fetch(url('{ strategies { id } }', trader), { headers: { accept: 'application/json' } });
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
