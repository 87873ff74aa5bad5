import { CloseCode } from '../../src/transport/close-codes.js';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';

/** Every limit with a small value, as an attacker would meet it: each refused clearly, the server fine. */
let server: ServerProcess;
let trader: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  server = await startProcess('main.ts', {
    WS_MAX_PAYLOAD_BYTES: '4096',
    HTTP_MAX_BODY_BYTES: '4096',
    WS_INIT_TIMEOUT_MS: '300',
    MAX_SUBSCRIPTIONS_PER_CONNECTION: '3',
    MAX_CONNECTIONS_PER_USER: '2',
    MAX_SYMBOLS_PER_SUBSCRIPTION: '3',
    MAX_QUERY_DEPTH: '2',
    MAX_QUERY_ALIASES: '3',
    MAX_QUERY_FIELDS: '40',
    MAX_QUERY_TOKENS: '500',
    MUTATIONS_PER_SECOND: '1',
    ALLOWED_ORIGINS: 'https://desk.example.com',
  });
  trader = await tokenFor('alice', ['trader']);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await server.stop();
});

async function connect(token = trader): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, token);
  clients.push(client);
  return client;
}

function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers });
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', (error) => (error.message.includes('Unexpected server response') ? undefined : reject(error)));
  });
}

describe('WebSocket limits', () => {
  it('refuses more operations per connection than allowed, and keeps the connection', async () => {
    const client = await connect();
    for (const id of ['1', '2', '3']) client.subscribe(id, 'subscription { price(symbols: ["BTC-USD"]) { price } }');
    client.subscribe('4', 'subscription { price(symbols: ["BTC-USD"]) { price } }');
    const refused = await client.waitFor((m) => m.id === '4');
    expect(refused.type).toBe('error');
    expect((refused.payload as { extensions: { code: string } }[])[0]?.extensions.code).toBe('LIMIT_EXCEEDED');
    client.send({ id: '1', type: 'complete' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.subscribe('5', 'subscription { price(symbols: ["BTC-USD"]) { price } }');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.drain('5').filter((m) => m.type === 'error')).toEqual([]);
  });

  it('closes a user\'s connection beyond the per-user limit with 4429', async () => {
    const bob = await tokenFor('bob', ['trader']);
    await connect(bob);
    await connect(bob);
    const third = await ProtocolClient.open(server.wsUrl, { authorization: `Bearer ${bob}` });
    clients.push(third);
    const { code, reason } = await third.waitForClose();
    expect(code).toBe(CloseCode.TooManyRequests);
    expect(reason).toContain('Too many connections');
  });

  it('closes a socket that sends a frame over the size limit with 1009', async () => {
    const client = await connect();
    client.send({ id: 'big', type: 'subscribe', payload: { query: `{ symbols } # ${'x'.repeat(8000)}` } });
    expect((await client.waitForClose()).code).toBe(CloseCode.MessageTooBig);
  });

  it('closes a socket that does not initialise in time with 4408', async () => {
    const idle = await ProtocolClient.open(server.wsUrl);
    clients.push(idle);
    expect((await idle.waitForClose()).code).toBe(CloseCode.ConnectionInitialisationTimeout);
  });

  it('refuses a subscription naming too many symbols', async () => {
    const client = await connect();
    client.subscribe('many', 'subscription { price(symbols: ["A", "B", "C", "D"]) { price } }');
    const message = await client.waitFor((m) => m.id === 'many');
    expect(JSON.stringify(message.payload)).toContain('at most 3 symbols');
  });

  it('refuses upgrades from origins that are not allowed, and accepts the page\'s own and the listed ones', async () => {
    const host = new URL(server.url).host;
    expect(await upgradeStatus({ origin: 'https://evil.example.net' })).toBe(403);
    expect(await upgradeStatus({ origin: 'https://desk.example.com' })).toBe(101);
    expect(await upgradeStatus({ origin: `http://${host}` })).toBe(101);
  });
});

describe('HTTP limits', () => {
  it('refuses a body over the limit with 413 and one without a length with 411', async () => {
    const big = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${trader}` },
      body: JSON.stringify({ query: `{ symbols } # ${'x'.repeat(8000)}` }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.write('{"query":');
      request.end('"{ symbols }"}');
    });
    expect(status).toBe(411);
  });

  it('refuses a browser request from an origin that is not allowed, and answers CORS for a listed one', async () => {
    const evil = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example.net', authorization: `Bearer ${trader}` },
      body: JSON.stringify({ query: '{ symbols }' }),
    });
    expect(evil.status).toBe(403);
    const preflight = await fetch(server.graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://desk.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://desk.example.com');
  });

  it.each([
    ['a fitting document', '{ strategies { id } symbols }', null],
    ['too deep', '{ backtests { result { trades } } }', 'depth 3'],
    ['too deep through fragments', '{ ...A } fragment A on Query { backtests { ...B } } fragment B on Backtest { result { trades } }', 'depth 3'],
    ['deep introspection (GraphiQL docs), bounded by the field count instead', '{ __schema { types { fields { type { name } } } } }', null],
    ['too many aliases', '{ a: symbols b: symbols c: symbols d: symbols }', 'alias'],
    ['too many fields', `{ ${Array.from({ length: 45 }, () => 'symbols').join(' ')} }`, 'field'],
    ['too many tokens', `{ prices(symbols: [${'"A" '.repeat(600)}]) { symbol } }`, 'tokens'],
  ])('answers %s accordingly', async (_case, query, refusal) => {
    const { errors } = await execute(server.graphqlUrl, query, {}, trader);
    if (refusal === null) {
      expect(errors).toBeUndefined();
      return;
    }
    // A document over the token budget never gets parsed: it is a syntax error, not a validation one.
    expect(errors?.[0]?.extensions?.code).toBe(refusal === 'tokens' ? 'GRAPHQL_PARSE_FAILED' : 'QUERY_TOO_COMPLEX');
    expect(errors?.[0]?.message.toLowerCase()).toContain(refusal);
  });

  it('limits the rate of mutations per user with RATE_LIMITED and a retry hint', async () => {
    const carol = await tokenFor('carol', ['trader']);
    const cancel = 'mutation { cancelBacktest(id: "none") { id } }';
    const codes: (string | undefined)[] = [];
    let retry: unknown;
    for (let i = 0; i < 5; i += 1) {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${carol}` },
        body: JSON.stringify({ query: cancel }),
      });
      const body = (await response.json()) as { errors: { extensions: { code: string; retryAfterMs?: number } }[] };
      codes.push(body.errors[0]?.extensions.code);
      if (body.errors[0]?.extensions.code === 'RATE_LIMITED') {
        expect(response.status).toBe(429);
        retry = body.errors[0].extensions.retryAfterMs;
      }
    }
    expect(codes.slice(0, 2)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect(codes.slice(2)).toContain('RATE_LIMITED');
    expect(retry).toBeGreaterThan(0);
    // Another user has a bucket of its own.
    const dave = await tokenFor('dave', ['trader']);
    expect((await execute(server.graphqlUrl, cancel, {}, dave)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
