import { afterAll, describe, expect, it } from 'vitest';
import { connectPublisher, type ConnectedPublisher } from '../../src/publish/index.js';
import { ProtocolClient, execute, followWithResume, type NextPayload } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';

/** Redis crashing and coming back, and a server told to stop, in the middle of a stream. */
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

type SignalData = { signal: { reason: string; cursor: string } };
const SIGNALS = 'subscription ($symbol: String!, $after: Cursor) { signal(symbols: [$symbol], after: $after) { reason cursor } }';

async function connect(server: ServerProcess, token: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, token);
  cleanups.push(() => client.close());
  return client;
}

function signal(publisher: ConnectedPublisher, symbol: string, n: number) {
  return publisher.publishSignal({ strategyId: 'ma-crossover', symbol, side: 'BUY', price: 1, confidence: 0.5, reason: `#${n}` });
}

async function poll<T>(read: () => Promise<T>, until: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const reasons = (events: NextPayload<SignalData>[]) => events.map((e) => e.data?.signal.reason);
const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `#${from + i}`);

describe('Redis stops and comes back', () => {
  it('keeps the server up, reports it degraded, refuses publishes, then continues without losing stored events', async () => {
    const redis: TestRedis = await startRedis({ persistent: true });
    cleanups.push(() => redis.stop());
    const server = await startProcess('main.ts', { REDIS_URL: redis.url });
    cleanups.push(() => server.stop());
    const publisher = await connectPublisher({ redisUrl: redis.url, onError: () => {} });
    cleanups.push(() => publisher.close());
    const [trader, publisherToken] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('svc', ['publisher'])]);

    const live = await connect(server, trader);
    live.subscribe('l', SIGNALS, { symbol: 'FAULT' });
    await live.untilLive<SignalData>('l', () => signal(publisher, 'FAULT', 0));
    await new Promise((resolve) => setTimeout(resolve, 100));
    live.drain('l');
    const resumer = await connect(server, trader);
    resumer.subscribe('r', SIGNALS, { symbol: 'FAULT' });
    const last = await resumer.untilLive<SignalData>('r', () => signal(publisher, 'FAULT', 0));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lastCursor = resumer.drain('r').map((m) => (m.payload as NextPayload<SignalData>).data!.signal.cursor).at(-1)
      ?? last.data!.signal.cursor;
    resumer.close();
    live.drain('l');

    for (let n = 1; n <= 10; n += 1) await signal(publisher, 'FAULT', n);
    await live.collect<SignalData>('l', 10);

    await redis.kill();
    const degraded = await poll(() => fetch(`${server.url}/readyz`), (r) => r.status === 503);
    expect(degraded.status).toBe(503);
    expect(await degraded.json()).toMatchObject({ status: 'degraded' });
    const refused = await execute(server.graphqlUrl, 'mutation { publishPrice(input: { symbol: "FAULT", price: 1 }) { price } }', {}, publisherToken);
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.length).toBeGreaterThan(0);
    await expect(signal(publisher, 'FAULT', -1)).rejects.toThrow();

    await redis.restart();
    const ready = await poll(() => fetch(`${server.url}/readyz`), (r) => r.status === 200);
    expect(ready.status).toBe(200);
    for (let n = 11; n <= 20; n += 1) {
      await poll(() => signal(publisher, 'FAULT', n).then(() => true, () => false), (ok) => ok, 10_000);
    }
    const continued = await live.collect<SignalData>('l', 10, 15_000);
    expect(reasons(continued)).toEqual(numbered(11, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(live.drain('l')).toEqual([]);

    const resumed = await connect(server, trader);
    resumed.subscribe('r', SIGNALS, { symbol: 'FAULT', after: lastCursor });
    expect(reasons(await resumed.collect<SignalData>('r', 20))).toEqual(numbered(1, 20));
    expect(server.child.exitCode).toBeNull();
  });
});

describe('SIGTERM under load', () => {
  it('closes clients with 1001 and exits promptly; they resume on another instance with nothing lost', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    // History long enough for the whole storm: this test is about shutdown, not retention.
    const env = { REDIS_URL: redis.url, HISTORY_MAX_LEN: '5000' };
    const [a, b] = await Promise.all([startProcess('main.ts', env), startProcess('main.ts', env)]);
    cleanups.push(() => a.stop(), () => b.stop());
    const publisher = await connectPublisher({ redisUrl: redis.url, historyMaxLen: 5000 });
    cleanups.push(() => publisher.close());
    const trader = await tokenFor('alice', ['trader']);

    const CLIENTS = 5;
    const onA = await Promise.all(Array.from({ length: CLIENTS }, () => connect(a, trader)));
    let n = 0;
    const firsts: NextPayload<SignalData>[] = [];
    for (const client of onA) {
      client.subscribe('s', SIGNALS, { symbol: 'TERM' });
      firsts.push(await client.untilLive<SignalData>('s', () => signal(publisher, 'TERM', (n += 1))));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const received = onA.map((client, index) => [firsts[index]!, ...client.drain('s').map((m) => m.payload as NextPayload<SignalData>)]);
    const start = n + 1;

    const TOTAL = 1500;
    const storm = (async () => {
      for (let i = 0; i < TOTAL; i += 1) await signal(publisher, 'TERM', (n += 1));
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      const sent = Date.now();
      a.child.once('exit', (code) => resolve({ code, ms: Date.now() - sent }));
    });
    a.expectExit();
    a.child.kill('SIGTERM');
    const closes = await Promise.all(onA.map((client) => client.waitForClose()));
    expect(closes.map((c) => c.code)).toEqual(Array(CLIENTS).fill(1001));
    const { code, ms } = await exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);

    // Each client takes what it had queued, then resumes on B after its last cursor (and again
    // after any later close, as a client does).
    for (const [index, client] of onA.entries()) {
      received[index]!.push(...client.drain('s').filter((m) => m.type === 'next').map((m) => m.payload as NextPayload<SignalData>));
    }
    await storm;
    await Promise.all(
      received.map(async (mine) => {
        const firstNumber = Number(mine[0]!.data!.signal.reason.slice(1));
        const rest = await followWithResume<SignalData>({
          wsUrl: b.wsUrl,
          token: trader,
          query: SIGNALS,
          variables: { symbol: 'TERM' },
          after: mine.at(-1)!.data!.signal.cursor,
          cursorOf: (payload) => payload.data!.signal.cursor,
          done: (events) => mine.length + events.length >= n - firstNumber + 1,
        });
        mine.push(...rest);
        expect(reasons(mine)).toEqual(numbered(firstNumber, n));
      }),
    );
    expect(start).toBeLessThan(n);
  });
});
