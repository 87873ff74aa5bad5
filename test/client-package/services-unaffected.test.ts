import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserNetwork, browserPageVisibility, createTitanClient, type Signal, type TitanClient } from '../../packages/client/src/node.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';
import { until } from '../support/until.js';

/**
 * A service has no `window` or `document`: the client's network and page-visibility watching must
 * leave it alone (feature detection), even with the shortest grace period a browser page could have.
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

describe('under Node', () => {
  it('counts the network as up and the page as visible, and listens to nothing', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
    expect(browserNetwork().isOnline()).toBe(true);
    expect(browserPageVisibility().isVisible()).toBe(true);
    expect(() => browserNetwork().subscribe(() => {})()).not.toThrow();
    expect(() => browserPageVisibility().subscribe(() => {})()).not.toThrow();
  });

  it('never pauses a service stream, even with hiddenGraceMs: 0', async () => {
    const publisher = createTitanClient({ url: server.graphqlUrl, token: await tokenFor('svc', ['publisher']) });
    const consumer = createTitanClient({ url: server.wsUrl, token: await tokenFor('svc-reader', ['trader']), hiddenGraceMs: 0 });
    clients.push(publisher, consumer);
    const states: string[] = [];
    consumer.on('state', ({ newState }) => states.push(newState));
    const received: Signal[] = [];
    const stream = consumer.signals({ symbols: ['SERVICE'] }, (signal) => void received.push(signal));
    await until(() => states.includes('connected'), 'the consumer to connect');
    await new Promise((resolve) => setTimeout(resolve, 300)); // far past a 0 ms grace period
    for (let n = 1; n <= 3; n++) {
      await publisher.publishSignal({ id: `svc-${n}`, strategyId: 'ma-crossover', symbol: 'SERVICE', side: 'BUY', price: n, confidence: 0.5 });
    }
    await until(() => received.length === 3, 'three signals');
    expect(received.map((signal) => signal.price)).toEqual([1, 2, 3]);
    expect(states).toEqual(['connected']);
    stream.close();
  });
});
