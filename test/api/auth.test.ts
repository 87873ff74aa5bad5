import { CloseCode } from '../../src/transport/close-codes.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startServer, tokenFor, type TestServer } from '../support/start-server.js';

let server: TestServer;
let trader: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  server = await startServer();
  trader = await tokenFor('alice', ['trader']);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await server.stop();
});

async function forgedTokens() {
  const wrongKey = await new SignJWT({ roles: ['admin'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('mallory')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ sub: 'mallory', roles: ['admin'] })).toString('base64url');
  const [validHeader, , signature] = trader.split('.');
  return {
    'no token': undefined,
    garbage: 'Bearer not-a-jwt',
    'wrong key': `Bearer ${wrongKey}`,
    'alg none': `Bearer ${header}.${payload}.`,
    'tampered claims': `Bearer ${validHeader}.${payload}.${signature}`,
    expired: `Bearer ${await tokenFor('alice', ['trader'], Math.floor(Date.now() / 1000) - 60)}`,
  };
}

describe('HTTP authentication', () => {
  it('refuses every operation without a valid token, with UNAUTHENTICATED and no echo of the token', async () => {
    for (const [name, authorization] of Object.entries(await forgedTokens())) {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query: '{ symbols }' }),
      });
      const body = (await response.json()) as { data?: unknown; errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code, name).toBe('UNAUTHENTICATED');
      expect(body.data ?? null, name).toBeNull();
      if (authorization) expect(JSON.stringify(body), name).not.toContain(authorization.slice(7, 40));
    }
  });

  it('refuses an SSE subscription without a valid token', async () => {
    const query = encodeURIComponent('subscription { price(symbols: ["BTC-USD"]) { price } }');
    const response = await fetch(`${server.graphqlUrl}?query=${query}`, {
      headers: { accept: 'text/event-stream', authorization: 'Bearer forged.token.here' },
    });
    const body = await response.text();
    expect(body).toContain('UNAUTHENTICATED');
    expect(body).not.toContain('"price":');
  });

  it('answers a valid token', async () => {
    const { data } = await execute<{ symbols: string[] }>(server.graphqlUrl, '{ symbols }', {}, trader);
    expect(data?.symbols).toContain('BTC-USD');
  });

  it('refuses a token without any known role with FORBIDDEN', async () => {
    const { errors } = await execute(server.graphqlUrl, '{ symbols }', {}, await tokenFor('bob', []));
    expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lets only publishers publish', async () => {
    const { errors } = await execute(
      server.graphqlUrl,
      'mutation { publishPrice(input: { symbol: "BTC-USD", price: 1 }) { price } }',
      {},
      trader,
    );
    expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('WebSocket authentication', () => {
  it('closes with 4401 for a missing, forged or expired token', async () => {
    for (const [name, authorization] of Object.entries(await forgedTokens())) {
      const client = await ProtocolClient.open(server.wsUrl, { init: true, authorization });
      clients.push(client);
      const { code, reason } = await client.waitForClose();
      expect(code, name).toBe(CloseCode.Unauthorized);
      expect(reason, name).toMatch(/^Unauthorized: /);
    }
  });

  it('closes with 4403 for a valid token without a known role', async () => {
    const client = await ProtocolClient.open(server.wsUrl, { authorization: `Bearer ${await tokenFor('bob', ['guest' as 'trader'])}` });
    clients.push(client);
    expect((await client.waitForClose()).code).toBe(CloseCode.Forbidden);
  });

  it('acknowledges a valid token and refuses a subscribe sent before connection_init with 4401', async () => {
    const client = await ProtocolClient.connect(server.wsUrl, trader);
    clients.push(client);
    const early = await ProtocolClient.open(server.wsUrl);
    clients.push(early);
    early.subscribe('1', 'subscription { price(symbols: ["BTC-USD"]) { price } }');
    expect((await early.waitForClose()).code).toBe(CloseCode.Unauthorized);
  });

  it('closes a socket that never sends connection_init with 4408', async () => {
    const idle = await ProtocolClient.open(server.wsUrl);
    clients.push(idle);
    expect((await idle.waitForClose(10_000)).code).toBe(CloseCode.ConnectionInitialisationTimeout);
  });
});
