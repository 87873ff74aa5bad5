import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startServer, tokenFor, type TestServer } from '../support/start-server.js';

/** `ANALYTICS=off`: nothing is aggregated and every analytics field answers FEATURE_DISABLED. */
let server: TestServer;
let trader: string;

beforeAll(async () => {
  server = await startServer({ ANALYTICS: 'off' });
  trader = await tokenFor('alice', ['trader']);
});

afterAll(() => server.stop());

describe('analytics off', () => {
  it('answers the queries with FEATURE_DISABLED', async () => {
    for (const query of ['{ candleHistory(symbol: "BTC-USD", interval: ONE_MINUTE) { cursor } }', '{ strategyStats { strategyId } }']) {
      const { errors } = await execute(server.graphqlUrl, query, {}, trader);
      expect(errors?.[0]?.extensions?.code).toBe('FEATURE_DISABLED');
    }
  });

  it('answers the subscriptions with FEATURE_DISABLED', async () => {
    const client = await ProtocolClient.connect(server.wsUrl, trader);
    try {
      client.subscribe('c', 'subscription { candles(symbol: "BTC-USD", interval: ONE_SECOND) { cursor } }');
      client.subscribe('s', 'subscription { strategyStats { strategyId } }');
      for (const id of ['c', 's']) expect(JSON.stringify((await client.waitFor((m) => m.id === id)).payload)).toContain('FEATURE_DISABLED');
    } finally {
      client.close();
    }
  });
});
