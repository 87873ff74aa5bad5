import { afterAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute, type NextPayload } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';

/**
 * The ambiguous publish: Redis received the command but its answer never came back in time (a
 * frozen Redis, a partition). The publisher is told UNAVAILABLE, the event is stored anyway, and the
 * publisher's rule, "retry with the same id", settles it: one event, delivered once.
 */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

type SignalData = { signal: { id: string; cursor: string } };
const PUBLISH = 'mutation ($input: SignalInput!) { publishSignal(input: $input) { id reason cursor } }';

describe('a publish whose answer was lost', () => {
  it('answers UNAVAILABLE, is stored anyway, and its retry is acknowledged with the original and delivers nothing new', async () => {
    const redis: TestRedis = await startRedis();
    cleanups.push(() => redis.stop());
    const server: InProcessServer = await startServer({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '300', REDIS_RETRY_MAX_DELAY_MS: '200' });
    cleanups.push(() => server.stop());
    const [trader, publisher] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('svc', ['publisher'])]);
    const publish = (id: string, reason: string) =>
      execute<{ publishSignal: { id: string; reason: string; cursor: string } }>(
        server.graphqlUrl,
        PUBLISH,
        { input: { id, strategyId: 'ma-crossover', symbol: 'AMBIG', side: 'BUY', price: 1, confidence: 0.5, reason } },
        publisher,
      );
    const client = await ProtocolClient.connect(server.wsUrl, trader);
    cleanups.push(() => client.close());
    client.subscribe('s', 'subscription { signal(symbols: ["AMBIG"]) { id cursor } }');
    let probe = 0;
    await client.untilLive('s', () => publish(`probe-${(probe += 1)}`, 'probe'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.drain('s');

    redis.signal('SIGSTOP');
    const first = await publish('order-42', 'first attempt');
    redis.signal('SIGCONT');
    expect(first.data ?? null).toBeNull();
    expect(first.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 200 });

    // Redis ran the publish once it woke up: the subscriber has it although the publisher was told otherwise.
    const [delivered] = await client.collect<SignalData>('s', 1);
    expect(delivered?.data?.signal.id).toBe('order-42');

    const retry = await publish('order-42', 'second attempt');
    expect(retry.errors).toBeUndefined();
    expect(retry.data?.publishSignal).toEqual({ id: 'order-42', reason: 'first attempt', cursor: delivered?.data?.signal.cursor });

    await publish('order-43', 'next');
    const next = (await client.collect<SignalData>('s', 1)) as NextPayload<SignalData>[];
    expect(next.map((payload) => payload.data?.signal.id)).toEqual(['order-43']);
  });
});
