import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPublisher, type ConnectedPublisher } from '../../src/publish/index.js';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';

/** A real server process on a real Redis, observed only through `/metrics`, its headers and its stdout. */
const METRICS_TOKEN = 'scrape-token-for-the-metrics-test';
let redis: TestRedis;
let server: ServerProcess;
let publisher: ConnectedPublisher;
let trader: string;
let publisherToken: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  server = await startProcess('main.ts', {
    REDIS_URL: redis.url,
    METRICS_TOKEN,
    SUBSCRIPTION_QUEUE_LIMIT: '10',
    PUBLISHES_PER_SECOND: '100000',
  });
  publisher = await connectPublisher({ redisUrl: redis.url, onError: () => {} });
  [trader, publisherToken] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('svc', ['publisher'])]);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await publisher?.close();
  await server?.stop();
  await redis?.stop();
});

type Samples = Map<string, number>;

/** Scrapes `/metrics` into `name{labels}` → value, exactly as the exposition format prints them. */
async function scrape(): Promise<Samples> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  const samples: Samples = new Map();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** A sample's value; a labelled series that never moved is not printed, which reads as 0. */
const read = (samples: Samples, key: string) => samples.get(key) ?? 0;

/** Scrapes until `test` holds (metrics move asynchronously after what the client saw), else fails with the last value. */
async function scrapeUntil(key: string, test: (value: number) => boolean, timeoutMs = 10_000): Promise<Samples> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await scrape();
    if (test(read(samples, key))) return samples;
    if (Date.now() > deadline) throw new Error(`${key} stayed at ${read(samples, key)} for ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function connect(): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, trader);
  clients.push(client);
  return client;
}

const SIGNALS = 'subscription ($symbol: String!, $after: Cursor) { signal(symbols: [$symbol], after: $after) { reason cursor } }';
type SignalData = { signal: { reason: string; cursor: string } };

function publishSignal(symbol: string, reason: string) {
  return execute<{ publishSignal: { cursor: string } }>(
    server.graphqlUrl,
    'mutation ($symbol: String!, $reason: String!) { publishSignal(input: { strategyId: "ma-crossover", symbol: $symbol, side: BUY, price: 1, confidence: 0.5, reason: $reason }) { cursor } }',
    { symbol, reason },
    publisherToken,
  );
}

describe('GET /metrics', () => {
  it('needs the METRICS_TOKEN, then serves Prometheus text with process, event-loop and Redis metrics', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('# HELP titan_delivery_lag_seconds ');
    expect(text).toContain('# TYPE titan_events_published_total counter');
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(read(await scrape(), 'titan_redis_up{role="bus"}')).toBe(1);
  });
});

describe('connections and subscriptions', () => {
  it('counts WebSocket connections, SSE streams and active subscriptions by field on every path', async () => {
    const base = await scrape();
    const connections = read(base, 'titan_ws_connections');
    const a = await connect();
    const b = await connect();
    await scrapeUntil('titan_ws_connections', (n) => n === connections + 2);

    a.subscribe('p', 'subscription { price(symbols: ["MET"]) { price } }'); // the shared price path
    a.subscribe('s', SIGNALS, { symbol: 'MET' });
    b.subscribe('s', SIGNALS, { symbol: 'MET' });
    const sse = new AbortController();
    const stream = await fetch(`${server.graphqlUrl}?query=${encodeURIComponent('subscription { price(symbols: ["MET"]) { price } }')}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${trader}` },
      signal: sse.signal,
    });
    expect(stream.status).toBe(200);
    await scrapeUntil('titan_subscriptions_active{field="price"}', (n) => n === 2);
    let samples = await scrapeUntil('titan_subscriptions_active{field="signal"}', (n) => n === 2);
    expect(read(samples, 'titan_sse_streams')).toBe(1);
    expect(read(samples, 'titan_subscriptions_active{field="backtestProgress"}')).toBe(0);
    // a and b are one user with the same operation: one group; the SSE price stream shares a's price group.
    expect(read(samples, 'titan_fanout_groups{field="price"}')).toBe(1);
    expect(read(samples, 'titan_fanout_groups{field="signal"}')).toBe(1);

    b.close();
    samples = await scrapeUntil('titan_ws_connections', (n) => n === connections + 1);
    await scrapeUntil('titan_subscriptions_active{field="signal"}', (n) => n === 1);
    sse.abort();
    samples = await scrapeUntil('titan_sse_streams', (n) => n === 0);
    await scrapeUntil('titan_subscriptions_active{field="price"}', (n) => n === 1);
    a.close();
    samples = await scrapeUntil('titan_ws_connections', (n) => n === connections);
    expect(read(samples, 'titan_subscriptions_active{field="price"}')).toBe(0);
    expect(read(samples, 'titan_subscriptions_active{field="signal"}')).toBe(0);
    expect(read(samples, 'titan_fanout_groups{field="price"}')).toBe(0);
    expect(read(samples, 'titan_fanout_groups{field="signal"}')).toBe(0);
  });
});

describe('events', () => {
  it('counts events published and delivered per topic, their publish-to-delivery lag, and replays', async () => {
    const live = await connect();
    live.subscribe('l', SIGNALS, { symbol: 'LAG' });
    const first = await live.untilLive<SignalData>('l', () => publishSignal('LAG', 'warm-up'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    live.drain('l');
    const before = await scrape();

    for (let n = 1; n <= 5; n += 1) expect((await publishSignal('LAG', `event ${n}`)).errors).toBeUndefined();
    await live.collect<SignalData>('l', 5);
    const after = await scrapeUntil('titan_delivery_lag_seconds_count{topic="signal"}', (n) => n >= read(before, 'titan_delivery_lag_seconds_count{topic="signal"}') + 5);
    const moved = (key: string) => read(after, key) - read(before, key);
    expect(moved('titan_events_published_total{topic="signal"}')).toBe(5);
    // A live subscription is served by the shared path; the resume below by the per-subscriber one.
    expect(moved('titan_events_delivered_total{topic="signal",path="fanout"}')).toBe(5);
    expect(moved('titan_events_delivered_total{topic="signal",path="stream"}')).toBe(0);
    expect(moved('titan_delivery_lag_seconds_count{topic="signal"}')).toBe(5);
    // Same host, idle server: each event reached its reader well within a second of its timestamp.
    expect(moved('titan_delivery_lag_seconds_sum{topic="signal"}')).toBeLessThan(5);
    expect(moved('titan_delivery_lag_seconds_bucket{le="1",topic="signal"}')).toBe(5);
    live.close();

    const resumed = await connect();
    resumed.subscribe('r', SIGNALS, { symbol: 'LAG', after: first.data!.signal.cursor });
    expect((await resumed.collect<SignalData>('r', 5)).map((e) => e.data!.signal.reason)).toEqual([1, 2, 3, 4, 5].map((n) => `event ${n}`));
    const replayed = await scrape();
    // The replay reads the strategy's history, in which the warm-up publishes of other symbols are filtered out.
    expect(read(replayed, 'titan_events_replayed_total{topic="signal"}') - read(after, 'titan_events_replayed_total{topic="signal"}')).toBe(5);
    resumed.close();
  });

  it('counts prices on the shared path as published and as delivered by the fan-out', async () => {
    const client = await connect();
    client.subscribe('p', 'subscription { price(symbols: ["FAN"]) { price } }');
    const publishPrice = (price: number) =>
      execute(server.graphqlUrl, 'mutation ($price: Float!) { publishPrice(input: { symbol: "FAN", price: $price }) { price } }', { price }, publisherToken);
    await client.untilLive('p', () => publishPrice(1));
    const before = await scrape();
    for (let n = 2; n <= 4; n += 1) await publishPrice(n);
    await client.collect('p', 3);
    const after = await scrape();
    expect(read(after, 'titan_events_published_total{topic="price"}') - read(before, 'titan_events_published_total{topic="price"}')).toBe(3);
    // The per-subscriber path did not carry them: this subscription is served by the fan-out.
    expect(read(after, 'titan_events_delivered_total{topic="price",path="stream"}')).toBe(read(before, 'titan_events_delivered_total{topic="price",path="stream"}'));
    const fanout = 'titan_events_delivered_total{topic="price",path="fanout"}';
    expect(read(after, fanout) - read(before, fanout)).toBe(3);
    client.close();
  });
});

describe('slow consumers', () => {
  it('counts a connection closed with 4008 once, and the subscriptions that overflowed', async () => {
    const stalled = await connect();
    // Several subscriptions multiply the backlog, so it outgrows the kernel's socket buffers quickly.
    for (let i = 0; i < 20; i += 1) stalled.subscribe(`s${i}`, SIGNALS, { symbol: 'FLOOD' });
    const warmUp = () => publisher.publishSignal({ strategyId: 'ma-crossover', symbol: 'FLOOD', side: 'BUY', price: 1, confidence: 0.5, reason: 'warm-up' });
    await stalled.untilLive('s19', warmUp);
    (stalled.socket as WebSocket & { _socket: Socket })._socket.pause();
    const before = await scrape();
    const reason = 'x'.repeat(480);
    let closed: Samples | null = null;
    for (let batch = 0; batch < 100 && !closed; batch += 1) {
      await Promise.all(
        Array.from({ length: 100 }, () => publisher.publishSignal({ strategyId: 'ma-crossover', symbol: 'FLOOD', side: 'BUY', price: 1, confidence: 0.5, reason })),
      );
      const samples = await scrape();
      if (read(samples, 'titan_ws_slow_disconnects_total') > read(before, 'titan_ws_slow_disconnects_total')) closed = samples;
    }
    expect(closed, 'the stalled connection was never closed as a slow consumer').not.toBeNull();
    // Give the other 19 overflowing subscriptions time to report: the connection still counts once.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await scrape();
    expect(read(after, 'titan_ws_slow_disconnects_total') - read(before, 'titan_ws_slow_disconnects_total')).toBe(1);
    expect(read(after, 'titan_slow_consumer_streams_total{topic="signal"}')).toBeGreaterThan(read(before, 'titan_slow_consumer_streams_total{topic="signal"}'));
    stalled.close();
  });
});

describe('logs', () => {
  it('are JSON lines with a request id (the caller\'s if sane) and a connection id, and never a token', async () => {
    const tagged = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${trader}`, 'x-request-id': 'lb-req-42' },
      body: JSON.stringify({ query: '{ symbols }' }),
    });
    expect(tagged.status).toBe(200);
    expect(tagged.headers.get('x-request-id')).toBe('lb-req-42');
    const forged = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await fetch(`${server.url}/healthz`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const client = await connect();
    client.close();

    const lines = () => server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const connected = lines().filter((line) => line.msg === 'websocket connected');
    expect(connected.length).toBeGreaterThan(0);
    for (const line of connected) expect(line).toMatchObject({ connId: expect.stringMatching(/^[\w-]{8}$/), user: 'alice' });
    const connId = connected.at(-1)?.connId;
    const closedLine = () => lines().find((line) => line.msg === 'websocket closed' && line.connId === connId);
    for (let waited = 0; !closedLine() && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closedLine()).toMatchObject({ code: expect.any(Number), user: 'alice' });
    const logged = lines();
    for (const line of logged) expect(line).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) });
    const request = logged.find((line) => line.msg === 'request' && line.reqId === 'lb-req-42');
    expect(request).toMatchObject({ method: 'POST', path: '/graphql', status: 200, durationMs: expect.any(Number) });

    const output = server.output();
    for (const secret of [trader, publisherToken, METRICS_TOKEN, trader.split('.')[2]!]) expect(output).not.toContain(secret);
    expect(output).not.toContain('Bearer ');
  });
});

