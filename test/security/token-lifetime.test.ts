import { CloseCode } from '../../src/transport/close-codes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute, type NextPayload, type ProtocolMessage } from '../support/protocol-client.js';
import { startProcess, tokenFor, tokens, type ServerProcess } from '../support/start-server.js';

/** Token lifetime on a live WebSocket: expiry, in-band renewal, re-authorization, entitlements. */
let server: ServerProcess;
let publisher: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  server = await startProcess('main.ts', { BACKTEST_BARS_PER_SECOND: '2000', JWT_CLOCK_SKEW_S: '0' });
  publisher = await tokenFor('svc', ['publisher']);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await server.stop();
});

const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

async function connect(token: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, token);
  clients.push(client);
  return client;
}

const RENEW = 'mutation ($token: String!) { renewToken(token: $token) { subject roles expiresAt } }';

async function renew(client: ProtocolClient, id: string, token: string): Promise<ProtocolMessage> {
  client.subscribe(id, RENEW, { token: `Bearer ${token}` });
  return client.waitFor((m) => m.id === id && m.type !== 'complete');
}

const publishPrice = (symbol: string, price: number) =>
  execute(server.graphqlUrl, 'mutation ($s: String!, $p: Float!) { publishPrice(input: { symbol: $s, price: $p }) { price } }', { s: symbol, p: price }, publisher);

const publishSignal = (strategyId: string, symbol: string) =>
  execute(
    server.graphqlUrl,
    'mutation ($st: ID!, $s: String!) { publishSignal(input: { strategyId: $st, symbol: $s, side: BUY, price: 1, confidence: 0.5 }) { id } }',
    { st: strategyId, s: symbol },
    publisher,
  );

describe('token expiry on a live WebSocket', () => {
  it('closes the connection with 4401 when the token expires', async () => {
    const client = await connect(await tokenFor('alice', ['trader'], inSeconds(2)));
    const { code, reason } = await client.waitForClose(5000);
    expect(code).toBe(CloseCode.Unauthorized);
    expect(reason).toContain('token expired');
  });
});

describe('renewToken', () => {
  it('keeps every subscription going past the old expiry under the new token', async () => {
    const client = await connect(await tokenFor('alice', ['trader'], inSeconds(2)));
    client.subscribe('p', 'subscription { price(symbols: ["RENEW"]) { price } }');
    await client.untilLive('p', () => publishPrice('RENEW', 1));
    const renewed = await renew(client, 'r', await tokenFor('alice', ['trader'], '1h'));
    expect(renewed.type).toBe('next');
    const result = (renewed.payload as NextPayload<{ renewToken: { subject: string; roles: string[]; expiresAt: string } }>).data?.renewToken;
    expect(result?.subject).toBe('alice');
    expect(Date.parse(result?.expiresAt ?? '')).toBeGreaterThan(Date.now() + 3_000_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    client.drain('p');
    await publishPrice('RENEW', 42);
    expect((await client.collect<{ price: { price: number } }>('p', 1))[0]?.data?.price.price).toBe(42);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it('refuses a forged token or another subject, and leaves the connection as it was', async () => {
    const client = await connect(await tokenFor('alice', ['trader'], '1h'));
    const forged = await renew(client, 'f', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImFkbWluIl19.');
    expect(JSON.stringify(forged.payload)).toContain('UNAUTHENTICATED');
    const other = await renew(client, 'o', await tokenFor('mallory', ['admin'], '1h'));
    expect(JSON.stringify(other.payload)).toContain('FORBIDDEN');
    expect(JSON.stringify(other.payload)).toContain('same subject');
    const { errors } = await execute(server.graphqlUrl, RENEW, { token: 'x' }, await tokenFor('alice', ['trader']));
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('re-authorizes live subscriptions: a backtest no longer visible ends with FORBIDDEN', async () => {
    const owner = await tokenFor('owner', ['trader']);
    const started = await execute<{ startBacktest: { id: string } }>(
      server.graphqlUrl,
      'mutation { startBacktest(input: { strategyId: "ma-crossover", symbol: "BTC-USD", bars: 200000 }) { id } }',
      {},
      owner,
    );
    const id = started.data!.startBacktest.id;
    const auditor = await connect(await tokenFor('auditor', ['admin'], '1h'));
    auditor.subscribe('b', 'subscription ($id: ID!) { backtestProgress(id: $id) { status } }', { id });
    await auditor.waitFor((m) => m.id === 'b' && m.type === 'next');
    const renewed = await renew(auditor, 'r', await tokenFor('auditor', ['trader'], '1h'));
    expect(renewed.type).toBe('next');
    const ended = await auditor.waitFor((m) => m.id === 'b' && m.type === 'error', 10_000);
    expect(JSON.stringify(ended.payload)).toContain('FORBIDDEN');
    await execute(server.graphqlUrl, 'mutation ($id: ID!) { cancelBacktest(id: $id) { status } }', { id }, owner);
  });
});

describe('strategy entitlements (the strategies claim)', () => {
  it('limits signals to the entitled strategies on subscriptions, replay and queries', async () => {
    const limited = await tokens.issue('erin', ['trader'], '1h', { strategies: ['ma-crossover'] });
    const before = await execute<{ signalSnapshot: { cursor: string } }>(server.graphqlUrl, '{ signalSnapshot { cursor } }', {}, limited);
    await publishSignal('rsi-reversion', 'ENT');
    await publishSignal('ma-crossover', 'ENT');

    const client = await connect(limited);
    client.subscribe('denied', 'subscription { signal(strategyIds: ["rsi-reversion"]) { strategyId } }');
    expect(JSON.stringify((await client.waitFor((m) => m.id === 'denied')).payload)).toContain('FORBIDDEN');

    client.subscribe('replay', 'subscription ($after: Cursor) { signal(symbols: ["ENT"], after: $after) { strategyId } }', {
      after: before.data?.signalSnapshot.cursor,
    });
    const replayed = await client.collect<{ signal: { strategyId: string } }>('replay', 1);
    expect(replayed[0]?.data?.signal.strategyId).toBe('ma-crossover');
    await publishSignal('rsi-reversion', 'ENT');
    await publishSignal('ma-crossover', 'ENT');
    const live = await client.collect<{ signal: { strategyId: string } }>('replay', 1);
    expect(live[0]?.data?.signal.strategyId).toBe('ma-crossover');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.drain('replay')).toEqual([]);

    const listed = await execute<{ signals: { strategyId: string }[] }>(server.graphqlUrl, '{ signals(symbol: "ENT") { strategyId } }', {}, limited);
    expect(new Set(listed.data?.signals.map((s) => s.strategyId))).toEqual(new Set(['ma-crossover']));
    const denied = await execute(server.graphqlUrl, '{ signals(strategyId: "rsi-reversion") { id } }', {}, limited);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
