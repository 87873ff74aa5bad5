import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/bus/cursor.js';
import { ProtocolClient, execute, type NextPayload } from '../support/protocol-client.js';
import { startServer, tokenFor, type TestServer } from '../support/start-server.js';

/** Resume and snapshot-then-live on the embedded (in-memory) bus: the same contract as Redis. */
let server: TestServer;
let trader: string;
let publisher: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  server = await startServer({ BACKTEST_BARS_PER_SECOND: '3000' });
  [trader, publisher] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('svc', ['publisher'])]);
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

const PUBLISH_SIGNAL = `mutation ($symbol: String!, $reason: String) {
  publishSignal(input: { strategyId: "rsi-reversion", symbol: $symbol, side: SELL, price: 10, confidence: 0.9, reason: $reason }) { cursor }
}`;
const publishSignal = (symbol: string, reason: string) =>
  execute<{ publishSignal: { cursor: string } }>(server.graphqlUrl, PUBLISH_SIGNAL, { symbol, reason }, publisher);

type SignalData = { signal: { reason: string } };

describe('resume on the in-memory bus', () => {
  it('replays what was published after a cursor, then continues live', async () => {
    const first = await publishSignal('MEM', 'a');
    await publishSignal('MEM', 'b');
    await publishSignal('ELSEWHERE', 'x');
    await publishSignal('MEM', 'c');
    const client = await connect();
    client.subscribe('s', 'subscription ($after: Cursor) { signal(symbols: ["MEM"], after: $after) { reason } }', {
      after: first.data?.publishSignal.cursor,
    });
    expect((await client.collect<SignalData>('s', 2)).map((e) => e.data?.signal.reason)).toEqual(['b', 'c']);
    await publishSignal('MEM', 'd');
    expect((await client.collect<SignalData>('s', 1))[0]?.data?.signal.reason).toBe('d');
  });

  it('starts from signalSnapshot and misses nothing published in between', async () => {
    await publishSignal('SNAPSIG', 'old');
    const { data } = await execute<{ signalSnapshot: { signals: { reason: string }[]; cursor: string } }>(
      server.graphqlUrl,
      '{ signalSnapshot(symbol: "SNAPSIG") { signals { reason } cursor } }',
      {},
      trader,
    );
    expect(data?.signalSnapshot.signals).toEqual([{ reason: 'old' }]);
    await publishSignal('SNAPSIG', 'new-1');
    await publishSignal('SNAPSIG', 'new-2');
    const client = await connect();
    client.subscribe('s', 'subscription ($after: Cursor) { signal(symbols: ["SNAPSIG"], after: $after) { reason } }', {
      after: data?.signalSnapshot.cursor,
    });
    expect((await client.collect<SignalData>('s', 2)).map((e) => e.data?.signal.reason)).toEqual(['new-1', 'new-2']);
  });

  it('follows a backtest from the cursor of its stored state, without repeating it', async () => {
    const started = await execute<{ startBacktest: { id: string } }>(
      server.graphqlUrl,
      'mutation { startBacktest(input: { strategyId: "ma-crossover", symbol: "AAPL", bars: 3000 }) { id } }',
      {},
      trader,
    );
    const id = started.data!.startBacktest.id;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const read = await execute<{ backtest: { status: string; progress: number; cursor: string } }>(
      server.graphqlUrl, 'query ($id: ID!) { backtest(id: $id) { status progress cursor } }', { id }, trader,
    );
    const { cursor, progress } = read.data!.backtest;
    const client = await connect();
    client.subscribe('b', 'subscription ($id: ID!, $after: Cursor) { backtestProgress(id: $id, after: $after) { status progress cursor result { trades } } }', { id, after: cursor });
    type P = { backtestProgress: { status: string; progress: number; cursor: string; result: { trades: number } | null } };
    const events: P['backtestProgress'][] = [];
    for (;;) {
      const message = await client.waitFor((m) => m.id === 'b', 20_000);
      if (message.type === 'complete') break;
      events.push((message.payload as NextPayload<P>).data!.backtestProgress);
    }
    expect(events.at(-1)?.status).toBe('COMPLETED');
    expect(events[0]!.progress).toBeGreaterThanOrEqual(progress);
    expect(events.map((e) => e.cursor)).not.toContain(cursor);
    expect(decodeCursor(events[0]!.cursor)!.offset).toBeGreaterThan(decodeCursor(cursor)!.offset);
    // The COMPLETED event carries the result, so a screen needs no second query.
    expect(events.at(-1)?.result?.trades).toBeGreaterThan(0);
    expect(events.slice(0, -1).every((e) => e.result === null)).toBe(true);
  });

  it('answers a cursor of another history (a restarted server) with CURSOR_EXPIRED, and one ahead with BAD_CURSOR', async () => {
    const { data } = await publishSignal('EPOCH', 'now');
    const position = decodeCursor(data!.publishSignal.cursor)!;
    const client = await connect();
    const SUB = 'subscription ($after: Cursor) { signal(after: $after) { reason } }';
    client.subscribe('old', SUB, { after: encodeCursor({ epoch: 'AnotherEpoch', offset: position.offset }) });
    const old = await client.waitFor((m) => m.id === 'old');
    expect((old.payload as { extensions: { code: string } }[])[0]?.extensions.code).toBe('CURSOR_EXPIRED');
    client.subscribe('ahead', SUB, { after: encodeCursor({ ...position, offset: position.offset + 1000 }) });
    const ahead = await client.waitFor((m) => m.id === 'ahead');
    expect((ahead.payload as { extensions: { code: string } }[])[0]?.extensions.code).toBe('BAD_CURSOR');
  });
});
