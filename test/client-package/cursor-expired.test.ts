import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTitanClient, memoryCursorStore, type CursorExpiredEvent, type TitanClient } from '../../packages/client/src/node.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';

/**
 * The documented CURSOR_EXPIRED policy against a real server: a consumer whose stored cursor has
 * fallen out of the retained history (HISTORY_MAX_LEN) refetches the snapshot, is told through
 * `cursorExpired` (never silently), and goes on live after the snapshot's cursor.
 */
let server: InProcessServer;
const clients: TitanClient[] = [];

beforeAll(async () => {
  server = await startServer({ HISTORY_MAX_LEN: '5', PUBLISHES_PER_SECOND: '10000', MUTATIONS_PER_SECOND: '10000' });
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await server.stop();
});

describe('a stream whose cursor has expired', () => {
  it('refetches the snapshot, says so through cursorExpired, and goes on after it', async () => {
    const publisher = createTitanClient({ url: server.graphqlUrl, token: await tokenFor('svc', ['publisher']) });
    clients.push(publisher);
    const publish = (id: string, price: number) =>
      publisher.publishSignal({ id, strategyId: 'ma-crossover', symbol: 'EXPIRES', side: 'SELL', price, confidence: 0.5 });
    const store = memoryCursorStore();
    const token = await tokenFor('late', ['trader']);

    // A first consumer handles one event; its cursor is stored.
    const first = createTitanClient({ url: server.wsUrl, token, cursorStore: store });
    clients.push(first);
    const stream = first.signals({ symbols: ['EXPIRES'] }, () => {});
    for (let attempt = 1; stream.cursor === null && attempt <= 100; attempt += 1) {
      await publish(`warm-up-${attempt}`, 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stream.cursor).not.toBeNull();
    first.close();

    // Far more is published than the history keeps: the stored cursor falls out of it.
    for (let n = 1; n <= 20; n += 1) await publish(`gap-${n}`, 100 + n);

    // A consumer with the same store starts after the expired cursor.
    const second = createTitanClient({ url: server.wsUrl, token, cursorStore: store });
    clients.push(second);
    const expiries: CursorExpiredEvent[] = [];
    second.on('cursorExpired', (event) => expiries.push(event));
    const prices: number[] = [];
    const resumed = second.signals({ symbols: ['EXPIRES'] }, (signal) => void prices.push(signal.price));
    for (let wait = 0; wait < 200 && expiries.length === 0; wait += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(expiries).toHaveLength(1);
    const snapshot = expiries[0]?.snapshot as { price: number }[];
    expect(snapshot.map((signal) => signal.price)).toContain(120);

    // It goes on live after the snapshot: the next event arrives, and none of the gap again.
    await publish('after-expiry', 999);
    for (let wait = 0; wait < 200 && !prices.includes(999); wait += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(prices).toEqual([999]);
    resumed.close();
  });
});
