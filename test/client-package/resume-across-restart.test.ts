import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTitanClient, fileCursorStore, SignalsDocument, SignalSnapshotDocument, type TitanClient } from '../../packages/client/src/node.js';
import { freePort, startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';
import { until } from '../support/until.js';

/**
 * The client package against real server processes on one real redis-server: a consumer receives
 * every one of a few hundred signals exactly once and in order while the server is SIGKILLed and
 * restarted mid-stream, over WebSocket (JSON and MessagePack) and SSE; a consumer restarted with a
 * fileCursorStore misses nothing.
 */

const COUNT = 200;
const KILL_AT = 70;
const STRATEGY = 'ma-crossover';

let redis: TestRedis;
let port: number;
let server: ServerProcess;
let publisher: TitanClient;
const temp = mkdtempSync(join(tmpdir(), 'titan-client-'));

const start = () => startProcess('main.ts', { REDIS_URL: redis.url, PORT: String(port), PUBLISHES_PER_SECOND: '10000', MUTATIONS_PER_SECOND: '10000' });
/** Publishes signal `n` of `run`, retrying with the same id (stored once however often it is retried). */
async function publish(run: string, n: number): Promise<void> {
  for (;;) {
    try {
      await publisher.publishSignal({ id: `${run}-${n}`, strategyId: STRATEGY, symbol: 'BTC-USD', side: 'BUY', price: 100 + n, confidence: 0.5 });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50)); // the server is down or restarting
    }
  }
}

beforeAll(async () => {
  redis = await startRedis();
  port = await freePort();
  server = await start();
  publisher = createTitanClient({ url: server.graphqlUrl, token: await tokenFor('publisher', ['publisher']) });
});

afterAll(async () => {
  publisher?.close();
  await server?.stop();
  await redis?.stop();
  rmSync(temp, { recursive: true, force: true });
});

describe.each([
  { name: 'WebSocket, JSON', options: { transport: 'ws', encoding: 'json' } },
  { name: 'WebSocket, MessagePack', options: { transport: 'ws', encoding: 'msgpack' } },
  { name: 'SSE', options: { transport: 'sse' } },
] as const)('a consumer over $name', ({ name, options }) => {
  it('receives every signal once and in order while the server is SIGKILLed and restarted', async () => {
    const run = name.replace(/\W+/g, '-');
    const token = await tokenFor('consumer', ['trader']);
    // A token function: asked at start and again at every reconnect.
    let tokenCalls = 0;
    const tokenSource = () => {
      tokenCalls += 1;
      return token;
    };
    const consumer = createTitanClient({ url: server.wsUrl, token: tokenSource, retryBaseDelayMs: 50, maxRetryDelayMs: 300, ...options });
    const { signalSnapshot } = await consumer.request(SignalSnapshotDocument, { strategyId: STRATEGY, last: 1 });
    const received: string[] = [];
    const stream = consumer.subscribe(SignalsDocument, { strategyIds: [STRATEGY], after: signalSnapshot.cursor }, (signal) => {
      received.push(signal.id);
    });
    let failure: unknown = null;
    stream.done.catch((error: unknown) => (failure = error));

    for (let n = 0; n < COUNT; n++) {
      if (n === KILL_AT) {
        await until(() => received.length >= KILL_AT / 2, 'the first signals');
        const callsBefore = tokenCalls;
        await server.kill();
        server = await start();
        await until(() => tokenCalls > callsBefore, 'the token function to be asked again on reconnect');
      }
      await publish(run, n);
    }
    await until(() => received.length >= COUNT || failure !== null, `${COUNT} signals`);
    expect(failure).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 200)); // a duplicate would arrive now
    expect(received).toEqual(Array.from({ length: COUNT }, (_, n) => `${run}-${n}`));
    stream.close();
    consumer.close();
  });
});

describe('fileCursorStore', () => {
  it('lets a restarted consumer go on where it stopped', async () => {
    const path = join(temp, 'cursors.json');
    const token = await tokenFor('consumer', ['trader']);
    const received: string[] = [];
    const consume = (stopAfter: number) => {
      const consumer = createTitanClient({ url: server.wsUrl, token, cursorStore: fileCursorStore(path) });
      const stream = consumer.signals({ strategyIds: [STRATEGY] });
      return (async () => {
        for await (const signal of stream) {
          received.push(signal.id);
          if (received.length === stopAfter) break; // leaves the loop: the cursor of this one is stored
        }
        consumer.close();
      })();
    };

    // The first run starts live: wait until it is subscribed before publishing.
    const first = consume(20);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let n = 0; n < 20; n++) await publish('file', n);
    await first;
    for (let n = 20; n < 50; n++) await publish('file', n); // published while no consumer runs
    await consume(50);
    expect(received).toEqual(Array.from({ length: 50 }, (_, n) => `file-${n}`));
  });
});
