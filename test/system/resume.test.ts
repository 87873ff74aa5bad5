import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor } from '../../src/bus/cursor.js';
import { connectPublisher, type ConnectedPublisher } from '../../src/publish/index.js';
import { ProtocolClient, execute, type NextPayload } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';

/**
 * Resume by cursor, told as stories with real processes on one Redis: receive, drop, miss N, resume
 * on another instance (after the first was restarted) with the last cursor, get exactly the N in
 * order, then live ones.
 */
let redis: TestRedis;
let a: ServerProcess;
let b: ServerProcess;
let publisher: ConnectedPublisher;
let trader: string;
const clients: ProtocolClient[] = [];
// A roomy queue: these stories are about replay and live racing, not about slow consumers (4008).
const env = () => ({ REDIS_URL: redis.url, BACKTEST_BARS_PER_SECOND: '4000', SUBSCRIPTION_QUEUE_LIMIT: '5000' });

beforeAll(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([startProcess('main.ts', env()), startProcess('main.ts', env())]);
  publisher = await connectPublisher({ redisUrl: redis.url });
  trader = await tokenFor('alice', ['trader']);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await publisher?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

async function connect(server: ServerProcess): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, trader);
  clients.push(client);
  return client;
}

async function restartA(): Promise<void> {
  await a.stop();
  a = await startProcess('main.ts', env());
}

type SignalData = { signal: { reason: string; cursor: string } };
type TickData = { price: { price: number; cursor: string } };

const SIGNALS = `subscription ($symbols: [String!], $after: Cursor) {
  signal(strategyIds: ["ma-crossover", "rsi-reversion"], symbols: $symbols, after: $after) { reason cursor }
}`;
const PRICES = 'subscription ($symbols: [String!]!, $after: Cursor) { price(symbols: $symbols, after: $after) { price cursor } }';

function signal(symbol: string, n: number) {
  return publisher.publishSignal({
    strategyId: n % 2 === 0 ? 'ma-crossover' : 'rsi-reversion',
    symbol,
    side: n % 3 === 0 ? 'SELL' : 'BUY',
    price: 100 + n,
    confidence: 0.5,
    reason: `#${n}`,
  });
}

/** Waits for delivery to start, lets the publishing settle, and returns the last cursor received. */
async function lastSignalCursor(client: ProtocolClient, id: string, publish: () => Promise<unknown>): Promise<string> {
  const first = await client.untilLive<SignalData>(id, publish);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const rest = client.drain(id).map((m) => (m.payload as NextPayload<SignalData>).data!.signal);
  return rest.at(-1)?.cursor ?? first.data!.signal.cursor;
}

