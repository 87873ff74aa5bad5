import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { connectPublisher, type ConnectedPublisher } from '../../src/publish/index.js';
import { ProtocolClient, type NextPayload, type ProtocolMessage } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { execute } from '../support/protocol-client.js';
import { startServer, tokenFor, tokens, type InProcessServer } from '../support/start-server.js';

/**
 * The shared path of live subscriptions (src/transport/live-fanout.ts): who shares a group, that a
 * shared payload never reaches a subscriber who may not see it, and that each subscriber keeps its
 * own slow-consumer policy and error codes.
 */
let redis: TestRedis;
let server: InProcessServer;
let publisher: ConnectedPublisher;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // A small send buffer, so a reader that stops reading overflows after a few hundred signals.
  server = await startServer({ REDIS_URL: redis.url, WS_MAX_BUFFERED_BYTES: '65536' });
  publisher = await connectPublisher({ redisUrl: redis.url, onError: () => {} });
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await publisher.close();
  await server.stop();
  await redis.stop();
});

async function connect(token: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, token);
  clients.push(client);
  return client;
}

type SignalData = { signal: { strategyId: string; reason: string; cursor: string } };
const SIGNALS = 'subscription ($symbol: String!) { signal(symbols: [$symbol]) { strategyId reason cursor } }';

const signal = (strategyId: string, symbol: string, reason: string) =>
  publisher.publishSignal({ strategyId, symbol, side: 'BUY', price: 1, confidence: 0.5, reason });

const reasons = (events: NextPayload<SignalData>[]) => events.map((event) => `${event.data?.signal.strategyId}:${event.data?.signal.reason}`);
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

/** Subscribes every client to SIGNALS for `symbol` and waits until each receives live events. */
async function subscribeAll(group: ProtocolClient[], id: string, symbol: string): Promise<void> {
  for (const client of group) client.subscribe(id, SIGNALS, { symbol });
  for (const client of group) await client.untilLive(id, () => signal('ma-crossover', symbol, 'warm-up'));
  await settle();
  for (const client of group) client.drain(id);
}

async function waitForStats(check: (stats: ReturnType<InProcessServer['stats']>) => boolean): Promise<ReturnType<InProcessServer['stats']>> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const stats = server.stats();
    if (check(stats)) return stats;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return server.stats();
}

