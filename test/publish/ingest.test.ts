import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBus } from '../../src/bus/event-bus.js';
import { MemoryEventBus } from '../../src/bus/memory-event-bus.js';
import type { RedisTimeouts } from '../../src/bus/redis-connection.js';
import { RedisEventBus } from '../../src/bus/redis-event-bus.js';
import { findStrategy } from '../../src/domain/strategies.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import type { RejectReason } from '../../src/publish/ingest-entry.js';
import { MarketPublisher } from '../../src/publish/market-publisher.js';
import { RedisIngest, ingestStream } from '../../src/publish/redis-ingest.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { testConfig } from '../support/test-config.js';

/**
 * The Redis ingest consumer against real redis-servers: bad entries are settled and never block the
 * stream, and Redis being away, frozen or restarted never stops, crashes or floods the consumer.
 */

/** The `bus` knobs at their defaults but for Redis timeouts short enough for outages to pass quickly. */
const TIMEOUTS: RedisTimeouts = { commandTimeoutMs: 300, connectTimeoutMs: 300, retryMaxDelayMs: 200 };
const BUS = { ...testConfig().bus, timeouts: TIMEOUTS };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Last started, first stopped: consumers before the redis-servers they read.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redisServer(persistent = false): Promise<TestRedis> {
  const redis = await startRedis({ persistent });
  cleanups.push(async () => {
    redis.signal('SIGCONT');
    await redis.stop();
  });
  return redis;
}

interface Consumer {
  ingest: RedisIngest;
  metrics: Metrics;
  warnings: Record<string, unknown>[];
  errors: unknown[];
}

function startIngest(
  url: string,
  bus: EventBus,
  options: { prefix?: string; claimIdleMs?: number; batch?: number; maxLen?: number } = {},
  wrap: (publisher: MarketPublisher) => MarketPublisher = (publisher) => publisher,
): Consumer {
  const metrics = createMetrics();
  const warnings: Record<string, unknown>[] = [];
  const errors: unknown[] = [];
  const ingest = RedisIngest.start({
    redisUrl: url,
    timeouts: TIMEOUTS,
    publisher: wrap(new MarketPublisher(bus, (id) => findStrategy(id) !== undefined)),
    meter: metrics.ingestMeter,
    // The connection's own outage lines (RedisLink) are not about entries.
    log: { info: () => {}, warn: (fields, message) => void (message.startsWith('redis ') || warnings.push({ ...fields, message })) },
    onError: (error) => errors.push(error),
    ...options,
  });
  cleanups.push(() => ingest.stop());
  return { ingest, metrics, warnings, errors };
}

/**
 * The bus on the ingest stream's own Redis, as the server wires them (a publish acknowledges its
 * entries in the same script); open at once, also while Redis is away.
 */
function busOn(redis: TestRedis): RedisEventBus {
  const bus = RedisEventBus.open({ ...BUS, redisUrl: redis.url, onError: () => {} });
  cleanups.push(() => bus.close());
  return bus;
}

/** Prices published on the bus for `symbol`, in delivery order. */
async function pricesOf(bus: EventBus, symbol: string): Promise<number[]> {
  const prices: number[] = [];
  await bus.subscribe('price', symbol, ({ payload }) => prices.push(payload.price));
  return prices;
}

/** The bus once it answers (Redis up). */
async function ready(bus: RedisEventBus): Promise<RedisEventBus> {
  await waitFor('the bus to be up', () => bus.isHealthy());
  return bus;
}

