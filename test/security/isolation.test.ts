import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startProcess, tokenFor, tokens, type ServerProcess } from '../support/start-server.js';
import { SseSubscription } from '../support/sse-client.js';

/** A trader cannot see another trader's backtest, nor an unentitled strategy's signals, by any transport. */
let server: ServerProcess;
let alice: string;
let bob: string;
let backtestId: string;
let cursor: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  server = await startProcess('main.ts');
  [alice, bob] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('bob', ['trader'])]);
  const started = await execute<{ startBacktest: { id: string } }>(
    server.graphqlUrl,
    'mutation { startBacktest(input: { strategyId: "ma-crossover", symbol: "BTC-USD", bars: 1000 }) { id } }',
    {},
    alice,
  );
  backtestId = started.data!.startBacktest.id;
  const read = await execute<{ backtest: { cursor: string } }>(server.graphqlUrl, 'query ($id: ID!) { backtest(id: $id) { cursor } }', { id: backtestId }, alice);
  cursor = read.data!.backtest.cursor;
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await server.stop();
});

/** The first event of an SSE subscription, as text. */
async function sse(query: string, variables: Record<string, unknown>, token: string): Promise<string> {
  const subscription = await SseSubscription.open(server.graphqlUrl, token, query, variables);
  await subscription.until((s) => s.events.length > 0 || s.ended, 'a first event');
  subscription.close();
  return subscription.text;
}

const PROGRESS = 'subscription ($id: ID!, $after: Cursor) { backtestProgress(id: $id, after: $after) { status } }';

describe("another trader's backtest", () => {
  it('is invisible over HTTP queries and mutations', async () => {
    const { data } = await execute<{ backtest: unknown; backtests: { id: string }[] }>(
      server.graphqlUrl, 'query ($id: ID!) { backtest(id: $id) { id } backtests { id } }', { id: backtestId }, bob,
    );
    expect(data?.backtest).toBeNull();
    expect(data?.backtests.map((b) => b.id)).not.toContain(backtestId);
    const cancel = await execute(server.graphqlUrl, 'mutation ($id: ID!) { cancelBacktest(id: $id) { id } }', { id: backtestId }, bob);
    expect(cancel.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('is invisible over WebSocket, live or replayed from a cursor', async () => {
    const client = await ProtocolClient.connect(server.wsUrl, bob);
    clients.push(client);
    client.subscribe('live', PROGRESS, { id: backtestId });
    client.subscribe('replay', PROGRESS, { id: backtestId, after: cursor });
    for (const id of ['live', 'replay']) {
      const message = await client.waitFor((m) => m.id === id);
      expect(JSON.stringify(message.payload)).toContain('NOT_FOUND');
      expect(JSON.stringify(message.payload)).not.toContain('status');
    }
  });

  it('is invisible over SSE', async () => {
    const text = await sse(PROGRESS, { id: backtestId }, bob);
    expect(text).toContain('NOT_FOUND');
    expect(text).not.toContain('"status"');
  });
});

describe('unentitled signals', () => {
  it('are refused over SSE as over WebSocket and HTTP', async () => {
    const limited = await tokens.issue('erin', ['trader'], '1h', { strategies: ['ma-crossover'] });
    const text = await sse('subscription { signal(strategyIds: ["rsi-reversion"]) { id } }', {}, limited);
    expect(text).toContain('FORBIDDEN');
  });
});
