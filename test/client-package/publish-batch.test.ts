import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTitanClient, TitanError, type PriceTick, type TitanClient } from '@titan-realtime/client';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';

/**
 * The client package's batch publishing (`publishPrices`, `publishSignals`) against a real server:
 * per-item results, a stream receiving the batch in order, and whole-request failures as TitanError.
 */

let server: InProcessServer;
const clients: TitanClient[] = [];

beforeAll(async () => {
  // 100 publishes per second (a burst of 200), 100 per batch.
  server = await startServer({ PUBLISHES_PER_SECOND: '100', PUBLISH_BATCH_MAX: '100' });
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await server?.stop();
});

async function client(subject: string, roles: ('publisher' | 'trader')[]): Promise<TitanClient> {
  const titan = createTitanClient({ url: server.graphqlUrl, token: await tokenFor(subject, roles) });
  clients.push(titan);
  return titan;
}

describe('publishPrices and publishSignals', () => {
  it('answer per input; a stream receives the published ones in order, once each', async () => {
    const publisher = await client('pkg-feed', ['publisher']);
    const reader = await client('pkg-reader', ['trader']);
    const received: PriceTick[] = [];
    const stream = reader.prices({ symbols: ['PKG-BATCH'] }, (tick) => void received.push(tick));
    for (let attempt = 1; stream.cursor === null && attempt <= 100; attempt += 1) {
      await publisher.publishPrices([{ symbol: 'PKG-BATCH', price: 0.5 }]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    received.length = 0;

    const batch = await publisher.publishPrices([
      { id: 'pkg-1', symbol: 'PKG-BATCH', price: 1 },
      { id: 'pkg-2', symbol: 'pkg batch', price: 2 },
      { id: 'pkg-3', symbol: 'PKG-BATCH', price: 3 },
      { id: 'pkg-1', symbol: 'PKG-BATCH', price: 1 },
    ]);
    expect(batch.published).toBe(3);
    expect(batch.failed).toBe(1);
    expect(batch.items.map((item) => [item.index, item.id, item.duplicate])).toEqual([
      [0, 'pkg-1', false],
      [1, null, false],
      [2, 'pkg-3', false],
      [3, 'pkg-1', true],
    ]);
    expect(batch.items[1]!.error).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/^inputs\[1\]: symbol "pkg batch" is malformed/) });
    expect(batch.items[3]!.cursor).toBe(batch.items[0]!.cursor);

    await expect.poll(() => received.length, { timeout: 5000 }).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(received.map((tick) => [tick.id, tick.cursor])).toEqual([
      ['pkg-1', batch.items[0]!.cursor],
      ['pkg-3', batch.items[2]!.cursor],
    ]);

    const signals = await publisher.publishSignals([
      { strategyId: 'rsi-reversion', symbol: 'PKG-BATCH', side: 'SELL', price: 3, confidence: 1.5 },
      { id: 'pkg-sig', strategyId: 'rsi-reversion', symbol: 'PKG-BATCH', side: 'SELL', price: 3, confidence: 0.5 },
    ]);
    expect(signals.items[0]!.error?.message).toMatch(/^inputs\[0\]: confidence must be a number from 0 to 1/);
    expect(signals.items[1]).toMatchObject({ id: 'pkg-sig', error: null, cursor: expect.any(String) });
  });

  it('reject as a whole with a TitanError: over the batch bound, not a publisher, over the rate', async () => {
    const publisher = await client('pkg-rate', ['publisher']);
    const ticks = (count: number) => Array.from({ length: count }, (_, i) => ({ symbol: 'PKG-RATE', price: i + 1 }));
    await expect(publisher.publishPrices(ticks(101))).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('PUBLISH_BATCH_MAX') });
    const trader = await client('pkg-trader', ['trader']);
    await expect(trader.publishPrices(ticks(1))).rejects.toMatchObject({ code: 'FORBIDDEN' });

    expect((await publisher.publishPrices(ticks(100))).published).toBe(100);
    expect((await publisher.publishPrices(ticks(100))).published).toBe(100);
    const refused = await publisher.publishPrices(ticks(100)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TitanError);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
    expect((refused as TitanError).retryAfterMs).toBeGreaterThan(500);
  });
});
