import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTitanClient, SignalsDocument, SignalSnapshotDocument, type TitanClient } from '../../packages/client/src/node.js';
import { startNginx, type TestNginx } from '../support/nginx.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';
import { until } from '../support/until.js';
import { ensureBuilt, startSubscriber, type TitanSubscriber } from '../cli/titan-process.js';

/**
 * Consumers of the client package and `titan subscribe` processes spread over two instances behind a
 * real nginx (deploy/nginx.conf, round-robin): one instance is SIGKILLed mid-stream, its consumers
 * reconnect through nginx to the other and resume after their last cursor; every consumer gets every
 * signal once, in order.
 */
const COUNT = 150;
const KILL_AT = 60;
const CONSUMERS = 4;
const CLI_CONSUMERS = 2;

let redis: TestRedis;
let instances: ServerProcess[] = [];
let nginx: TestNginx;
const clients: TitanClient[] = [];
const subscribers: TitanSubscriber[] = [];

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  instances = await Promise.all([1, 2].map(() => startProcess('main.ts', { REDIS_URL: redis.url, PUBLISHES_PER_SECOND: '10000', MUTATIONS_PER_SECOND: '10000' })));
  nginx = await startNginx(instances.map((instance) => Number(new URL(instance.url).port)));
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  subscribers.forEach((subscriber) => subscriber.child.kill('SIGKILL'));
  await Promise.all(subscribers.map((subscriber) => subscriber.exited));
  await nginx?.stop();
  await Promise.all(instances.map((instance) => instance.stop()));
  await redis?.stop();
});

describe('consumers behind nginx', () => {
  it('get every signal once and in order, through the package and the CLI, while the instance of some of them is SIGKILLed', async () => {
    const publisher = createTitanClient({ url: nginx.graphqlUrl, token: await tokenFor('svc', ['publisher']) });
    clients.push(publisher);
    const publish = async (n: number) => {
      for (;;) {
        try {
          await publisher.publishSignal({ id: `lb-${n}`, strategyId: 'rsi-reversion', symbol: 'NGINX', side: 'BUY', price: 1 + n, confidence: 0.5 });
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50)); // through the instance being killed: retried, stored once
        }
      }
    };
    const token = await tokenFor('consumer', ['trader']);
    const received: string[][] = [];
    for (let c = 0; c < CONSUMERS; c += 1) {
      const consumer = createTitanClient({ url: nginx.wsUrl, token, retryBaseDelayMs: 50, maxRetryDelayMs: 300 });
      clients.push(consumer);
      const { signalSnapshot } = await consumer.request(SignalSnapshotDocument, { strategyId: 'rsi-reversion', last: 1 });
      const mine: string[] = [];
      received.push(mine);
      consumer.subscribe(SignalsDocument, { strategyIds: ['rsi-reversion'], symbols: ['NGINX'], after: signalSnapshot.cursor }, (signal) => {
        mine.push(signal.id);
      });
    }
    for (let c = 0; c < CLI_CONSUMERS; c += 1) {
      const { signalSnapshot } = await publisher.request(SignalSnapshotDocument, { strategyId: 'rsi-reversion', last: 1 });
      const subscriber = startSubscriber(['signal', '--strategies', 'rsi-reversion', '--symbols', 'NGINX', '--after', signalSnapshot.cursor, '--url', nginx.wsUrl, '--token', token]);
      subscribers.push(subscriber);
      const mine: string[] = [];
      received.push(mine);
      subscriber.child.stdout?.on('data', () => mine.splice(0, mine.length, ...subscriber.lines.map((line) => String(line.id))));
    }
    for (let n = 0; n < COUNT; n += 1) {
      if (n === KILL_AT) {
        await until(() => received.every((mine) => mine.length >= KILL_AT / 2), 'every consumer to be live');
        await instances[0]!.kill();
      }
      await publish(n);
    }
    await until(() => received.every((mine) => mine.length >= COUNT), `${COUNT} signals for every consumer`, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a duplicate would arrive now
    for (const mine of received) expect(mine).toEqual(Array.from({ length: COUNT }, (_, n) => `lb-${n}`));
  });
});
