import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTitanClient, type TitanClient } from '../../packages/client/src/node.js';
import { freePort, startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';
import { until } from '../support/until.js';
import { ensureBuilt, runTitan, startSubscriber, type TitanSubscriber } from './titan-process.js';

/**
 * `titan subscribe signal --cursor-file` as a child process against real server processes on a real
 * redis-server: every one of a few hundred signals arrives once and in order while the server is
 * SIGKILLed and restarted mid-stream, a CLI killed (SIGKILL) and started again with the same
 * cursor file misses none, and one stopped by SIGTERM and started again repeats none.
 */

const COUNT = 300;
const SERVER_KILL_AT = 100;
const CLI_KILL_AT = 200;
const STRATEGY = 'ma-crossover';

let redis: TestRedis;
let port: number;
let server: ServerProcess;
let publisher: TitanClient;
const subscribers: TitanSubscriber[] = [];
const temp = mkdtempSync(join(tmpdir(), 'titan-cli-'));

const start = () => startProcess('main.ts', { REDIS_URL: redis.url, PORT: String(port), PUBLISHES_PER_SECOND: '10000', MUTATIONS_PER_SECOND: '10000' });

/** Publishes signal `n`, retrying with the same id while the server is down (stored once however often). */
async function publish(n: number): Promise<void> {
  for (;;) {
    try {
      await publisher.publishSignal({ id: `cli-${n}`, strategyId: STRATEGY, symbol: 'BTC-USD', side: 'BUY', price: 100 + n, confidence: 0.5 });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  port = await freePort();
  server = await start();
  publisher = createTitanClient({ url: server.graphqlUrl, token: await tokenFor('publisher', ['publisher']) });
});

afterAll(async () => {
  for (const subscriber of subscribers) subscriber.child.kill('SIGKILL');
  publisher?.close();
  await server?.stop();
  await redis?.stop();
  rmSync(temp, { recursive: true, force: true });
});

it('prints every signal once and in order across a server SIGKILL and a restart of the CLI', async () => {
  const token = await tokenFor('consumer', ['trader']);
  const common = ['--url', server.wsUrl, '--token', token];
  // Start after the stream's current position, so nothing published from here on is missed.
  const snapshot = await runTitan(['snapshot', 'signals', '--strategies', STRATEGY, ...common]);
  expect(snapshot.code, snapshot.stderr).toBe(0);
  const { cursor } = JSON.parse(snapshot.stdout) as { cursor: string };
  const args = ['signal', '--strategies', STRATEGY, '--after', cursor, '--cursor-file', join(temp, 'cursors.json'), ...common];
  const first = startSubscriber(args);
  subscribers.push(first);

  let second: TitanSubscriber | null = null;
  for (let n = 0; n < COUNT; n++) {
    if (n === SERVER_KILL_AT) {
      await until(() => first.lines.length >= SERVER_KILL_AT / 2, `the first signals (stderr: ${first.stderr()})`);
      await server.kill();
      server = await start();
    }
    if (n === CLI_KILL_AT) {
      await until(() => first.lines.length >= CLI_KILL_AT - 20, `signals after the restart (stderr: ${first.stderr()})`);
      first.child.kill('SIGKILL');
      await first.exited;
      second = startSubscriber(args);
      subscribers.push(second);
    }
    await publish(n);
  }
  const last = `cli-${COUNT - 1}`;
  await until(() => second?.lines.at(-1)?.id === last, `the last signal (stderr: ${second?.stderr()})`);
  await new Promise((resolve) => setTimeout(resolve, 200)); // a duplicate would arrive now

  const firstIds = first.lines.map((line) => line.id);
  const secondIds = (second?.lines ?? []).map((line) => line.id);
  expect(first.lines.every((line) => typeof line.cursor === 'string')).toBe(true);
  // Each run prints in order and once; a SIGKILL can land while the cursors of the last lines
  // printed are still being stored, so the second run may repeat those, but it may skip nothing.
  const expected = (from: number, to: number) => Array.from({ length: to - from }, (_, n) => `cli-${from + n}`);
  const context = `first run: ${firstIds.length} lines, last ${firstIds.at(-1)}; second run: from ${secondIds[0]}\n${first.stderr()}${second?.stderr()}`;
  expect(firstIds, context).toEqual(expected(0, firstIds.length));
  const resumedFrom = Number(String(secondIds[0]).slice('cli-'.length));
  expect(resumedFrom, context).toBeLessThanOrEqual(firstIds.length);
  expect(secondIds, context).toEqual(expected(resumedFrom, COUNT));

  // SIGTERM ends it cleanly, every cursor stored: a third run repeats nothing and misses nothing.
  second?.child.kill('SIGTERM');
  expect(await second?.exited).toBe(0);
  for (let n = COUNT; n < COUNT + 10; n++) await publish(n);
  const third = startSubscriber(args);
  subscribers.push(third);
  await until(() => third.lines.length >= 10, `the signals published while no titan ran (stderr: ${third.stderr()})`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(third.lines.map((line) => line.id)).toEqual(expected(COUNT, COUNT + 10));
  third.child.kill('SIGINT');
  expect(await third.exited).toBe(0);
});
