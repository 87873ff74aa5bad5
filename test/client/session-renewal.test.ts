import { CloseCode } from '../../src/transport/close-codes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest, type OperationResult } from 'urql';
import { pipe, subscribe } from 'wonka';
import WebSocket from 'ws';
import type { ConnectionState } from '@titan-realtime/client';
import { createTokenStore } from '@titan-realtime/client';
import { createDashboardSession, type DashboardSession } from '../../client/src/urql-client.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';

/**
 * The client's token handling against a real server (in this process, `ws` as the WebSocket):
 * renewal in band before expiry, and the way back after an expiry that could not be renewed.
 */
let server: InProcessServer;
let publisher: string;

beforeAll(async () => {
  server = await startServer({ JWT_CLOCK_SKEW_S: '0' });
  publisher = await tokenFor('feed', ['publisher']);
});

afterAll(async () => {
  await server?.stop();
});

const TICKS = 'subscription ($after: Cursor) { price(symbols: ["REN-USD"], after: $after) { price cursor } }';

async function publish(price: number): Promise<void> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${publisher}` },
    body: JSON.stringify({ query: `mutation { publishPrice(input: { symbol: "REN-USD", price: ${price} }) { cursor } }` }),
  });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
}

function open(fetchDevToken: () => Promise<string | null>, renewLeadMs?: number) {
  const tokens = createTokenStore({ fetchDevToken, storage: { read: () => null, write: () => {}, clear: () => {} } });
  return {
    tokens,
    start(): DashboardSession {
      return createDashboardSession({
        tokens,
        location: { protocol: 'http:', host: new URL(server.url).host },
        ws: { webSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket },
        ...(renewLeadMs !== undefined && { renewLeadMs }),
      });
    },
  };
}

function follow(session: DashboardSession) {
  const prices: number[] = [];
  const errors: unknown[] = [];
  const states: ConnectionState[] = [];
  session.connection.status.subscribe(({ newState }) => states.push(newState));
  pipe(
    session.client.executeSubscription(createRequest(TICKS, {})),
    subscribe((result: OperationResult) => {
      if (result.error) errors.push(result.error);
      const price = (result.data as { price?: { price: number } } | undefined)?.price?.price;
      if (price !== undefined) prices.push(price);
    }),
  );
  return { prices, errors, states };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('tokens against a real server', () => {
  it('renews a dev token in band before it expires: the connection and its subscription go on', async () => {
    const fresh = [await tokenFor('dev-trader', ['trader'], '3s'), await tokenFor('dev-trader', ['trader'], '1h')];
    const page = open(async () => (fresh.length > 1 ? fresh.shift()! : fresh[0]!), 2_000);
    await page.tokens.acquire();
    const session = page.start();
    const seen = follow(session);
    await until('connected', () => session.connection.status.getSnapshot().state === 'connected');
    await publish(1);
    await until('price 1', () => seen.prices.includes(1));

    await new Promise((resolve) => setTimeout(resolve, 4_000)); // past the first token's expiry
    await publish(2);
    await until('price 2', () => seen.prices.includes(2));
    expect(seen.states).toEqual(['connected']); // never dropped
    expect(seen.errors).toEqual([]);
    session.dispose();
  });

  it('after an expiry it could not renew, asks for a token and resumes from the last cursor', async () => {
    const page = open(async () => null);
    page.tokens.supply(await tokenFor('alice', ['trader'], '2s'));
    const session = page.start();
    const seen = follow(session);
    await until('connected', () => session.connection.status.getSnapshot().state === 'connected');
    await publish(10);
    await until('price 10', () => seen.prices.includes(10));

    await until('auth-needed', () => session.connection.status.getSnapshot().state === 'auth-needed', 5_000);
    expect(session.connection.status.getSnapshot().code).toBe(CloseCode.Unauthorized);
    await publish(11); // while nobody is connected
    await publish(12);
    page.tokens.supply(await tokenFor('alice', ['trader'], '1h'));
    await until('prices 11 and 12', () => seen.prices.includes(12));
    await publish(13);
    await until('price 13', () => seen.prices.includes(13));
    expect(seen.prices).toEqual([10, 11, 12, 13]); // no gap, no duplicate
    expect(seen.errors).toEqual([]);
    session.dispose();
  });
});