describe('socket errors', () => {
  it('are logged with the connection id of the socket they happened on', async () => {
    const client = await connect();
    const lines = () => server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    // A frame with a reserved opcode (0x3): ws refuses it and the socket errors.
    (client.socket as WebSocket & { _socket: Socket })._socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]));
    const logged = () => lines().find((line) => line.msg === 'websocket internal error' && String((line.err as { message?: string })?.message).includes('opcode'));
    for (let waited = 0; !logged() && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logged()).toMatchObject({ level: 50, connId: expect.stringMatching(/^[\w-]{8}$/) });
    // The same connId as the lines of that connection.
    const connId = logged()?.connId;
    expect(lines().some((line) => line.msg === 'websocket connected' && line.connId === connId)).toBe(true);
    client.close();
  });
});

describe('Redis connection state', () => {
  it('reads 1 while Redis is up and 0 once it is gone, while /readyz answers 503', async () => {
    const up = await scrape();
    expect(read(up, 'titan_redis_up{role="bus"}')).toBe(1);
    expect(read(up, 'titan_redis_up{role="store"}')).toBe(1);
    expect(read(up, 'titan_redis_up{role="limits"}')).toBe(1);
    await redis.kill();
    await scrapeUntil('titan_redis_up{role="bus"}', (n) => n === 0);
    await scrapeUntil('titan_redis_up{role="store"}', (n) => n === 0);
    await scrapeUntil('titan_redis_up{role="limits"}', (n) => n === 0);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
  });
});
