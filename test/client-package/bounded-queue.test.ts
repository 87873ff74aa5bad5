import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTitanClient, type TitanClient } from '../../packages/client/src/node.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';

/**
 * A consumer slower than the events it subscribed to: its stream holds at most `maxQueuedEvents`,
 * stops its subscription at the bound and resumes from its cursor once the consumer catches up, and
 * the consumer still gets every event exactly once, in order.
 */
let server: InProcessServer;
const clients: TitanClient[] = [];

beforeAll(async () => {
  server = await startServer({ PUBLISHES_PER_SECOND: '10000', MUTATIONS_PER_SECOND: '10000' });
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await server.stop();
});

describe('a slow consumer', () => {
  it('holds at most maxQueuedEvents and still gets every event once, in order', async () => {
    const publisher = createTitanClient({ url: server.graphqlUrl, token: await tokenFor('svc', ['publisher']) });
    const consumer = createTitanClient({ url: server.wsUrl, token: await tokenFor('slow', ['trader']), maxQueuedEvents: 5 });
    clients.push(publisher, consumer);
    const stream = consumer.signals({ symbols: ['SLOWPOKE'] });
    const publish = (id: string, price: number) =>
      publisher.publishSignal({ id, strategyId: 'ma-crossover', symbol: 'SLOWPOKE', side: 'BUY', price, confidence: 0.5 });

    // Warm-up signals (price 1) until one arrives: the subscription is live. Then a burst of 40
    // (prices 1001-1040, in order) far faster than the consumer reads.
    const received: number[] = [];
    let live = false;
    let mostQueued = 0;
    const consuming = (async () => {
      for await (const signal of stream) {
        live = true;
        if (signal.price < 1000) continue;
        received.push(signal.price - 1000);
        mostQueued = Math.max(mostQueued, stream.queued);
        if (received.length === 40) break;
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    for (let attempt = 0; !live; attempt += 1) {
      await publish(`warm-up-${attempt}`, 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (let n = 1; n <= 40; n += 1) await publish(`slow-${n}`, 1000 + n);
    await consuming;

    expect(received).toEqual(Array.from({ length: 40 }, (_, n) => n + 1));
    expect(mostQueued).toBeLessThanOrEqual(5);
  });
});

describe('a client that only publishes', () => {
  it('opens no live connection: the first stream opens it', async () => {
    const publisher = createTitanClient({ url: server.graphqlUrl, token: await tokenFor('svc', ['publisher']) });
    clients.push(publisher);
    const states: string[] = [];
    publisher.on('state', ({ newState }) => states.push(newState));
    await publisher.publishSignal({ id: 'lazy-1', strategyId: 'ma-crossover', symbol: 'LAZY', side: 'BUY', price: 1, confidence: 0.5 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(states).toEqual([]);
    const stream = publisher.signals({ symbols: ['LAZY'] }, () => {});
    for (let wait = 0; wait < 100 && !states.includes('connected'); wait += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(states).toContain('connected');
    stream.close();
  });
});