describe('resume by cursor across a restart and another instance', () => {
  it('delivers exactly the missed signals in order, then live ones', async () => {
    const before = await connect(a);
    before.subscribe('s', SIGNALS, { symbols: ['RESUME-SIG'] });
    let n = 0;
    const lastCursor = await lastSignalCursor(before, 's', () => signal('RESUME-SIG', (n += 1)));
    before.close();

    const missed: string[] = [];
    for (let i = 0; i < 25; i += 1) {
      missed.push(`#${(n += 1)}`);
      await signal('RESUME-SIG', n);
      await signal('OTHER-SYMBOL', 1000 + i);
    }
    await restartA();

    const after = await connect(b);
    after.subscribe('s', SIGNALS, { symbols: ['RESUME-SIG'], after: lastCursor });
    const replayed = await after.collect<SignalData>('s', 25);
    expect(replayed.map((e) => e.data?.signal.reason)).toEqual(missed);
    await signal('RESUME-SIG', 9999);
    const [live] = await after.collect<SignalData>('s', 1);
    expect(live?.data?.signal.reason).toBe('#9999');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(after.drain('s')).toEqual([]);
  });

  it('delivers exactly the missed price ticks in order on the restarted instance', async () => {
    const before = await connect(b);
    before.subscribe('p', PRICES, { symbols: ['RESUME-PX', 'RESUME-PY'] });
    let price = 1;
    const first = await before.untilLive<TickData>('p', () => publisher.publishPrice({ symbol: 'RESUME-PX', price: (price += 1) }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const rest = before.drain('p').map((m) => (m.payload as NextPayload<TickData>).data!.price);
    const lastCursor = rest.at(-1)?.cursor ?? first.data!.price.cursor;
    before.close();

    const missed: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      const symbol = i % 2 === 0 ? 'RESUME-PX' : 'RESUME-PY';
      missed.push((price += 1));
      await publisher.publishPrice({ symbol, price });
    }
    await restartA();

    const after = await connect(a);
    after.subscribe('p', PRICES, { symbols: ['RESUME-PX', 'RESUME-PY'], after: lastCursor });
    const replayed = await after.collect<TickData>('p', 30);
    expect(replayed.map((e) => e.data?.price.price)).toEqual(missed);
    await publisher.publishPrice({ symbol: 'RESUME-PY', price: 5000 });
    expect((await after.collect<TickData>('p', 1))[0]?.data?.price.price).toBe(5000);
  });

  it('resumes backtest progress on another instance without a gap or a duplicate, up to COMPLETED', async () => {
    const started = await execute<{ startBacktest: { id: string } }>(
      a.graphqlUrl,
      'mutation { startBacktest(input: { strategyId: "rsi-reversion", symbol: "SOL-USD", bars: 8000 }) { id } }',
      {},
      trader,
    );
    const id = started.data!.startBacktest.id;
    const PROGRESS = `subscription ($id: ID!, $after: Cursor) { backtestProgress(id: $id, after: $after) { status processedBars cursor } }`;
    type P = { backtestProgress: { status: string; processedBars: number; cursor: string } };
    const reference = await connect(b);
    reference.subscribe('ref', PROGRESS, { id });
    const part = await connect(b);
    part.subscribe('bt', PROGRESS, { id });
    const firstPart = await part.collect<P>('bt', 3);
    part.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const resumed = await connect(a);
    resumed.subscribe('bt', PROGRESS, { id, after: firstPart.at(-1)?.data?.backtestProgress.cursor });
    const secondPart: P['backtestProgress'][] = [];
    for (;;) {
      const message = await resumed.waitFor((m) => m.id === 'bt', 20_000);
      if (message.type === 'complete') break;
      secondPart.push((message.payload as NextPayload<P>).data!.backtestProgress);
    }
    const all: P['backtestProgress'][] = [];
    for (;;) {
      const message = await reference.waitFor((m) => m.id === 'ref', 20_000);
      if (message.type === 'complete') break;
      all.push((message.payload as NextPayload<P>).data!.backtestProgress);
    }
    const stitched = [...firstPart.map((e) => e.data!.backtestProgress), ...secondPart];
    // Both subscriptions start with the backtest's state when each began, which may be a progress
    // event apart: compare from the resumed one's first event on.
    const from = all.findIndex((e) => e.cursor === stitched[0]?.cursor);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(stitched.map((e) => e.cursor)).toEqual(all.slice(from).map((e) => e.cursor));
    expect(stitched.at(-1)?.status).toBe('COMPLETED');
    expect(secondPart.length).toBeGreaterThan(0);
  });

  it('replays without a gap or a duplicate while a publish storm runs', async () => {
    const before = await connect(a);
    before.subscribe('s', SIGNALS, { symbols: ['STORM'] });
    let n = 0;
    const lastCursor = await lastSignalCursor(before, 's', () => signal('STORM', (n += 1)));
    before.close();
    for (let i = 0; i < 400; i += 1) await signal('STORM', (n += 1));

    const first = n + 1;
    const STORM = 600;
    const storm = (async () => {
      for (let i = 0; i < STORM; i += 1) await signal('STORM', (n += 1));
    })();
    const after = await connect(b);
    after.subscribe('s', SIGNALS, { symbols: ['STORM'], after: lastCursor });
    await storm;
    const got = await after.collect<SignalData>('s', 400 + STORM, 30_000);
    const numbers = got.map((e) => Number(e.data?.signal.reason.slice(1)));
    expect(numbers).toEqual(Array.from({ length: 400 + STORM }, (_, i) => first - 400 + i));
    const offsets = got.map((e) => decodeCursor(e.data!.signal.cursor)!.offset);
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(after.drain('s')).toEqual([]);
  });

  it('answers a cursor older than the retained history with CURSOR_EXPIRED', async () => {
    const old = await signal('EXPIRE', 1);
    // HISTORY_MAX_LEN is 1000 per strategy: push this one out (MAXLEN ~ trims in whole nodes).
    for (let i = 0; i < 1300; i += 1) await signal('EXPIRE', 2 * i + 2);
    const client = await connect(b);
    const { encodeCursor } = await import('../../src/bus/cursor.js');
    client.subscribe('x', SIGNALS, { symbols: ['EXPIRE'], after: encodeCursor(old.position) });
    const message = await client.waitFor((m) => m.id === 'x');
    expect(message.type).toBe('error');
    const [error] = message.payload as { message: string; extensions?: { code?: string } }[];
    expect(error?.extensions?.code).toBe('CURSOR_EXPIRED');
    expect(error?.message).toMatch(/no longer retained/);
  });

  it('starts a screen from a snapshot and misses nothing published in between', async () => {
    await publisher.publishPrice({ symbol: 'SNAPSHOT-X', price: 1 });
    const snapshot = await execute<{ priceSnapshot: { ticks: { price: number }[]; cursor: string } }>(
      b.graphqlUrl,
      '{ priceSnapshot(symbols: ["SNAPSHOT-X"]) { ticks { price } cursor } }',
      {},
      trader,
    );
    expect(snapshot.data?.priceSnapshot.ticks).toEqual([{ price: 1 }]);
    await publisher.publishPrice({ symbol: 'SNAPSHOT-X', price: 2 });
    await publisher.publishPrice({ symbol: 'SNAPSHOT-X', price: 3 });
    const client = await connect(a);
    client.subscribe('p', PRICES, { symbols: ['SNAPSHOT-X'], after: snapshot.data?.priceSnapshot.cursor });
    expect((await client.collect<TickData>('p', 2)).map((e) => e.data?.price.price)).toEqual([2, 3]);
  });
});
