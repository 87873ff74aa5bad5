import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient } from 'graphql-ws';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTitanClient, msgpackWebSocket } from '@titan-realtime/client';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { SseSubscription } from '../support/sse-client.js';
import { startServer, tokenFor, type TestServer } from '../support/start-server.js';
import { until } from '../support/until.js';

/**
 * Candles end to end on the in-memory bus: exact OHLCV of a known tick sequence, late ticks, empty
 * intervals, resume after a cursor (closed bars exactly once), every transport, bad arguments.
 */
let server: TestServer;
let trader: string;
let publisher: string;
const leftovers: (() => void)[] = [];

beforeAll(async () => {
  server = await startServer({ PUBLISHES_PER_SECOND: '100000', MUTATIONS_PER_SECOND: '10000' });
  [trader, publisher] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('feed', ['publisher'])]);
});

afterAll(async () => {
  leftovers.forEach((dispose) => dispose());
  await server.stop();
});

interface CandleData {
  openTime: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  ticks: number;
  closed: boolean;
  cursor: string;
}
const FIELDS = 'openTime open high low close volume ticks closed cursor';
const CANDLES = `subscription ($symbol: String!, $after: Cursor) { candles(symbol: $symbol, interval: ONE_MINUTE, after: $after) { ${FIELDS} } }`;
const HISTORY = `query ($symbol: String!, $interval: CandleInterval!, $last: Int) { candleHistory(symbol: $symbol, interval: $interval, last: $last) { candles { ${FIELDS} } cursor } }`;

let symbolCount = 0;
const freshSymbol = () => `CNDL${++symbolCount}-${process.pid % 1000}`;
const at = (clock: string) => `2026-01-05T${clock}Z`;

/** Publishes [clock, price, volume] ticks of `symbol`, in order, in one batch. */
async function publish(symbol: string, ticks: [string, number, number][]): Promise<void> {
  const inputs = ticks.map(([clock, price, volume]) => ({ symbol, price, volume, timestamp: at(clock) }));
  const result = await execute<{ publishPrices: { failed: number } }>(
    server.graphqlUrl,
    'mutation ($inputs: [PriceInput!]!) { publishPrices(inputs: $inputs) { failed } }',
    { inputs },
    publisher,
  );
  expect(result.errors).toBeUndefined();
  expect(result.data?.publishPrices.failed).toBe(0);
}

async function history(symbol: string, interval = 'ONE_MINUTE', last = 100) {
  const result = await execute<{ candleHistory: { candles: CandleData[]; cursor: string } }>(server.graphqlUrl, HISTORY, { symbol, interval, last }, trader);
  expect(result.errors).toBeUndefined();
  return result.data!.candleHistory;
}

/** `titan_candle_late_ticks_total` per interval, as `/metrics` shows it. */
async function lateTicks(): Promise<Record<'ONE_MINUTE' | 'ONE_HOUR', number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const totals: Record<string, number> = { ONE_MINUTE: 0, ONE_HOUR: 0 };
  for (const match of text.matchAll(/^titan_candle_late_ticks_total\{interval="(\w+)"\} (\d+)$/gm)) totals[match[1]!] = Number(match[2]);
  return totals as Record<'ONE_MINUTE' | 'ONE_HOUR', number>;
}

const ohlcv = (bar: CandleData) => [bar.openTime.slice(11, 19), bar.open, bar.high, bar.low, bar.close, bar.volume, bar.ticks, bar.closed];

/** A known sequence: two whole minutes, a late tick, an empty minute (10:02), an open bar at 10:03. */
const SEQUENCE: [string, number, number][] = [
  ['10:00:00.000', 100, 2],
  ['10:00:10.000', 105, 1],
  ['10:00:59.999', 99, 3],
  ['10:01:00.000', 101, 1],
  ['10:00:30.000', 500, 9], // late: older than the open bar (10:01)
  ['10:01:30.000', 102, 1],
  ['10:03:05.000', 110, 4],
  ['10:03:20.000', 90, 1],
];

