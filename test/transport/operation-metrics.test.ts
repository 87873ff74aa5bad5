import { PassThrough } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { parse } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../src/auth/viewer.js';
import { UnavailableError } from '../../src/bus/unavailable.js';
import { MemoryEventBus } from '../../src/bus/memory-event-bus.js';
import { buildSchema } from '../../src/schema/schema.js';
import { MemoryBacktestStore } from '../../src/store/memory-backtest-store.js';
import { LiveFanout } from '../../src/transport/fanout/live-fanout.js';
import { OperationMetrics } from '../../src/transport/operation-metrics.js';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { SseSubscription } from '../support/sse-client.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';
import { testConfig } from '../support/test-config.js';

/**
 * Operation metrics (`@graphql-yoga/plugin-prometheus` on the app's registry): duration by operation,
 * errors by `extensions.code`, on HTTP, SSE and WebSocket, and operation names as bounded labels.
 * Each test reads how far its own series moved.
 */
type Samples = Map<string, number>;

/** `name{labels}` → value, as the exposition format prints them. */
function samplesOf(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

const errorKey = (operationName: string, operationType: string, phase: string, code: string) =>
  `graphql_envelop_error_result{operationName="${operationName}",operationType="${operationType}",phase="${phase}",code="${code}"}`;

describe('a server', () => {
  let server: InProcessServer;
  let trader: string;
  const clients: ProtocolClient[] = [];

  beforeAll(async () => {
    server = await startServer({ JWT_CLOCK_SKEW_S: '0' });
    trader = await tokenFor('metered', ['trader']);
  });

  afterAll(async () => {
    clients.forEach((client) => client.close());
    await server?.stop();
  });

  const scrape = async () => samplesOf(await (await fetch(`${server.url}/metrics`)).text());
  /** Scrapes until `key` reached `value` (some counts land after the client saw its answer), then returns the samples. */
  async function scrapeUntil(key: string, value: number, timeoutMs = 5000): Promise<Samples> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const samples = await scrape();
      if ((samples.get(key) ?? 0) >= value || Date.now() > deadline) return samples;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function connect(token = trader): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(server.wsUrl, token);
    clients.push(client);
    return client;
  }

  it('times queries and mutations by operation name and type, over HTTP and WebSocket', async () => {
    await execute(server.graphqlUrl, 'query HttpSymbols { symbols }', {}, trader);
    await execute(server.graphqlUrl, 'query HttpSymbols { symbols }', {}, trader);
    await execute(server.graphqlUrl, 'mutation HttpCancel { cancelBacktest(id: "none") { id } }', {}, trader);
    const client = await connect();
    client.subscribe('q', 'query WsSymbols { symbols }');
    await client.waitFor((m) => m.id === 'q' && m.type === 'complete');

    const samples = await scrapeUntil('graphql_envelop_request_duration_count{operationName="WsSymbols",operationType="query"}', 1);
    expect(samples.get('graphql_envelop_request_duration_count{operationName="HttpSymbols",operationType="query"}')).toBe(2);
    expect(samples.get('graphql_envelop_request_duration_count{operationName="HttpCancel",operationType="mutation"}')).toBe(1);
    expect(samples.get('graphql_envelop_request_duration_count{operationName="WsSymbols",operationType="query"}')).toBe(1);
    // The whole HTTP request, by status too; a WebSocket operation has none.
    expect(samples.get('graphql_yoga_http_duration_count{operationName="HttpSymbols",operationType="query",statusCode="200"}')).toBe(2);
    expect([...samples.keys()].filter((key) => key.startsWith('graphql_yoga_http_duration') && key.includes('WsSymbols'))).toEqual([]);
    expect(samples.get('graphql_envelop_request_duration_bucket{le="+Inf",operationName="HttpSymbols",operationType="query"}')).toBe(2);
  });

  it('counts the errors clients get by extensions.code and phase, over HTTP', async () => {
    const cases: [query: string, token: string | undefined, key: string][] = [
      ['query HttpBroken { symbols', trader, errorKey('anonymous', 'unknown', 'parse', 'GRAPHQL_PARSE_FAILED')],
      [`{ prices(symbols: ${'['.repeat(50)}"A"${']'.repeat(50)}) { price } }`, trader, errorKey('anonymous', 'unknown', 'parse', 'QUERY_TOO_COMPLEX')],
      ['query HttpUnknownField { symbol }', trader, errorKey('other', 'query', 'validate', 'GRAPHQL_VALIDATION_FAILED')],
      [`query HttpAliases { ${Array.from({ length: 31 }, (_, i) => `a${i}: symbols`).join(' ')} }`, trader, errorKey('other', 'query', 'validate', 'QUERY_TOO_COMPLEX')],
      ['query HttpNoToken { symbols }', undefined, errorKey('other', 'query', 'context', 'UNAUTHENTICATED')],
      ['mutation HttpForbidden { publishPrice(input: { symbol: "M", price: 1 }) { price } }', trader, errorKey('HttpForbidden', 'mutation', 'execute', 'FORBIDDEN')],
    ];
    const before = await scrape();
    for (const [query, token] of cases) {
      await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query }),
      });
    }
    const after = await scrape();
    for (const [query, , key] of cases) {
      expect((after.get(key) ?? 0) - (before.get(key) ?? 0), `${key} for ${query.slice(0, 60)}`).toBe(1);
    }
  });

  it('counts a subscription refused at subscribe, over WebSocket and SSE (once: the SSE path hands it to Yoga)', async () => {
    const before = await scrape();
    const client = await connect();
    client.subscribe('nf', 'subscription WsMissing { backtestProgress(id: "none") { progress } }');
    client.subscribe('bad', 'subscription WsTypo { price(symbols: ["A"]) { pric } }');
    await client.waitFor((m) => m.id === 'nf' && m.type === 'complete');
    await client.waitFor((m) => m.id === 'bad' && m.type === 'error');
    for (const query of ['subscription SseMissing { backtestProgress(id: "none") { progress } }', 'subscription SseTypo { price(symbols: ["A"]) { pric } }']) {
      const stream = await SseSubscription.open(server.graphqlUrl, trader, query, {}, 'POST');
      await stream.until((s) => s.completed, 'the stream to complete');
    }
    const after = await scrape();
    const moved = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    expect(moved(errorKey('WsMissing', 'subscription', 'subscribe', 'NOT_FOUND'))).toBe(1);
    expect(moved(errorKey('SseMissing', 'subscription', 'subscribe', 'NOT_FOUND'))).toBe(1);
    // Both typos: never admitted as names (they were refused), counted once each.
    expect(moved(errorKey('other', 'subscription', 'validate', 'GRAPHQL_VALIDATION_FAILED'))).toBe(2);
  });

  it("counts the error a shared-path SSE stream ends with (its token's expiry)", async () => {
    const key = errorKey('SharedPrices', 'subscription', 'subscribe', 'UNAUTHENTICATED');
    const before = (await scrape()).get(key) ?? 0;
    const expiring = await tokenFor('metered', ['trader'], Math.floor(Date.now() / 1000) + 2);
    const stream = await SseSubscription.open(server.graphqlUrl, expiring, 'subscription SharedPrices { price(symbols: ["EXP"]) { price } }', {}, 'POST');
    await stream.until((s) => s.completed, 'the stream to end at expiry', 6000);
    expect(JSON.stringify(stream.results())).toContain('UNAUTHENTICATED');
    expect((await scrapeUntil(key, before + 1)).get(key)).toBe(before + 1);
    expect(server.stats().fanout.price.members).toBe(0);
  });
});