describe('groups', () => {
  it('puts subscribers of one operation and scope in one group, and they receive the same events', async () => {
    const [alice, bob] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('bob', ['trader'])]);
    const group = [await connect(alice), await connect(alice), await connect(bob)];
    await subscribeAll(group, 's', 'SAME');
    expect(server.stats().fanout.signal).toMatchObject({ groups: 1, members: 3 });

    for (let n = 1; n <= 5; n += 1) await signal(n % 2 ? 'ma-crossover' : 'rsi-reversion', 'SAME', `#${n}`);
    const received = await Promise.all(group.map((client) => client.collect<SignalData>('s', 5)));
    const expected = ['ma-crossover:#1', 'rsi-reversion:#2', 'ma-crossover:#3', 'rsi-reversion:#4', 'ma-crossover:#5'];
    for (const events of received) expect(reasons(events)).toEqual(expected);
    expect(new Set(received.map((events) => JSON.stringify(events))).size).toBe(1);

    group.forEach((client) => client.close());
    expect((await waitForStats((stats) => stats.fanout.signal.groups === 0)).fanout.signal).toMatchObject({ groups: 0, members: 0 });
  });

  it('never shares a payload between viewers with different entitlements', async () => {
    const everything = await connect(await tokenFor('alice', ['trader']));
    const limited = await connect(await tokens.issue('erin', ['trader'], '1h', { strategies: ['ma-crossover'] }));
    await subscribeAll([everything, limited], 'e', 'ENTITLED');
    // Same document and variables, different authorization scope: two groups.
    expect(server.stats().fanout.signal).toMatchObject({ groups: 2, members: 2 });

    await signal('rsi-reversion', 'ENTITLED', 'hidden from erin');
    await signal('ma-crossover', 'ENTITLED', 'for both');
    expect(reasons(await everything.collect<SignalData>('e', 2))).toEqual(['rsi-reversion:hidden from erin', 'ma-crossover:for both']);
    expect(reasons(await limited.collect<SignalData>('e', 1))).toEqual(['ma-crossover:for both']);
    await settle();
    expect(limited.drain('e')).toEqual([]);
    everything.close();
    limited.close();
  });

  it('re-checks each member per event: a renewal that narrows one connection leaves the others of its group as they were', async () => {
    const token = await tokenFor('carol', ['trader']);
    const narrowed = await connect(token);
    const unchanged = await connect(token);
    await subscribeAll([narrowed, unchanged], 'n', 'RENEWED');
    expect(server.stats().fanout.signal).toMatchObject({ groups: 1, members: 2 });

    const renewal = await tokens.issue('carol', ['trader'], '1h', { strategies: ['ma-crossover'] });
    narrowed.subscribe('r', 'mutation ($token: String!) { renewToken(token: $token) { subject } }', { token: `Bearer ${renewal}` });
    expect((await narrowed.waitFor((m) => m.id === 'r' && m.type === 'next')).payload).toMatchObject({ data: { renewToken: { subject: 'carol' } } });

    await signal('rsi-reversion', 'RENEWED', 'no longer entitled');
    await signal('ma-crossover', 'RENEWED', 'still entitled');
    expect(reasons(await unchanged.collect<SignalData>('n', 2))).toEqual(['rsi-reversion:no longer entitled', 'ma-crossover:still entitled']);
    expect(reasons(await narrowed.collect<SignalData>('n', 1))).toEqual(['ma-crossover:still entitled']);
    await settle();
    expect(narrowed.drain('n')).toEqual([]);
    narrowed.close();
    unchanged.close();
  });

  it('lets a resumer (after a cursor) join the group: it replays what it missed, then goes on live, no gap, no duplicate', async () => {
    const RESUMABLE = 'subscription ($symbol: String!, $after: Cursor) { signal(symbols: [$symbol], after: $after) { strategyId reason cursor } }';
    const token = await tokenFor('dave', ['trader']);
    const live = await connect(token);
    live.subscribe('r', RESUMABLE, { symbol: 'RESUME' });
    await live.untilLive('r', () => signal('ma-crossover', 'RESUME', 'warm-up'));
    await settle();
    live.drain('r');
    for (let n = 1; n <= 20; n += 1) await signal('ma-crossover', 'RESUME', `#${n}`);
    const seen = await live.collect<SignalData>('r', 20);

    const resumer = await connect(token);
    resumer.subscribe('r', RESUMABLE, { symbol: 'RESUME', after: seen[4]?.data?.signal.cursor });
    // A storm while it replays: the events after #20 arrive live, held until the replay is done.
    await Promise.all(Array.from({ length: 40 }, (_, i) => signal('ma-crossover', 'RESUME', `#${21 + i}`)));
    const numbered = (from: number) => Array.from({ length: 60 - from + 1 }, (_, i) => `ma-crossover:#${from + i}`);
    expect(reasons(await resumer.collect<SignalData>('r', 55))).toEqual(numbered(6));
    expect(reasons(await live.collect<SignalData>('r', 40))).toEqual(numbered(21));
    await settle();
    expect(resumer.drain('r')).toEqual([]);
    // The same operation but for its cursor: one group, one execution per event for both.
    expect(server.stats().fanout.signal).toMatchObject({ groups: 1, members: 2 });
    expect(server.stats().fanout.signal.replayed).toBeGreaterThanOrEqual(15);
    live.close();
    resumer.close();
  });
});