describe('candles', () => {
  it('gives exact OHLCV and tick counts per interval; late ticks change no bar (counted), an empty interval has no bar', async () => {
    const symbol = freshSymbol();
    const lateBefore = await lateTicks();
    await publish(symbol, SEQUENCE);
    const minutes = await history(symbol);
    expect(minutes.candles.map(ohlcv)).toEqual([
      ['10:00:00', 100, 105, 99, 99, 6, 3, true],
      ['10:01:00', 101, 102, 101, 102, 2, 2, true],
      ['10:03:00', 110, 110, 90, 90, 5, 2, false],
    ]);
    const hours = await history(symbol, 'ONE_HOUR');
    // Not late for the hour: 10:00:30 is inside the open 10:00 hour bar.
    expect(hours.candles.map(ohlcv)).toEqual([['10:00:00', 100, 500, 90, 90, 22, 8, false]]);
    const seconds = await history(symbol, 'ONE_SECOND', 3);
    expect(seconds.candles.map(ohlcv)).toEqual([
      ['10:01:30', 102, 102, 102, 102, 1, 1, true],
      ['10:03:05', 110, 110, 110, 110, 4, 1, true],
      ['10:03:20', 90, 90, 90, 90, 1, 1, false],
    ]);
    // The late tick is late for the minute and the second, not for the hour.
    expect((await lateTicks()).ONE_MINUTE - lateBefore.ONE_MINUTE).toBe(1);
    expect((await lateTicks()).ONE_HOUR - lateBefore.ONE_HOUR).toBe(0);
  });

  it('resumes after a cursor: the bars closed since, each once and in order, then the open bar, then live', async () => {
    const symbol = freshSymbol();
    await publish(symbol, SEQUENCE.slice(0, 4)); // 10:00 closed, 10:01 open
    const { candles, cursor } = await history(symbol);
    expect(candles.map((bar) => bar.closed)).toEqual([true, false]);
    await publish(symbol, [['10:01:40.000', 103, 1], ['10:02:00.000', 104, 1], ['10:03:00.000', 105, 1], ['10:03:30.000', 106, 1]]);
    const client = await ProtocolClient.connect(server.wsUrl, trader);
    leftovers.push(() => client.close());
    client.subscribe('c', CANDLES, { symbol, after: cursor });
    const replay = (await client.collect<{ candles: CandleData }>('c', 3)).map((event) => ohlcv(event.data!.candles));
    expect(replay).toEqual([
      ['10:01:00', 101, 103, 101, 103, 2, 2, true],
      ['10:02:00', 104, 104, 104, 104, 1, 1, true],
      ['10:03:00', 105, 106, 105, 106, 2, 2, false],
    ]);
    await publish(symbol, [['10:04:00.000', 107, 1]]);
    const live = (await client.collect<{ candles: CandleData }>('c', 2)).map((event) => ohlcv(event.data!.candles));
    expect(live).toEqual([
      ['10:03:00', 105, 106, 105, 106, 2, 2, true],
      ['10:04:00', 107, 107, 107, 107, 1, 1, false],
    ]);
    // Resuming after the closing event's cursor replays no closed bar again: only the open bar's state.
    const again = await ProtocolClient.connect(server.wsUrl, trader);
    leftovers.push(() => again.close());
    const lastClosedCursor = (await history(symbol)).candles.at(-2)!.cursor;
    again.subscribe('c', CANDLES, { symbol, after: lastClosedCursor });
    expect((await again.collect<{ candles: CandleData }>('c', 1)).map((event) => ohlcv(event.data!.candles))).toEqual([['10:04:00', 107, 107, 107, 107, 1, 1, false]]);
  });

  it('follows a symbol that has no ticks yet from the cursor of its empty history', async () => {
    const symbol = freshSymbol();
    const empty = await history(symbol);
    expect(empty.candles).toEqual([]);
    const client = await ProtocolClient.connect(server.wsUrl, trader);
    leftovers.push(() => client.close());
    client.subscribe('c', CANDLES, { symbol, after: empty.cursor });
    // The subscription may start before or after the ticks: from the cursor, it gets them all either way.
    await publish(symbol, [['11:00:01.000', 10, 1], ['11:01:02.000', 11, 1]]);
    const events = (await client.collect<{ candles: CandleData }>('c', 3)).map((event) => ohlcv(event.data!.candles));
    expect(events).toEqual([
      ['11:00:00', 10, 10, 10, 10, 1, 1, false],
      ['11:00:00', 10, 10, 10, 10, 1, 1, true],
      ['11:01:00', 11, 11, 11, 11, 1, 1, false],
    ]);
  });

  const expected = [
    ['10:00:00', 100, 105, 99, 99, 6, 3, true],
    ['10:01:00', 101, 102, 101, 102, 2, 2, true],
    ['10:03:00', 110, 110, 90, 90, 5, 2, false],
  ];

  it('works over WebSocket with MessagePack', async () => {
    const symbol = freshSymbol();
    const { cursor } = await history(symbol);
    await publish(symbol, SEQUENCE);
    const client = createClient({
      url: server.wsUrl,
      webSocketImpl: msgpackWebSocket(WebSocket as unknown as typeof globalThis.WebSocket),
      connectionParams: { authorization: `Bearer ${trader}` },
    });
    leftovers.push(() => void client.dispose());
    const received: CandleData[] = [];
    for await (const result of client.iterate<{ candles: CandleData }>({ query: CANDLES, variables: { symbol, after: cursor } })) {
      received.push(result.data!.candles);
      if (received.filter((bar) => bar.closed).length === 2 && received.at(-1)?.ticks === 2 && received.at(-1)?.openTime.endsWith('03:00.000Z')) break;
    }
    expect(received.filter((bar) => bar.closed).map(ohlcv)).toEqual(expected.slice(0, 2));
    expect(ohlcv(received.at(-1)!)).toEqual(expected[2]);
  });

  it('caps the open bar at maxRate, ending on its newest state, and never holds back or drops a closed bar', async () => {
    const symbol = freshSymbol();
    // A symbol with a tick is followed at once (a new one only at the next key refresh).
    await publish(symbol, [['12:00:01.000', 101, 1]]);
    for (let attempt = 0; (await history(symbol)).candles.length === 0 && attempt < 100; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    const client = await ProtocolClient.connect(server.wsUrl, trader);
    leftovers.push(() => client.close());
    const capped = `subscription ($symbol: String!, $after: Cursor) { candles(symbol: $symbol, interval: ONE_MINUTE, after: $after, maxRate: 2) { ${FIELDS} } }`;
    client.subscribe('c', capped, { symbol, after: (await history(symbol)).cursor });
    await client.collect('c', 1);
    // Nineteen more ticks of the minute, one at a time over about a second: an uncapped reader gets nineteen open states.
    for (let n = 2; n <= 20; n += 1) {
      await publish(symbol, [[`12:00:${String(n).padStart(2, '0')}.000`, 100 + n, 1]]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
    const first = await client.collect<{ candles: CandleData }>('c', 1);
    const rest = client.drain('c').map((message) => message.payload as { data: { candles: CandleData } });
    const open = [...first.map((event) => event.data!.candles), ...rest.map((event) => event.data.candles)];
    // About 2 a second over ~1.7 s, plus the first at once.
    expect(open.length).toBeGreaterThanOrEqual(2);
    expect(open.length).toBeLessThanOrEqual(6);
    expect(open.every((bar) => !bar.closed)).toBe(true);
    expect(ohlcv(open.at(-1)!)).toEqual(['12:00:00', 101, 120, 101, 120, 20, 20, false]);
    // The minute's last tick, then one of the next minute: the closed bar goes out at once (the last
    // tick's open state before it only if the window was quiet), the new open state once its window allows.
    await publish(symbol, [['12:00:59.000', 99, 1], ['12:01:00.500', 98, 1]]);
    const next: (string | number | boolean)[][] = [];
    while (next.at(-1)?.[0] !== '12:01:00') next.push(...(await client.collect<{ candles: CandleData }>('c', 1)).map((event) => ohlcv(event.data!.candles)));
    const closedAt = next.findIndex((bar) => bar[7] === true);
    expect(next[closedAt]).toEqual(['12:00:00', 101, 120, 99, 99, 21, 21, true]);
    expect(next.slice(0, closedAt)).toEqual(closedAt === 0 ? [] : [['12:00:00', 101, 120, 99, 99, 21, 21, false]]);
    expect(next.slice(closedAt + 1)).toEqual([['12:01:00', 98, 98, 98, 98, 1, 1, false]]);
  });

  it('refuses a maxRate out of bounds on candles', async () => {
    const client = await ProtocolClient.connect(server.wsUrl, trader);
    leftovers.push(() => client.close());
    for (const rate of [0, -1, 1000]) {
      client.subscribe(`bad${rate}`, `subscription { candles(symbol: "BTC-USD", interval: ONE_MINUTE, maxRate: ${rate}) { openTime } }`, {});
      const message = await client.waitFor((m) => m.id === `bad${rate}`);
      expect(JSON.stringify(message.payload)).toContain('BAD_USER_INPUT');
    }
  });

  it('works over SSE', async () => {
    const symbol = freshSymbol();
    const { cursor } = await history(symbol);
    await publish(symbol, SEQUENCE);
    const sse = await SseSubscription.open(server.graphqlUrl, trader, CANDLES, { symbol, after: cursor });
    leftovers.push(() => sse.close());
    const bars = () => sse.results<{ candles: CandleData }>().map((result) => result.data!.candles);
    await sse.until(() => bars().some((bar) => bar.ticks === 2 && !bar.closed && bar.openTime.endsWith('03:00.000Z')), 'the open 10:03 bar');
    expect(bars().filter((bar) => bar.closed).map(ohlcv)).toEqual(expected.slice(0, 2));
  });

  it("works through the client package's generic subscribe", async () => {
    const symbol = freshSymbol();
    const { cursor } = await history(symbol);
    await publish(symbol, SEQUENCE);
    const titan = createTitanClient({ url: server.wsUrl, token: trader, webSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
    leftovers.push(() => titan.close());
    const document = parse(CANDLES) as TypedDocumentNode<{ candles: CandleData }, { symbol: string; after?: string | null }>;
    const received: CandleData[] = [];
    titan.subscribe(document, { symbol, after: cursor }, (bar) => void received.push(bar));
    await until(() => received.some((bar) => bar.ticks === 2 && !bar.closed && bar.openTime.endsWith('03:00.000Z')), 'the open 10:03 bar');
    expect(received.filter((bar) => bar.closed).map(ohlcv)).toEqual(expected.slice(0, 2));
  });

  it('answers bad arguments with typed errors', async () => {
    const codeOf = async (query: string, variables: Record<string, unknown> = {}) =>
      (await execute(server.graphqlUrl, query, variables, trader)).errors?.[0]?.extensions?.code;
    expect(await codeOf('{ candleHistory(symbol: "BTC-USD", interval: ONE_WEEK) { cursor } }')).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await codeOf('{ candleHistory(symbol: "BTC-USD", interval: ONE_MINUTE, last: 0) { cursor } }')).toBe('BAD_USER_INPUT');
    expect(await codeOf('{ candleHistory(symbol: "BTC-USD", interval: ONE_MINUTE, last: 10001) { cursor } }')).toBe('BAD_USER_INPUT');
    // More than an instance keeps (CANDLE_HISTORY_BARS) is not an error: it answers what it keeps.
    expect(await codeOf('{ candleHistory(symbol: "BTC-USD", interval: ONE_MINUTE, last: 10000) { cursor } }')).toBeUndefined();
    expect(await codeOf('{ candleHistory(symbol: "not a symbol!", interval: ONE_MINUTE) { cursor } }')).toBe('BAD_USER_INPUT');
    expect(await codeOf('query ($ids: [ID!]) { strategyStats(strategyIds: $ids) { strategyId } }', { ids: Array(101).fill('ma-crossover') })).toBe('BAD_USER_INPUT');
    expect(await codeOf('{ strategyStats(strategyIds: ["no-such-strategy"]) { strategyId } }')).toBe('BAD_USER_INPUT');
    const client = await ProtocolClient.connect(server.wsUrl, trader);
    leftovers.push(() => client.close());
    client.subscribe('bad', CANDLES, { symbol: 'BTC-USD', after: 'not-a-cursor' });
    const message = await client.waitFor((m) => m.id === 'bad');
    expect(JSON.stringify(message.payload)).toContain('BAD_CURSOR');
  });
});

