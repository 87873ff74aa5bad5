import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute, type NextPayload } from '../support/protocol-client.js';
import { startServer, tokenFor, type TestServer } from '../support/start-server.js';

let fast: TestServer;
let slow: TestServer;
let alice: string;
let bob: string;
let admin: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  [fast, slow] = await Promise.all([startServer(), startServer({ BACKTEST_BARS_PER_SECOND: '2000' })]);
  [alice, bob, admin] = await Promise.all([
    tokenFor('alice', ['trader']),
    tokenFor('bob', ['trader']),
    tokenFor('root', ['admin']),
  ]);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await Promise.all([fast.stop(), slow.stop()]);
});

const START = `mutation ($input: StartBacktestInput!) { startBacktest(input: $input) { id strategyId symbol status totalBars createdAt } }`;
const PROGRESS = `subscription ($id: ID!) { backtestProgress(id: $id) { backtestId status progress processedBars totalBars equity message cursor } }`;
const BACKTEST = `query ($id: ID!) { backtest(id: $id) { id status progress message totalBars result { totalReturn maxDrawdown trades winRate sharpe equityCurve } } }`;

type Progress = { backtestProgress: { status: string; progress: number; processedBars: number; totalBars: number; equity: number | null; message: string | null } };

async function start(server: TestServer, token: string, input: Record<string, unknown>) {
  return execute<{ startBacktest: { id: string; status: string; totalBars: number } }>(server.graphqlUrl, START, { input }, token);
}

/** Every progress event until the subscription completes. */
async function followProgress(server: TestServer, token: string, id: string): Promise<Progress['backtestProgress'][]> {
  const client = await ProtocolClient.connect(server.wsUrl, token);
  clients.push(client);
  client.subscribe('b', PROGRESS, { id });
  const events: Progress['backtestProgress'][] = [];
  for (;;) {
    const message = await client.waitFor((m) => m.id === 'b', 20_000);
    if (message.type === 'complete') return events;
    const payload = message.payload as NextPayload<Progress>;
    if (message.type === 'error' || payload.errors) throw new Error(JSON.stringify(message.payload));
    events.push(payload.data!.backtestProgress);
  }
}

describe('backtests', () => {
  it('runs to COMPLETED with a real result, streaming progress', async () => {
    const { data, errors } = await start(slow, alice, { strategyId: 'ma-crossover', symbol: 'BTC-USD', bars: 3000 });
    expect(errors).toBeUndefined();
    const id = data!.startBacktest.id;
    expect(data?.startBacktest).toMatchObject({ strategyId: 'ma-crossover', symbol: 'BTC-USD', totalBars: 3000 });
    const events = await followProgress(slow, alice, id);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ status: 'COMPLETED', progress: 1, processedBars: 3000, totalBars: 3000 });
    const running = events.filter((e) => e.status === 'RUNNING');
    expect(running.length).toBeGreaterThan(3);
    const fractions = running.map((e) => e.progress);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    const { data: after } = await execute<{ backtest: { status: string; result: Record<string, number | number[] | null> } }>(
      slow.graphqlUrl, BACKTEST, { id }, alice,
    );
    const result = after!.backtest.result;
    expect(after?.backtest.status).toBe('COMPLETED');
    expect(Number.isFinite(result.totalReturn)).toBe(true);
    expect(result.maxDrawdown).toBeGreaterThanOrEqual(0);
    expect(result.trades).toBeGreaterThan(0);
    expect(result.winRate).toBeGreaterThanOrEqual(0);
    expect(result.winRate).toBeLessThanOrEqual(1);
    expect((result.equityCurve as number[])[0]).toBe(1);
    expect(last.equity).toBeCloseTo(1 + (result.totalReturn as number), 10);
  });

  it('is deterministic: the same run gives the same result', async () => {
    const input = { strategyId: 'rsi-reversion', symbol: 'ETH-USD', bars: 5000 };
    const results = [];
    for (let i = 0; i < 2; i += 1) {
      const id = (await start(fast, alice, input)).data!.startBacktest.id;
      await followProgress(fast, alice, id);
      results.push((await execute<{ backtest: { result: unknown } }>(fast.graphqlUrl, BACKTEST, { id }, alice)).data?.backtest.result);
    }
    expect(results[0]).toEqual(results[1]);
  });

  it('reports how a finished run ended to a late subscriber, then completes', async () => {
    const id = (await start(fast, alice, { strategyId: 'ma-crossover', symbol: 'AAPL', bars: 1000 })).data!.startBacktest.id;
    await followProgress(fast, alice, id);
    const late = await followProgress(fast, alice, id);
    expect(late.map((e) => e.status)).toEqual(['COMPLETED']);
  });

  it('cancels a running backtest', async () => {
    const id = (await start(slow, alice, { strategyId: 'ma-crossover', symbol: 'MSFT', bars: 500_000 })).data!.startBacktest.id;
    const progress = followProgress(slow, alice, id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { data, errors } = await execute<{ cancelBacktest: { status: string } }>(
      slow.graphqlUrl, 'mutation ($id: ID!) { cancelBacktest(id: $id) { status } }', { id }, alice,
    );
    expect(errors).toBeUndefined();
    expect(data?.cancelBacktest.status).toBe('CANCELLED');
    const events = await progress;
    expect(events.at(-1)?.status).toBe('CANCELLED');
    expect(events.at(-1)?.progress).toBeLessThan(1);
  });

  it('keeps a backtest private to its owner and admins, on every path', async () => {
    const id = (await start(fast, alice, { strategyId: 'ma-crossover', symbol: 'SOL-USD', bars: 1000 })).data!.startBacktest.id;
    await followProgress(fast, alice, id);
    const byBob = await execute<{ backtest: unknown; backtests: { id: string }[] }>(
      fast.graphqlUrl, `query ($id: ID!) { backtest(id: $id) { id } backtests { id } }`, { id }, bob,
    );
    expect(byBob.data?.backtest).toBeNull();
    expect(byBob.data?.backtests.map((b) => b.id)).not.toContain(id);
    await expect(followProgress(fast, bob, id)).rejects.toThrow(/NOT_FOUND/);
    const cancel = await execute(fast.graphqlUrl, 'mutation ($id: ID!) { cancelBacktest(id: $id) { status } }', { id }, bob);
    expect(cancel.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const byAdmin = await execute<{ backtest: { id: string } }>(fast.graphqlUrl, BACKTEST, { id }, admin);
    expect(byAdmin.data?.backtest.id).toBe(id);
    const mine = await execute<{ backtests: { id: string }[] }>(fast.graphqlUrl, '{ backtests { id } }', {}, alice);
    expect(mine.data?.backtests.map((b) => b.id)).toContain(id);
  });

  it.each([
    [{ strategyId: 'nope', symbol: 'BTC-USD' }, 'strategy'],
    [{ strategyId: 'ma-crossover', symbol: 'bad symbol' }, 'symbol'],
    [{ strategyId: 'ma-crossover', symbol: 'BTC-USD', bars: 10 }, 'bars'],
    [{ strategyId: 'ma-crossover', symbol: 'BTC-USD', bars: 5_000_000 }, 'bars'],
  ])('refuses %j naming %s', async (input, field) => {
    const { errors } = await start(fast, alice, input);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toContain(field);
  });

  it('needs role trader or admin to start one', async () => {
    const { errors } = await start(fast, await tokenFor('svc', ['publisher']), { strategyId: 'ma-crossover', symbol: 'BTC-USD' });
    expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