/** Polls `check` until true; a check that throws (Redis not there yet, no group yet) counts as false. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`, { cause: lastError });
    await sleep(20);
  }
}

async function counterValues(metrics: Metrics, name: string): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return Object.fromEntries(values.map(({ labels, value }) => [String(Object.values(labels)[0]), value]));
}

function price(symbol: string, value: number): string[] {
  return ['type', 'price', 'data', JSON.stringify({ symbol, price: value })];
}

describe('bad entries', () => {
  it('acknowledges, counts, logs and copies (clipped) each bad entry, and publishes every good one in order', async () => {
    const redis = await redisServer();
    const stream = ingestStream('bad');
    const megabyte = 'x'.repeat(1 << 20);
    const entries: { fields: (string | Buffer)[]; reason?: RejectReason }[] = [
      { fields: price('MIX', 1) },
      { fields: ['type', 'price', 'data', JSON.stringify({ symbol: 'MIX' })], reason: 'invalid' },
      { fields: price('MIX', 2) },
      { fields: ['type', 'price', 'data', JSON.stringify({ symbol: 'MIX', price: 'twelve' })], reason: 'invalid' },
      { fields: ['type', 'price', 'data', JSON.stringify({ symbol: 'MIX', price: 3, pad: megabyte })], reason: 'too_large' },
      { fields: ['type', 'price', 'data', JSON.stringify({ symbol: 'MIX', price: 3 }), megabyte, 'trace'], reason: 'too_large' },
      { fields: price('MIX', 3) },
      { fields: ['type', 'trade', 'data', JSON.stringify({ symbol: 'MIX', price: 9 })], reason: 'unknown_type' },
      { fields: ['data', JSON.stringify({ symbol: 'MIX', price: 9 })], reason: 'malformed' },
      { fields: ['type', 'price'], reason: 'malformed' },
      { fields: ['type', 'price', 'type', 'signal', 'data', JSON.stringify({ symbol: 'MIX', price: 9 })], reason: 'malformed' },
      { fields: ['type', 'price', 'data', '{not json'], reason: 'bad_json' },
      { fields: ['type', 'price', 'data', '[9]'], reason: 'not_object' },
      { fields: ['type', 'price', 'data', '42'], reason: 'not_object' },
      { fields: ['type', 'price', 'data', Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d])], reason: 'not_utf8' },
      { fields: [Buffer.from([0xc3, 0x28, 0x00, 0xff]), Buffer.from([0xff, 0x00, 0x80])], reason: 'malformed' },
      {
        fields: ['type', 'signal', 'data', JSON.stringify({ strategyId: 'no-such', symbol: 'MIX', side: 'BUY', price: 9, confidence: 0.5 })],
        reason: 'invalid',
      },
      { fields: ['type', 'signal', 'data', JSON.stringify({ strategyId: 'ma-crossover', symbol: 'MIX', side: 'SELL', price: 4, confidence: 0.5 })] },
      { fields: price('MIX', 4) },
    ];
    // One batch: everything is in the stream before the consumer reads it.
    const ids: string[] = [];
    for (const { fields } of entries) ids.push((await redis.client.xadd(stream, '*', ...fields)) as string);
    const bad = entries.flatMap(({ reason }, index) => (reason ? [{ id: ids[index] as string, reason }] : []));

    const bus = await ready(busOn(redis));
    const prices = await pricesOf(bus, 'MIX');
    const signals: number[] = [];
    await bus.subscribe('signal', 'ma-crossover', ({ payload }) => signals.push(payload.price));
    const consumer = startIngest(redis.url, bus, { prefix: 'bad' });

    await waitFor('the entries to be settled', async () => {
      const [pending] = (await redis.client.xpending(stream, 'titan-ingest')) as [number];
      return pending === 0 && (await redis.client.xlen(`${stream}:rejected`)) === bad.length && prices.length === 4;
    });
    expect(prices).toEqual([1, 2, 3, 4]);
    expect(signals).toEqual([4]);

    const rejected = await redis.client.xrangeBuffer(`${stream}:rejected`, '-', '+');
    const copies = rejected.map(([, fields]) => fields);
    expect(copies.map((fields) => [fields[1]?.toString(), fields[3]?.toString()])).toEqual(bad.map(({ id, reason }) => [id, reason]));
    for (const fields of copies) {
      for (const field of fields) expect(field.length).toBeLessThan(1100);
    }
    const megabyteCopy = copies[bad.findIndex(({ id }) => id === ids[4])]?.map(String);
    expect(megabyteCopy?.at(-1)).toMatch(/^\{"symbol":"MIX".*… \(\d{7} bytes\)$/);

    expect(consumer.warnings.map(({ entry, reason }) => [entry, reason])).toEqual(bad.map(({ id, reason }) => [id, reason]));
    for (const warning of consumer.warnings) expect(JSON.stringify(warning).length).toBeLessThan(1000);

    const tally: Record<string, number> = {};
    for (const { reason } of bad) tally[reason] = (tally[reason] ?? 0) + 1;
    expect(await counterValues(consumer.metrics, 'titan_ingest_rejected_total')).toEqual({
      malformed: 0,
      too_large: 0,
      not_utf8: 0,
      unknown_type: 0,
      bad_json: 0,
      not_object: 0,
      invalid: 0,
      publish_failed: 0,
      ...tally,
    });
    expect(await counterValues(consumer.metrics, 'titan_ingest_accepted_total')).toEqual({ price: 4, signal: 1 });
    expect(consumer.errors).toEqual([]);
  });

  it('rejects an entry whose publish fails unexpectedly (not an outage) instead of retrying it forever, and reports the error', async () => {
    const redis = await redisServer();
    const stream = ingestStream('broken');
    // A closed bus throws on publish: neither a validation problem nor Redis being away.
    const bus = new MemoryEventBus(BUS);
    await bus.close();
    const consumer = startIngest(redis.url, bus, { prefix: 'broken' });
    const first = await redis.client.xadd(stream, '*', ...price('BROKEN', 1));
    const second = await redis.client.xadd(stream, '*', ...price('BROKEN', 2));

    await waitFor('both entries to be rejected', async () => (await redis.client.xlen(`${stream}:rejected`)) === 2);
    const rejected = await redis.client.xrange(`${stream}:rejected`, '-', '+');
    expect(rejected.map(([, fields]) => fields.slice(0, 4))).toEqual([
      ['source', first, 'reason', 'publish_failed'],
      ['source', second, 'reason', 'publish_failed'],
    ]);
    const [pending] = (await redis.client.xpending(stream, 'titan-ingest')) as [number];
    expect(pending).toBe(0);
    expect(consumer.errors.map(String)).toEqual(['Error: event bus is closed', 'Error: event bus is closed']);
    expect((await counterValues(consumer.metrics, 'titan_ingest_rejected_total')).publish_failed).toBe(2);
  });
});

describe('batches', () => {
  it('drains a large backlog in batches, in order per symbol, and trims what it acknowledged', async () => {
    const redis = await redisServer();
    const stream = ingestStream('backlog');
    const symbols = Array.from({ length: 50 }, (_, i) => `B${i}`);
    const total = 6000;
    const pipeline = redis.client.pipeline();
    for (let n = 0; n < total; n += 1) pipeline.xadd(stream, '*', ...price(symbols[n % symbols.length] as string, Math.floor(n / symbols.length) + 1));
    await pipeline.exec();
    const bus = await ready(busOn(redis));
    const received = new Map<string, number[]>();
    for (const symbol of symbols) received.set(symbol, await pricesOf(bus, symbol));
    const consumer = startIngest(redis.url, bus, { prefix: 'backlog', batch: 500 });
    const count = () => [...received.values()].reduce((sum, prices) => sum + prices.length, 0);
    await waitFor('the backlog to be published', () => count() === total, 20_000);
    for (const prices of received.values()) expect(prices).toEqual(Array.from({ length: total / symbols.length }, (_, i) => i + 1));
    // Everything acknowledged, and (within a second or so) trimmed from the stream.
    await waitFor('the acknowledged entries to be trimmed', async () => {
      await redis.client.xadd(stream, '*', ...price('B0', 1000));
      return (await redis.client.xlen(stream)) < 200;
    }, 5000);
    const [pending] = (await redis.client.xpending(stream, 'titan-ingest')) as [number];
    expect(pending).toBe(0);
    expect((await counterValues(consumer.metrics, 'titan_ingest_accepted_total')).price).toBeGreaterThanOrEqual(total);
    expect(consumer.errors).toEqual([]);
  });

  it("sends a batch's publish before the previous one is settled, and keeps the order", async () => {
    const redis = await redisServer();
    const stream = ingestStream('overlap');
    const total = 300;
    const pipeline = redis.client.pipeline();
    for (let n = 1; n <= total; n += 1) pipeline.xadd(stream, '*', ...price('OVER', n));
    await pipeline.exec();
    const bus = await ready(busOn(redis));
    const prices = await pricesOf(bus, 'OVER');
    // The first batch's publish runs in Redis at once, but its result reaches the consumer only when
    // the gate opens: the second batch must be sent before that.
    let calls = 0;
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const gated = (publisher: MarketPublisher): MarketPublisher => {
      const publishPrices = publisher.publishPrices.bind(publisher) as (...args: unknown[]) => Promise<unknown>;
      return Object.assign(Object.create(publisher) as MarketPublisher, {
        publishPrices: ((...args: unknown[]) => {
          calls += 1;
          const result = publishPrices(...args);
          return calls === 1 ? gate.then(() => result) : result;
        }) as MarketPublisher['publishPrices'],
      });
    };
    startIngest(redis.url, bus, { prefix: 'overlap', batch: 100 }, gated);
    await waitFor('a second publish while the first is unsettled', () => calls >= 2);
    openGate();
    await waitFor('every entry to be published', () => prices.length === total);
    expect(prices).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('bounds the stream to maxLen when publishers outran the instances: the oldest unread entries are dropped and logged', async () => {
    const redis = await redisServer();
    const stream = ingestStream('bounded');
    const total = 5000;
    const pipeline = redis.client.pipeline();
    for (let n = 1; n <= total; n += 1) pipeline.xadd(stream, '*', ...price('BOUND', n));
    await pipeline.exec();
    const bus = await ready(busOn(redis));
    const prices = await pricesOf(bus, 'BOUND');
    const consumer = startIngest(redis.url, bus, { prefix: 'bounded', batch: 100, maxLen: 1000 });
    await waitFor('the stream to be drained', async () => {
      const [pending] = (await redis.client.xpending(stream, 'titan-ingest')) as [number];
      return pending === 0 && prices.at(-1) === total;
    }, 10_000);
    // The first batch, then (after the trim) about the newest maxLen: in order, with a gap.
    expect(prices.length).toBeLessThan(total);
    expect(prices.length).toBeGreaterThanOrEqual(1000);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    const dropped = consumer.warnings.filter(({ message }) => String(message).startsWith('ingest backlog over INGEST_MAX_LEN'));
    expect(dropped.length).toBe(1);
    expect(Number(dropped[0]?.dropped)).toBeGreaterThan(0);
    expect(consumer.errors).toEqual([]);
  });
});

describe('Redis away', () => {
  it('starts without Redis, reports nothing while it is away, and consumes once it appears', async () => {
    const redis = await redisServer();
    await redis.kill();
    const bus = busOn(redis);

    const started = Date.now();
    const consumer = startIngest(redis.url, bus, { prefix: 'late' });
    expect(Date.now() - started).toBeLessThan(100);
    await sleep(1000);

    await redis.restart();
    const prices = await pricesOf(await ready(bus), 'LATE');
    await redis.client.xadd(ingestStream('late'), '*', ...price('LATE', 1));
    await redis.client.xadd(ingestStream('late'), '*', ...price('LATE', 2));
    await waitFor('both prices', () => prices.length === 2);
    expect(prices).toEqual([1, 2]);
    expect(consumer.errors).toEqual([]);
  });

  it('survives Redis killed and restarted while entries are added: each stored entry is published once, in order', async () => {
    const redis = await redisServer(true);
    const stream = ingestStream('crash');
    const bus = await ready(busOn(redis));
    const prices = await pricesOf(bus, 'CRASH');
    // Not trimmed: the test reads from the stream which entries Redis kept.
    const consumer = startIngest(redis.url, bus, { prefix: 'crash', maxLen: 0 });

    // A publisher of its own that fails fast while Redis is down, as a real one would.
    const producer = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    producer.on('error', () => {});
    cleanups.push(async () => producer.disconnect());
    const stored: number[] = [];
    let adding = true;
    const adder = (async () => {
      for (let n = 1; adding; n += 1) {
        // While Redis is down the XADD fails and that number is skipped, as a publisher that gives up would.
        await producer.xadd(stream, '*', ...price('CRASH', n)).then(() => stored.push(n), () => {});
        await sleep(10);
      }
    })();

    await waitFor('entries before the crash', () => prices.length >= 10);
    await redis.kill();
    await sleep(500);
    await redis.restart();
    const storedBeforeRestart = stored.length;
    // The producer reconnects by itself; under load that can take longer than any fixed pause.
    await waitFor('entries added after the restart', () => stored.length > storedBeforeRestart);
    adding = false;
    await adder;
    expect(stored.length).toBeGreaterThan(storedBeforeRestart);

    // Redis fsyncs every write: it kept every acknowledged XADD (and any whose reply the crash lost).
    const kept = (await redis.client.xrange(stream, '-', '+')).map(([, fields]) => JSON.parse(fields[3] as string).price as number);
    for (const n of stored) expect(kept).toContain(n);
    await waitFor(`the ${kept.length} entries Redis kept (published: ${prices.length})`, () => prices.length >= kept.length);
    expect(prices).toEqual(kept);
    expect(consumer.errors).toEqual([]);
  });

  it('rides out a frozen Redis (SIGSTOP beyond the command timeout): stop() returns at once, entries flow after SIGCONT', async () => {
    const redis = await redisServer();
    const stream = ingestStream('frozen');
    const bus = await ready(busOn(redis));
    const prices = await pricesOf(bus, 'FROZEN');
    const stopping = startIngest(redis.url, bus, { prefix: 'frozen' });
    // Takes over anything the stopped consumer may have read while frozen, without waiting 30 s.
    const staying = startIngest(redis.url, bus, { prefix: 'frozen', claimIdleMs: 1000 });
    await redis.client.xadd(stream, '*', ...price('FROZEN', 1));
    await waitFor('the first price', () => prices.length === 1);

    redis.signal('SIGSTOP');
    await sleep(3 * TIMEOUTS.commandTimeoutMs);
    const stopStarted = Date.now();
    await stopping.ingest.stop();
    expect(Date.now() - stopStarted).toBeLessThan(100);
    await sleep(2 * TIMEOUTS.commandTimeoutMs);
    redis.signal('SIGCONT');

    await redis.client.xadd(stream, '*', ...price('FROZEN', 2));
    await redis.client.xadd(stream, '*', ...price('FROZEN', 3));
    await waitFor('the prices added after SIGCONT', () => prices.length === 3);
    expect(prices).toEqual([1, 2, 3]);
    expect(stopping.errors).toEqual([]);
    expect(staying.errors).toEqual([]);
  });
});

describe('Redis back', () => {
  it('publishes what was added after a Redis restart soon after, in order with what came before', async () => {
    const redis = await redisServer(true);
    const bus = await ready(busOn(redis));
    const stream = ingestStream('retry');
    const consumer = startIngest(redis.url, bus, { prefix: 'retry' });
    await redis.client.xadd(stream, '*', ...price('RETRY', 1));
    const published = async () => (await bus.snapshot('price', ['RETRY'], 10).catch(() => ({ latest: [[]] }))).latest[0] ?? [];
    await waitFor('the first price', async () => (await published()).length === 1);

    await redis.kill();
    await sleep(1000);
    await redis.restart();
    const back = Date.now();
    for (const n of [2, 3, 4]) await redis.client.xadd(stream, '*', ...price('RETRY', n));

    await waitFor('the entries added after the restart', async () => (await published()).length >= 4, 3000);
    expect(Date.now() - back).toBeLessThan(3000);
    expect((await published()).map(({ payload }) => payload.price).reverse()).toEqual([1, 2, 3, 4]);
    expect(consumer.errors).toEqual([]);
  });
});

/**
 * A publish of entries claims and acknowledges them in its own script (`StreamSource`), so an entry
 * is published once without an idempotency id: tested on the bus, with the consumer group driven by
 * hand, for each way an entry can come back.
 */
