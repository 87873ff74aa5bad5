import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute, type NextPayload } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { SseSubscription } from '../support/sse-client.js';
import { startProcess, startServer, tokenFor, type ServerProcess, type TestServer } from '../support/start-server.js';
import { TEST_SECRET } from '../support/test-config.js';

/** What production mode hides, and what no mode may ever print or echo. */
let redis: TestRedis;
let production: TestServer;

beforeAll(async () => {
  redis = await startRedis();
  production = await startServer({ NODE_ENV: 'production', REDIS_URL: redis.url });
});

afterAll(async () => {
  await production?.stop();
  await redis?.stop();
});

describe('production mode', () => {
  it('serves no GraphiQL and answers no introspection', async () => {
    const page = await fetch(production.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('<html');
    const { errors } = await execute(production.graphqlUrl, '{ __schema { types { name } } }', {}, await tokenFor('alice', ['trader']));
    expect(errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('answers a Redis outage with its code and nothing internal: no message details, no stack traces', async () => {
    const publisher = await tokenFor('svc', ['publisher']);
    await redis.kill();
    try {
      const response = await fetch(production.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${publisher}` },
        body: JSON.stringify({ query: 'mutation { publishPrice(input: { symbol: "BTC-USD", price: 1 }) { price } }' }),
      });
      const body = JSON.stringify(await response.json());
      expect(body).toContain('"code":"UNAVAILABLE"');
      expect(body).not.toMatch(/stack|\.ts:\d+|ioredis|Stream isn't writeable|ECONNREFUSED|originalError/);
    } finally {
      await redis.restart();
    }
  });
});

describe('field suggestions', () => {
  let development: TestServer;

  beforeAll(async () => {
    development = await startServer();
  });

  afterAll(async () => {
    await development?.stop();
  });

  /** Mistakes graphql-js answers with "Did you mean ...?", each with the suggestion it makes. */
  const mistakes: { name: string; query: string; variables?: Record<string, unknown>; suggestion: string }[] = [
    { name: 'an unknown field', query: '{ symbol }', suggestion: 'Did you mean "symbols"?' },
    { name: 'an unknown argument', query: '{ prices(symbol: ["A"]) { price } }', suggestion: 'Did you mean "symbols"?' },
    {
      name: 'an enum literal (validation)',
      query: 'mutation { publishSignal(input: { strategyId: "ma-crossover", symbol: "A", side: BUYY, price: 1, confidence: 0.5 }) { id } }',
      suggestion: 'Did you mean the enum value "BUY"?',
    },
    {
      name: "a variable's enum value (execution)",
      query: 'mutation ($side: Side!) { publishSignal(input: { strategyId: "ma-crossover", symbol: "A", side: $side, price: 1, confidence: 0.5 }) { id } }',
      variables: { side: 'BUYY' },
      suggestion: 'Did you mean the enum value "BUY"?',
    },
  ];
  const SSE_MISTAKE = { query: 'subscription { price(symbols: ["A"]) { pric } }', suggestion: 'Did you mean "price"?' };

  const messagesOf = (errors: { message: string }[] | undefined) => (errors ?? []).map((error) => error.message).join('\n');

  /** Each mistake's error messages over HTTP and WebSocket, and the SSE mistake's. */
  async function answersOf(server: TestServer): Promise<{ http: string[]; ws: string[]; sse: string }> {
    const token = await tokenFor('alice', ['trader']);
    const http: string[] = [];
    const ws: string[] = [];
    const client = await ProtocolClient.connect(server.wsUrl, token);
    try {
      for (const [index, { query, variables }] of mistakes.entries()) {
        http.push(messagesOf((await execute(server.graphqlUrl, query, variables, token)).errors));
        client.subscribe(`m${index}`, query, variables);
        const { type, payload } = await client.waitFor((m) => m.id === `m${index}` && m.type !== 'complete');
        ws.push(messagesOf(type === 'error' ? (payload as { message: string }[]) : (payload as NextPayload).errors));
      }
    } finally {
      client.close();
    }
    const stream = await SseSubscription.open(server.graphqlUrl, token, SSE_MISTAKE.query, {}, 'POST');
    await stream.until((s) => s.completed, 'the refused stream to complete');
    return { http, ws, sse: stream.results().map((result) => messagesOf(result.errors)).join('\n') };
  }

  it('are cut from production errors over HTTP, WebSocket and SSE, which still say what is wrong', async () => {
    const { http, ws, sse } = await answersOf(production);
    for (const [index, { name }] of mistakes.entries()) {
      for (const messages of [http[index], ws[index]]) {
        expect(messages, name).not.toBe('');
        expect(messages, name).not.toMatch(/Did you mean|Suggestion/);
      }
    }
    expect(http[0]).toBe('Cannot query field "symbol" on type "Query".');
    expect(ws[0]).toBe('Cannot query field "symbol" on type "Query".');
    expect(sse).toBe('Cannot query field "pric" on type "PriceTick".');
  });

  it('are still given in development', async () => {
    const { http, ws, sse } = await answersOf(development);
    for (const [index, { name, suggestion }] of mistakes.entries()) {
      expect(http[index], name).toContain(suggestion);
      expect(ws[index], name).toContain(suggestion);
    }
    expect(sse).toContain(SSE_MISTAKE.suggestion);
  });
});

describe('after Redis lost its data', () => {
  it('takes ingest entries again (the consumer group is made anew)', async () => {
    // The previous test restarted a Redis that keeps no data: the ingest group is gone.
    const trader = await tokenFor('alice', ['trader']);
    await redis.client.xadd('titan:ingest', '*', 'type', 'price', 'data', JSON.stringify({ symbol: 'AFTERLOSS', price: 5 }));
    let ticks: unknown[] = [];
    for (let attempt = 0; attempt < 50 && ticks.length === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await redis.client.xadd('titan:ingest', '*', 'type', 'price', 'data', JSON.stringify({ symbol: 'AFTERLOSS', price: 5 }));
      const { data } = await execute<{ prices: unknown[] }>(production.graphqlUrl, '{ prices(symbols: ["AFTERLOSS"]) { price } }', {}, trader);
      ticks = data?.prices ?? [];
    }
    expect(ticks).toEqual([{ price: 5 }]);
  });
});

describe('secrets and tokens', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startProcess('main.ts', { LOG_LEVEL: 'debug', DEMO_FEED: '1' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('are never logged, and tokens are never echoed in errors', async () => {
    const valid = await tokenFor('alice', ['trader']);
    const forged = `${valid.slice(0, -6)}AAAAAA`;
    const expired = await tokenFor('alice', ['trader'], Math.floor(Date.now() / 1000) - 3600);
    const answers: string[] = [];
    for (const token of [valid, forged, expired]) {
      const response = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ symbols backtest(id: "x") { id } }' }),
      });
      answers.push(await response.text());
      const client = await ProtocolClient.open(server.wsUrl, { authorization: `Bearer ${token}` });
      answers.push(JSON.stringify(await client.waitFor((m) => m.type === 'connection_ack', 2000).catch(() => null)));
      answers.push((await client.waitForClose(500).catch(() => ({ reason: '' }))).reason);
      client.close();
    }
    const renewing = await ProtocolClient.connect(server.wsUrl, valid);
    renewing.subscribe('r', 'mutation ($t: String!) { renewToken(token: $t) { subject } }', { t: forged });
    answers.push(JSON.stringify((await renewing.waitFor((m) => m.id === 'r')).payload));
    renewing.close();
    await new Promise((resolve) => setTimeout(resolve, 200));

    const logs = server.output();
    expect(logs.length).toBeGreaterThan(0);
    for (const token of [valid, forged, expired]) {
      const signature = token.split('.')[2]!;
      expect(logs).not.toContain(signature);
      for (const answer of answers) expect(answer).not.toContain(signature);
    }
    expect(logs).not.toContain(TEST_SECRET);
  });
});