describe('slow readers on the shared path', () => {
  it('ends the signals of a reader that stopped reading with SLOW_CONSUMER and 4008; its group goes on without a gap', async () => {
    const token = await tokenFor('frank', ['trader']);
    const reader = await connect(token);
    const stalled = await connect(token);
    await subscribeAll([reader], 'f', 'FLOOD');
    // Several subscriptions multiply the backlog, so it outgrows the kernel's socket buffers quickly.
    const stalledIds = Array.from({ length: 10 }, (_, i) => `f${i}`);
    for (const id of stalledIds) stalled.subscribe(id, SIGNALS, { symbol: 'FLOOD' });
    await waitForStats((stats) => stats.fanout.signal.members === 11);
    expect(server.stats().fanout.signal).toMatchObject({ groups: 1, members: 11 });
    const before = server.stats().fanout.signal.slowConsumers;
    (stalled.socket as WebSocket & { _socket: Socket })._socket.pause();

    const reason = 'x'.repeat(480);
    const received: NextPayload<SignalData>[] = [];
    let published = 0;
    while (published < 5000 && server.stats().fanout.signal.members > 1) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => signal('ma-crossover', 'FLOOD', `${published + i + 1}:${reason}`)));
      published += 100;
      received.push(...(await reader.collect<SignalData>('f', 100)));
    }
    const stats = server.stats().fanout.signal;
    expect(stats).toMatchObject({ groups: 1, members: 1 });
    expect(stats.slowConsumers - before).toBe(stalledIds.length);
    expect(received.map((event) => Number.parseInt(event.data!.signal.reason, 10))).toEqual(Array.from({ length: published }, (_, i) => i + 1));

    (stalled.socket as WebSocket & { _socket: Socket })._socket.resume();
    const ended = await stalled.waitForUnlessClosed((m: ProtocolMessage) => m.id === 'f0' && m.type === 'error');
    // A peer that reads again in time sees the error, then the 4008 close (else it was cut: 1006).
    if (ended) expect(JSON.stringify(ended.payload)).toContain('SLOW_CONSUMER');
    expect([4008, 1006]).toContain((await stalled.waitForClose()).code);
    reader.close();
  });
});

describe('writes', () => {
  it('holds frames for WS_WRITE_DELAY_MS and writes what arrived meanwhile together, in order', async () => {
    const delayed = await startServer({ WS_WRITE_DELAY_MS: '600' });
    try {
      const publisherToken = await tokenFor('svc', ['publisher']);
      const publish = (price: number) =>
        execute(delayed.graphqlUrl, 'mutation ($p: Float!) { publishPrice(input: { symbol: "HOLD", price: $p }) { price } }', { p: price }, publisherToken);
      const client = await ProtocolClient.connect(delayed.wsUrl, await tokenFor('hana', ['trader']));
      clients.push(client);
      client.subscribe('p', 'subscription { price(symbols: ["HOLD"]) { price } }');
      await client.untilLive('p', () => publish(1), 10);
      await new Promise((resolve) => setTimeout(resolve, 400));
      client.drain('p');

      const arrivals: number[] = [];
      client.socket.on('message', () => arrivals.push(Date.now()));
      const started = Date.now();
      for (const price of [2, 3, 4]) {
        await publish(price);
        if (price < 4) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const events = await client.collect<{ price: { price: number } }>('p', 3);
      expect(events.map((event) => event.data?.price.price)).toEqual([2, 3, 4]);
      // Published over ~200 ms (more on a busy machine), held until 600 ms after the first, then written at once.
      expect(Math.min(...arrivals) - started).toBeGreaterThanOrEqual(550);
      expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(50);
      client.close();
    } finally {
      await delayed.stop();
    }
  });
});

describe('history lost under a live subscription', () => {
  it('ends shared price and signal subscriptions with CURSOR_EXPIRED when Redis restarts empty', async () => {
    const client = await connect(await tokenFor('gina', ['trader']));
    client.subscribe('p', 'subscription { price(symbols: ["LOST"]) { price } }');
    await client.untilLive('p', () => publisher.publishPrice({ symbol: 'LOST', price: 1 }));
    await subscribeAll([client], 's', 'LOST');
    expect(server.stats().fanout).toMatchObject({ price: { members: 1 }, signal: { members: 1 } });

    await redis.restart();
    // The first events of the new history reveal the reset to the server's bus.
    const errors = new Map<string, ProtocolMessage>();
    for (let attempt = 0; attempt < 100 && errors.size < 2; attempt += 1) {
      await publisher.publishPrice({ symbol: 'LOST', price: 2 }).catch(() => undefined);
      await signal('ma-crossover', 'LOST', 'after the reset').catch(() => undefined);
      for (const id of ['p', 's']) {
        const error = await client.waitFor((m) => m.id === id && m.type === 'error', 50).catch(() => null);
        if (error) errors.set(id, error);
      }
    }
    for (const id of ['p', 's']) expect(JSON.stringify(errors.get(id)?.payload)).toContain('CURSOR_EXPIRED');
    expect((await waitForStats((stats) => stats.fanout.price.groups + stats.fanout.signal.groups === 0)).fanout).toMatchObject({
      price: { groups: 0 },
      signal: { groups: 0 },
    });
    client.close();
  });
});
