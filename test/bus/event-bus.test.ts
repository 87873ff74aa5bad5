import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PUBLISH_BATCH, type Envelope, type EventBus, type Topic } from '../../src/bus/event-bus.js';
import { UnavailableError } from '../../src/bus/unavailable.js';
import { MemoryEventBus } from '../../src/bus/memory-event-bus.js';
import { RedisEventBus } from '../../src/bus/redis-event-bus.js';
import type { PriceEvent } from '../../src/domain/events.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startCluster, type TestCluster } from '../support/redis-cluster.js';
import { testConfig } from '../support/test-config.js';

/** The `bus` knobs at their defaults; each bus below sets its own Redis URL. */
const BUS = testConfig().bus;

let redis: TestRedis;
/** The same contract on a Redis Cluster (3 masters, 3 replicas): hash-tagged keys, sharded pub/sub. */
let cluster: TestCluster;
const opened: EventBus[] = [];

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startCluster()]);
});

afterAll(async () => {
  await Promise.all(opened.map((bus) => bus.close()));
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

let counter = 0;
/** A key no other test uses, so tests share a Redis without seeing each other's events. */
const uniqueKey = () => `K${process.pid}X${(counter += 1)}`;

function tick(symbol: string, price: number): PriceEvent {
  return { symbol, price, bid: price - 1, ask: price + 1, volume: 1, timestamp: new Date().toISOString() };
}

function collector<T extends Topic>() {
  const received: Envelope<T>[] = [];
  const waiters: (() => void)[] = [];
  return {
    received,
    listener: (envelope: Envelope<T>) => {
      received.push(envelope);
      waiters.splice(0).forEach((wake) => wake());
    },
    async waitFor(count: number, timeoutMs = 5000): Promise<Envelope<T>[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return received;
    },
  };
}

const buses: [string, (historyMaxLen: number) => Promise<EventBus>][] = [
  ['memory', async (historyMaxLen) => new MemoryEventBus({ historyMaxLen, onListenerError: () => {} })],
  ['redis', async (historyMaxLen) => RedisEventBus.connect({ ...BUS, redisUrl: redis.url, historyMaxLen, onError: () => {} })],
  ['redis cluster', async (historyMaxLen) => RedisEventBus.connect({ ...BUS, redisUrl: cluster.url, historyMaxLen, onError: () => {} })],
];

describe.each(buses)('%s event bus', (_name, create) => {
  async function bus(historyMaxLen = BUS.historyMaxLen): Promise<EventBus> {
    const created = await create(historyMaxLen);
    opened.push(created);
    return created;
  }

  it('delivers to every listener of a key, in publish order, with increasing offsets', async () => {
    const b = await bus();
    const key = uniqueKey();
    const first = collector<'price'>();
    const second = collector<'price'>();
    await b.subscribe('price', key, first.listener);
    await b.subscribe('price', key, second.listener);
    const published = [];
    for (let i = 1; i <= 20; i += 1) published.push(await b.publish('price', key, tick(key, 100 + i)));
    await first.waitFor(20);
    await second.waitFor(20);
    expect(first.received.map((e) => e.payload.price)).toEqual(published.map((e) => e.payload.price));
    expect(second.received.map((e) => e.position)).toEqual(published.map((e) => e.position));
    const offsets = published.map((e) => e.position.offset);
    expect(offsets).toEqual([...offsets].sort((a, c) => a - c));
    expect(new Set(offsets).size).toBe(20);
    expect(new Set(published.map((e) => e.position.epoch)).size).toBe(1);
  });

  it('keeps keys apart and orders one topic across its keys', async () => {
    const b = await bus();
    const [a, c] = [uniqueKey(), uniqueKey()];
    const onA = collector<'price'>();
    await b.subscribe('price', a, onA.listener);
    const p1 = await b.publish('price', a, tick(a, 1));
    const p2 = await b.publish('price', c, tick(c, 2));
    const p3 = await b.publish('price', a, tick(a, 3));
    await onA.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(onA.received.map((e) => e.payload.price)).toEqual([1, 3]);
    expect(p1.position.offset).toBeLessThan(p2.position.offset);
    expect(p2.position.offset).toBeLessThan(p3.position.offset);
  });

  it('stops delivering after unsubscribe, and unsubscribing twice is harmless', async () => {
    const b = await bus();
    const key = uniqueKey();
    const kept = collector<'price'>();
    const dropped = collector<'price'>();
    await b.subscribe('price', key, kept.listener);
    const unsubscribe = await b.subscribe('price', key, dropped.listener);
    await b.publish('price', key, tick(key, 1));
    await dropped.waitFor(1);
    unsubscribe();
    unsubscribe();
    await b.publish('price', key, tick(key, 2));
    await kept.waitFor(2);
    expect(dropped.received).toHaveLength(1);
  });

  it('reads snapshots atomically: newest first, bounded by the history length, with the topic position', async () => {
    const b = await bus(5);
    const [key, other] = [uniqueKey(), uniqueKey()];
    for (let i = 1; i <= 300; i += 1) await b.publish('price', key, tick(key, i));
    const last = await b.publish('price', other, tick(other, 1));
    const { position, latest } = await b.snapshot('price', [key, other, uniqueKey()], 3);
    expect(position).toEqual(last.position);
    expect(latest[0]?.map((e) => e.payload.price)).toEqual([300, 299, 298]);
    expect(latest[1]?.map((e) => e.payload.price)).toEqual([1]);
    expect(latest[2]).toEqual([]);
    // Redis trims approximately (MAXLEN ~), so allow its node granularity but never unbounded growth.
    const all = (await b.snapshot('price', [key], 1000)).latest[0] ?? [];
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.length).toBeLessThan(300);
  });

  it('replays history after a position across keys, in offset order, in pages without gaps', async () => {
    const b = await bus();
    const [x, y] = [uniqueKey(), uniqueKey()];
    const start = await b.publish('price', x, tick(x, 0));
    const published = [];
    for (let i = 1; i <= 30; i += 1) {
      const key = i % 3 === 0 ? y : x;
      published.push(await b.publish('price', key, tick(key, i)));
    }
    const replayed = [];
    let after = start.position;
    for (;;) {
      const page = await b.history('price', [x, y], after, 7);
      replayed.push(...page.envelopes);
      if (page.complete) break;
      after = page.envelopes.at(-1)!.position;
    }
    expect(replayed.map((e) => e.payload.price)).toEqual(published.map((e) => e.payload.price));
    expect((await b.history('price', [x, y], published.at(-1)!.position, 10)).envelopes).toEqual([]);
  });

  it('refuses to replay what was trimmed, from another epoch, or from ahead of the stream', async () => {
    const b = await bus(3);
    const key = uniqueKey();
    const first = await b.publish('price', key, tick(key, 1));
    for (let i = 2; i <= 400; i += 1) await b.publish('price', key, tick(key, i));
    await expect(b.history('price', [key], first.position, 10)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
    const latest = (await b.snapshot('price', [key], 1)).latest[0]![0]!;
    await expect(b.history('price', [key], { ...latest.position, epoch: 'another' }, 10)).rejects.toMatchObject({
      code: 'CURSOR_EXPIRED',
    });
    await expect(b.history('price', [key], { ...latest.position, offset: latest.position.offset + 10 }, 10)).rejects.toMatchObject({
      code: 'BAD_CURSOR',
    });
    // A cursor just before the oldest retained event is still fine.
    const retained = (await b.snapshot('price', [key], 1000)).latest[0]!;
    const oldest = retained.at(-1)!;
    const page = await b.history('price', [key], { ...oldest.position, offset: oldest.position.offset - 1 }, 1000);
    expect(page.envelopes).toHaveLength(retained.length);
  });

  it('releases every channel and listener on unsubscribe', async () => {
    const b = await bus();
    const before = b.stats();
    const keys = [uniqueKey(), uniqueKey()];
    const unsubscribes = [];
    for (const key of keys) for (let i = 0; i < 3; i += 1) unsubscribes.push(await b.subscribe('price', key, () => {}));
    expect(b.stats()).toEqual({ channels: before.channels + 2, listeners: before.listeners + 6 });
    for (const unsubscribe of unsubscribes) unsubscribe();
    expect(b.stats()).toEqual(before);
  });

  it('lists the keys that have history', async () => {
    const b = await bus();
    const key = uniqueKey();
    await b.publish('signal', key, {
      id: 'x', strategyId: key, symbol: 'BTC-USD', side: 'BUY', price: 1, confidence: 0.5, reason: null, timestamp: new Date().toISOString(),
    });
    expect(await b.keys('signal')).toContain(key);
    expect(await b.keys('price')).not.toContain(key);
  });

  it('publishes an id once: a repeat answers the original event and cursor and delivers nothing', async () => {
    const b = await bus();
    const key = uniqueKey();
    const received = collector<'price'>();
    await b.subscribe('price', key, received.listener);
    const first = await b.publish('price', key, tick(key, 1), { id: 'tick-1' });
    const repeat = await b.publish('price', key, tick(key, 99), { id: 'tick-1' });
    const next = await b.publish('price', key, tick(key, 2), { id: 'tick-2' });
    const unnamed = await b.publish('price', key, tick(key, 3));
    expect(first.duplicate).toBeUndefined();
    expect(repeat).toMatchObject({ duplicate: true, position: first.position, payload: { price: 1 } });
    expect(next.position.offset).toBeGreaterThan(first.position.offset);
    await received.waitFor(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.received.map((e) => e.payload.price)).toEqual([1, 2, 3]);
    expect(unnamed.duplicate).toBeUndefined();
    // Ids are per key: the same id under another key is another event.
    const other = uniqueKey();
    expect((await b.publish('price', other, tick(other, 5), { id: 'tick-1' })).duplicate).toBeUndefined();
  });

  it('forgets an id once its event left the history: publishing it again is a new event', async () => {
    const b = await bus(3);
    const key = uniqueKey();
    const first = await b.publish('price', key, tick(key, 1), { id: 'old' });
    for (let i = 2; i <= 120; i += 1) await b.publish('price', key, tick(key, i), { id: `n${i}` });
    const again = await b.publish('price', key, tick(key, 500), { id: 'old' });
    expect(again.duplicate).toBeUndefined();
    expect(again.position.offset).toBeGreaterThan(first.position.offset);
    // A retained id is still recognised.
    expect((await b.publish('price', key, tick(key, 7), { id: 'n120' })).duplicate).toBe(true);
  });

  it('publishes a batch in order: contiguous offsets in the topic, delivered per key in array order', async () => {
    const b = await bus();
    const [x, y] = [uniqueKey(), uniqueKey()];
    const onX = collector<'price'>();
    const onY = collector<'price'>();
    await b.subscribe('price', x, onX.listener);
    await b.subscribe('price', y, onY.listener);
    const prices = Array.from({ length: 20 }, (_, i) => i + 1);
    const envelopes = await b.publishBatch(
      'price',
      prices.map((price) => {
        const key = price % 3 === 0 ? y : x;
        return { key, payload: tick(key, price) };
      }),
    );
    expect(envelopes.map((e) => e.payload.price)).toEqual(prices);
    const offsets = envelopes.map((e) => e.position.offset);
    expect(offsets).toEqual(offsets.map((_, i) => (offsets[0] ?? 0) + i));
    expect(envelopes.every((e) => e.duplicate === undefined && e.topic === 'price')).toBe(true);
    await onX.waitFor(prices.filter((p) => p % 3 !== 0).length);
    await onY.waitFor(prices.filter((p) => p % 3 === 0).length);
    expect(onX.received.map((e) => e.payload.price)).toEqual(prices.filter((p) => p % 3 !== 0));
    expect(onY.received.map((e) => e.position.offset)).toEqual(envelopes.filter((e) => e.key === y).map((e) => e.position.offset));
    // The history holds them too, as single publishes would have stored them.
    const page = await b.history('price', [x, y], { ...envelopes[0]!.position, offset: offsets[0]! - 1 }, 100);
    expect(page.envelopes.map((e) => e.payload.price)).toEqual(prices);
    expect((await b.publishBatch('price', [])).length).toBe(0);
  });

  it('answers a duplicate id in a batch, within it and across batches, with the original', async () => {
    const b = await bus();
    const key = uniqueKey();
    const received = collector<'price'>();
    await b.subscribe('price', key, received.listener);
    const first = await b.publishBatch('price', [
      { key, payload: tick(key, 1), id: 'a' },
      { key, payload: tick(key, 2), id: 'b' },
      { key, payload: tick(key, 3), id: 'a' },
      { key, payload: tick(key, 4) },
    ]);
    expect(first.map((e) => e.duplicate)).toEqual([undefined, undefined, true, undefined]);
    expect(first[2]).toMatchObject({ position: first[0]!.position, payload: { price: 1 } });
    const second = await b.publishBatch('price', [
      { key, payload: tick(key, 5), id: 'b' },
      { key, payload: tick(key, 6), id: 'c' },
    ]);
    expect(second[0]).toMatchObject({ duplicate: true, position: first[1]!.position, payload: { price: 2 } });
    expect(second[1]!.duplicate).toBeUndefined();
    // A single publish sees the batch's ids too.
    expect((await b.publish('price', key, tick(key, 7), { id: 'c' })).position).toEqual(second[1]!.position);
    await received.waitFor(4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.received.map((e) => e.payload.price)).toEqual([1, 2, 4, 6]);
  });

  it('publishes a batch longer than one script call allows, in order', async () => {
    const b = await bus(2000);
    const keys = [uniqueKey(), uniqueKey(), uniqueKey()];
    const received = collector<'price'>();
    for (const key of keys) await b.subscribe('price', key, received.listener);
    const count = MAX_PUBLISH_BATCH * 2 + 7;
    const envelopes = await b.publishBatch(
      'price',
      Array.from({ length: count }, (_, i) => {
        const key = keys[i % keys.length]!;
        return { key, payload: tick(key, i), id: `n${i}` };
      }),
    );
    expect(envelopes.map((e) => e.payload.price)).toEqual(Array.from({ length: count }, (_, i) => i));
    const offsets = envelopes.map((e) => e.position.offset);
    expect(offsets).toEqual(offsets.map((_, i) => (offsets[0] ?? 0) + i));
    await received.waitFor(count, 10_000);
    expect(received.received.map((e) => e.payload.price)).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const b = await bus();
    const key = uniqueKey();
    const healthy = collector<'price'>();
    await b.subscribe('price', key, () => {
      throw new Error('listener bug');
    });
    await b.subscribe('price', key, healthy.listener);
    await b.publish('price', key, tick(key, 1));
    await b.publish('price', key, tick(key, 2));
    await healthy.waitFor(2);
  });
});

describe('redis event bus across processes', () => {
  it('fans out between two bus instances and holds one Redis subscription per channel', async () => {
    const a = await RedisEventBus.connect({ ...BUS, redisUrl: redis.url });
    const b = await RedisEventBus.connect({ ...BUS, redisUrl: redis.url });
    opened.push(a, b);
    const key = uniqueKey();
    const listeners = Array.from({ length: 5 }, () => collector<'price'>());
    for (const { listener } of listeners) await a.subscribe('price', key, listener);
    const [, subscribers] = (await redis.client.pubsub('NUMSUB', `titan:price:live:${key}`)) as [string, number];
    expect(subscribers).toBe(1);
    await b.publish('price', key, tick(key, 42));
    for (const l of listeners) expect((await l.waitFor(1))[0]?.payload.price).toBe(42);
  });

  it('rejects a publish when Redis cannot store it', async () => {
    const b = await RedisEventBus.connect({ ...BUS, redisUrl: redis.url, onError: () => {} });
    await b.close();
    await expect(b.publish('price', uniqueKey(), tick('X', 1))).rejects.toThrow();
  });

  it('rejects a whole batch with UnavailableError when Redis does not answer', async () => {
    const b = await RedisEventBus.connect({ ...BUS, redisUrl: redis.url, onError: () => {} });
    opened.push(b);
    const key = uniqueKey();
    redis.signal('SIGSTOP');
    try {
      const batch = b.publishBatch('price', [1, 2, 3].map((price) => ({ key, payload: tick(key, price), id: `u${price}` })));
      await expect(batch).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      redis.signal('SIGCONT');
    }
    // Retrying the same requests settles it: each id is published once.
    let settled: Envelope<'price'>[] = [];
    for (let attempt = 0; attempt < 50 && settled.length === 0; attempt += 1) {
      settled = await b
        .publishBatch('price', [1, 2, 3].map((price) => ({ key, payload: tick(key, price), id: `u${price}` })))
        .catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return [];
        });
    }
    expect(settled.map((e) => e.payload.price)).toEqual([1, 2, 3]);
    expect(await redis.client.xlen(`titan:price:stream:${key}`)).toBe(3);
  });

  it('ends its listeners with CURSOR_EXPIRED and starts a new epoch when the history went back in time', async () => {
    // Its own key prefix: the test rewinds a topic's offset counter, which other tests share.
    const prefix = `rewound${process.pid}`;
    const a = await RedisEventBus.connect({ ...BUS, redisUrl: redis.url, prefix, onError: () => {} });
    opened.push(a);
    const key = uniqueKey();
    const received = collector<'price'>();
    const lost: Error[] = [];
    await a.subscribe('price', key, received.listener, (error) => lost.push(error));
    for (let i = 1; i <= 5; i += 1) await a.publish('price', key, tick(key, i));
    await received.waitFor(5);
    const epoch = await redis.client.get(`${prefix}:epoch`);
    // What a replica promoted before it received the last three writes holds: offsets 1 and 2.
    await redis.client.set(`${prefix}:price:offset`, '2');
    const stream = `${prefix}:price:stream:${key}`;
    const kept = (await redis.client.xrange(stream, '-', '2-0')) as [string, string[]][];
    await redis.client.del(stream);
    for (const [id, fields] of kept) await redis.client.xadd(stream, id, ...fields);
    await redis.client.client('KILL', 'TYPE', 'pubsub');
    const deadline = Date.now() + 5000;
    while (lost.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lost.map((error) => (error as { code?: string }).code)).toEqual(['CURSOR_EXPIRED']);
    // Offsets 3 to 5 will be given again, to other events: every cursor of the old history is refused.
    expect(await redis.client.get(`${prefix}:epoch`)).not.toBe(epoch);
    const next = await a.publish('price', key, tick(key, 6));
    expect(next.position.offset).toBe(3);
    expect((await received.waitFor(6)).at(-1)?.payload.price).toBe(6);
  });

  it('recovers events published while its subscriber connection was cut, once each and in order', async () => {
    const a = await RedisEventBus.connect({ ...BUS, redisUrl: redis.url, onError: () => {} });
    const b = await RedisEventBus.connect({ ...BUS, redisUrl: redis.url, onError: () => {} });
    opened.push(a, b);
    const key = uniqueKey();
    const received = collector<'price'>();
    await a.subscribe('price', key, received.listener);
    await b.publish('price', key, tick(key, 1));
    await received.waitFor(1);
    // Cut every pub/sub connection of this Redis: a's subscriber reconnects and must catch up.
    await redis.client.client('KILL', 'TYPE', 'pubsub');
    for (let i = 2; i <= 40; i += 1) await b.publish('price', key, tick(key, i));
    await received.waitFor(40, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received.received.map((e) => e.payload.price)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('on a cluster, holds one sharded subscription per channel on its topic\'s master and recovers what it missed when cut off', async () => {
    const a = await RedisEventBus.connect({ ...BUS, redisUrl: cluster.url, onError: () => {} });
    const b = await RedisEventBus.connect({ ...BUS, redisUrl: cluster.url, onError: () => {} });
    opened.push(a, b);
    const key = uniqueKey();
    const received = collector<'price'>();
    await a.subscribe('price', key, received.listener);
    const master = await cluster.masterOf('{price}');
    expect(await master.client.call('PUBSUB', 'SHARDNUMSUB', `titan:{price}:live:${key}`)).toEqual([`titan:{price}:live:${key}`, 1]);
    await b.publish('price', key, tick(key, 1));
    await received.waitFor(1);
    await master.client.client('KILL', 'TYPE', 'pubsub');
    for (let i = 2; i <= 40; i += 1) await b.publish('price', key, tick(key, i));
    await received.waitFor(40, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received.received.map((e) => e.payload.price)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('on a cluster, follows a planned failover (CLUSTER FAILOVER) to the promoted replica, without a gap', async () => {
    const a = await RedisEventBus.connect({ ...BUS, redisUrl: cluster.url, onError: () => {} });
    const b = await RedisEventBus.connect({ ...BUS, redisUrl: cluster.url, onError: () => {} });
    opened.push(a, b);
    const key = uniqueKey();
    const received = collector<'signal'>();
    await a.subscribe('signal', key, received.listener);
    const signal = (n: number) => ({ id: `s${n}`, strategyId: key, symbol: 'X', side: 'BUY' as const, price: n, confidence: 1, reason: String(n), timestamp: new Date().toISOString() });
    await b.publish('signal', key, signal(1));
    await received.waitFor(1);
    const master = await cluster.masterOf('{signal}');
    const replica = await cluster.replicaOf(master);
    await replica.client.call('CLUSTER', 'FAILOVER');
    await cluster.promoted('{signal}', master);
    // The old master, now a replica, is still up: publishes must reach the new one, and so must a.
    for (let n = 2; n <= 20; n += 1) {
      for (let attempt = 0; ; attempt += 1) {
        const published = await b.publish('signal', key, signal(n), { id: `s${n}` }).catch((error: unknown) => error);
        if (!(published instanceof Error)) break;
        if (attempt > 50) throw published;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await received.waitFor(20, 10_000);
    expect(received.received.map((e) => e.payload.price)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('on a cluster, settles stream entries by ids: each published once and acknowledged, null when read again', async () => {
    const bus = await RedisEventBus.connect({ ...BUS, redisUrl: cluster.url, onError: () => {} });
    opened.push(bus);
    const key = uniqueKey();
    const source = { stream: `titan:{source-${key}}`, group: 'g', consumer: 'c' };
    await cluster.client.xgroup('CREATE', source.stream, source.group, '0', 'MKSTREAM');
    const entries = [];
    for (let price = 1; price <= 3; price += 1) entries.push((await cluster.client.xadd(source.stream, '*', 'price', String(price)))!);
    await cluster.client.xreadgroup('GROUP', source.group, source.consumer, 'STREAMS', source.stream, '>');
    const requests = entries.map((entry, index) => ({ key, payload: tick(key, index + 1), entry }));
    const first = await bus.publishBatch('price', requests, source);
    expect(first.map((envelope) => envelope?.payload.price)).toEqual([1, 2, 3]);
    expect(((await cluster.client.xpending(source.stream, source.group)) as [number])[0]).toBe(0);
    // Read again (an acknowledgement that was lost, another consumer): recognised, not published again.
    expect(await bus.publishBatch('price', requests, source)).toEqual([null, null, null]);
    expect(await cluster.client.xlen(`titan:{price}:stream:${key}`)).toBe(3);
  });

  it('on a cluster that is not there, refuses at once with UnavailableError and fails to connect with a clear message', async () => {
    const timeouts = { ...BUS.timeouts, connectTimeoutMs: 500 };
    const bus = RedisEventBus.open({ ...BUS, redisUrl: 'redis+cluster://127.0.0.1:1', timeouts, onError: () => {} });
    opened.push(bus);
    const started = Date.now();
    await expect(bus.publish('price', uniqueKey(), tick('X', 1))).rejects.toBeInstanceOf(UnavailableError);
    expect(Date.now() - started).toBeLessThan(200);
    await expect(RedisEventBus.connect({ ...BUS, redisUrl: 'redis+cluster://127.0.0.1:1', timeouts, onError: () => {} })).rejects.toThrow(
      /not reachable within 500 ms/,
    );
  });

  it('fails to connect with a clear message when Redis is not there', async () => {
    await expect(
      RedisEventBus.connect({ ...BUS, redisUrl: 'redis://127.0.0.1:1', timeouts: { ...BUS.timeouts, connectTimeoutMs: 500 }, onError: () => {} }),
    ).rejects.toThrow(/not reachable within 500 ms/);
  });
});