describe('exactly once, without ids', () => {
  const GROUP = 'titan-ingest';

  async function readAs(redis: TestRedis, stream: string, consumer: string): Promise<string[]> {
    const reply = (await redis.client.xreadgroup('GROUP', GROUP, consumer, 'STREAMS', stream, '>')) as [string, [string, string[]][]][] | null;
    return (reply?.[0]?.[1] ?? []).map(([id]) => id);
  }

  async function setUp(prefix: string) {
    const redis = await redisServer();
    const bus = await ready(busOn(redis));
    const stream = ingestStream(prefix);
    await redis.client.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    const entry = (await redis.client.xadd(stream, '*', ...price('ONCE', 7))) as string;
    const publishAs = (consumer: string) => bus.publishBatch('price', [{ key: 'ONCE', payload: { symbol: 'ONCE', price: 7, bid: 7, ask: 7, volume: 0, timestamp: new Date().toISOString() }, entry }], { stream, group: GROUP, consumer });
    const history = async () => (await bus.snapshot('price', ['ONCE'], 10)).latest[0]?.length ?? 0;
    const pending = async () => ((await redis.client.xpending(stream, GROUP)) as [number])[0];
    return { redis, bus, stream, entry, publishAs, history, pending };
  }

  it('publishes an entry and acknowledges it; publishing it again (its reply was lost) publishes nothing', async () => {
    const { redis, stream, entry, publishAs, history, pending } = await setUp('again');
    expect(await readAs(redis, stream, 'a')).toEqual([entry]);
    const [first] = await publishAs('a');
    expect(first?.position.offset).toBe(1);
    expect(await pending()).toBe(0);
    expect(await publishAs('a')).toEqual([null]);
    expect(await history()).toBe(1);
  });

  it('publishes an entry taken over by another consumer once, whichever publishes first', async () => {
    const { redis, stream, entry, publishAs, history, pending } = await setUp('taken');
    expect(await readAs(redis, stream, 'a')).toEqual([entry]);
    // A consumer that thought `a` dead takes the entry over and publishes it; `a` then finishes too.
    await redis.client.xclaim(stream, GROUP, 'b', 0, entry, 'JUSTID');
    expect((await publishAs('b'))[0]).not.toBeNull();
    expect(await publishAs('a')).toEqual([null]);
    expect(await history()).toBe(1);
    expect(await pending()).toBe(0);
  });

  it('publishes an entry once when its publish timed out in a frozen Redis and ran after', async () => {
    const { redis, stream, entry, publishAs, history, pending } = await setUp('frozen-once');
    expect(await readAs(redis, stream, 'a')).toEqual([entry]);
    redis.signal('SIGSTOP');
    const timedOut = publishAs('a');
    await expect(timedOut).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    redis.signal('SIGCONT');
    // The script ran once Redis resumed: retried, it finds the entry settled.
    await waitFor('the entry to be settled', async () => (await pending()) === 0);
    expect(await publishAs('a')).toEqual([null]);
    expect(await history()).toBe(1);
  });

  it('answers an id published before as the duplicate and acknowledges its entry', async () => {
    const { redis, bus, stream, pending } = await setUp('duplicate');
    const payload = { symbol: 'ONCE', price: 7, bid: 7, ask: 7, volume: 0, timestamp: new Date().toISOString(), id: 'tick-1' };
    await bus.publish('price', 'ONCE', payload, { id: 'tick-1' });
    const [entry] = await readAs(redis, stream, 'a');
    const [answer] = await bus.publishBatch('price', [{ key: 'ONCE', payload, id: 'tick-1', entry }], { stream, group: GROUP, consumer: 'a' });
    expect(answer?.duplicate).toBe(true);
    expect(await pending()).toBe(0);
  });
});