describe('the shared path', () => {
  it('reports the errors a subscriber is answered with when its group cannot start', async () => {
    const bus = new MemoryEventBus({ historyMaxLen: 100 });
    bus.subscribe = () => Promise.reject(new UnavailableError('redis unreachable', 250));
    const reported: { operationName: string | null | undefined; codes: unknown[] }[] = [];
    const { limits } = testConfig();
    const fanout = new LiveFanout({
      context: { bus, backtestStore: new MemoryBacktestStore(), symbolsPerSubscription: limits.symbolsPerSubscription, priceReplayMax: limits.priceReplayMax },
      ws: testConfig().ws,
      limits,
      onClientErrors: (args, errors) => reported.push({ operationName: args.operationName, codes: errors.map((error) => (error as { extensions?: { code?: unknown } }).extensions?.code) }),
    });
    const schema = buildSchema();
    const document = parse('subscription Down { price(symbols: ["DOWN"]) { price } }');
    const viewer: Viewer = { id: 'ann', roles: new Set(['trader']), strategies: null, expiresAt: null };
    const plan = await fanout.match(schema, document, 'Down', {}, viewer);
    const auth = { viewer };
    const joined = await fanout.joinStream(new PassThrough() as unknown as ServerResponse, plan!, { schema, document, operationName: 'Down' }, auth);
    expect(joined).toMatchObject({ errors: [{ extensions: { code: 'UNAVAILABLE' } }] });
    expect(reported).toEqual([{ operationName: 'Down', codes: ['UNAVAILABLE'] }]);
  });
});

describe('operation names as labels', () => {
  const registry = new Registry();
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { a: Int }', resolvers: { Query: { a: () => 1 } } }),
    plugins: [...new OperationMetrics({ registry, maxOperationNames: 2 }).plugins],
    logging: false,
  });
  const run = (query: string, operationName?: string) =>
    yoga.fetch('http://yoga/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, operationName }) });
  const durations = async () =>
    [...samplesOf(await registry.metrics()).entries()]
      .filter(([key]) => key.startsWith('graphql_envelop_request_duration_count'))
      .map(([key, value]) => `${/operationName="([^"]*)"/.exec(key)?.[1]} ${value}`);

  it('are the names of the operations run: anonymous without one, clipped, at most so many, never one only refused', async () => {
    await run('{ a }');
    await run('query Refused { b }');
    await run('query Refused { a }');
    await run(`query ${'L'.repeat(100)} { a }`);
    await run('query Third { a }');
    await run('query A { a } query B { a }', 'B');
    // `Refused` and the clipped name take the two places; later names read `other`.
    expect((await durations()).sort()).toEqual(['Refused 1', `${'L'.repeat(64)} 1`, 'anonymous 1', 'other 2'].sort());
    // The refusal came before the name was admitted: it reads `other`.
    expect((await registry.metrics())).toContain(errorKey('other', 'query', 'validate', 'GRAPHQL_VALIDATION_FAILED'));
  });
});
