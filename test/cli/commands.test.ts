import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';
import { createTitanClient } from '../../packages/client/src/node.js';
import { ensureBuilt, runTitan, startSubscriber } from './titan-process.js';

/**
 * `titan publish`, `snapshot` and `token` as child processes against a real server process, and the
 * exit code of each kind of failure (documented in `titan --help` and the README).
 */

let redis: TestRedis;
let server: ServerProcess;
let publisherToken: string;
let traderToken: string;

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  server = await startProcess('main.ts', { REDIS_URL: redis.url });
  publisherToken = await tokenFor('publisher', ['publisher']);
  traderToken = await tokenFor('trader', ['trader']);
});

afterAll(async () => {
  await server?.stop();
  await redis?.stop();
});

const at = () => ['--url', server.wsUrl];
const lines = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('titan publish', () => {
  it('publishes the event of --json and prints it as published, with its cursor', async () => {
    const run = await runTitan(['publish', 'price', ...at(), '--json', '{"id":"json-1","symbol":"CLI-A","price":10,"bid":9,"ask":11}'], {
      env: { TITAN_TOKEN: publisherToken },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual([expect.objectContaining({ id: 'json-1', symbol: 'CLI-A', price: 10, cursor: expect.any(String) })]);
  });

  it('publishes each NDJSON line of stdin in order, reports a failed one with its code and exits 5', async () => {
    const input = [
      '{"id":"nd-1","symbol":"CLI-B","price":1}',
      '',
      'not json',
      '{"id":"nd-2","symbol":"CLI-B","price":-5}',
      '{"id":"nd-3","symbol":"CLI-B","price":3}',
    ].join('\n');
    const run = await runTitan(['publish', 'price', ...at(), '--token', publisherToken], { input });
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/^titan: .*not published/);
    const results = lines(run.stdout);
    expect(results).toHaveLength(4);
    expect(results[0]).toMatchObject({ id: 'nd-1', price: 1 });
    expect(results[1]).toMatchObject({ line: 3, error: { code: 'BAD_USER_INPUT' } });
    expect(results[2]).toMatchObject({ line: 4, error: { code: 'BAD_USER_INPUT' } });
    expect(results[3]).toMatchObject({ id: 'nd-3', price: 3 });
  });

  it('publishes stdin in batches of --batch: one line per input in order, ids respected, a bad item alone', async () => {
    const input = [
      '{"id":"b-1","symbol":"CLI-D","price":1}',
      '{"id":"b-2","symbol":"CLI-D","price":2}',
      '{"id":"b-1","symbol":"CLI-D","price":1}',
      '{"id":"b-3","symbol":"CLI-D","price":0}',
      '{"id":"b-4","symbol":"CLI-D","price":4}',
    ].join('\n');
    const run = await runTitan(['publish', 'price', ...at(), '--token', publisherToken, '--batch', '2'], { input });
    expect(run.code, run.stderr).toBe(5);
    const results = lines(run.stdout);
    expect(results).toHaveLength(5);
    expect(results[0]).toMatchObject({ id: 'b-1', price: 1, cursor: expect.any(String) });
    expect(results[0]).not.toHaveProperty('duplicate');
    expect(results[1]).toMatchObject({ id: 'b-2', price: 2, cursor: expect.any(String) });
    expect(results[2]).toEqual({ ...results[0], duplicate: true });
    expect(results[3]).toEqual({ line: 4, error: { code: 'BAD_USER_INPUT', message: expect.stringMatching(/^inputs\[1\]: price must be/) } });
    expect(results[4]).toMatchObject({ id: 'b-4', price: 4 });
    const snapshot = await runTitan(['snapshot', 'prices', '--symbols', 'CLI-D', ...at(), '--token', traderToken]);
    expect(JSON.parse(snapshot.stdout).ticks).toEqual([expect.objectContaining({ id: 'b-4', price: 4, cursor: results[4]!.cursor })]);
  });
});

it('titan snapshot prices prints the latest tick per symbol and the cursor, one JSON document', async () => {
  await runTitan(['publish', 'price', ...at(), '--token', publisherToken, '--json', '{"symbol":"CLI-C","price":42}']);
  const run = await runTitan(['snapshot', 'prices', '--symbols', 'CLI-C', ...at(), '--token', traderToken]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  expect(JSON.parse(run.stdout)).toEqual({ cursor: expect.any(String), ticks: [expect.objectContaining({ symbol: 'CLI-C', price: 42 })] });
});

describe('titan token', () => {
  it('prints the development token of a server in development mode', async () => {
    const development = await startProcess('main.ts', { JWT_SECRET: '' });
    try {
      const run = await runTitan(['token', '--url', development.wsUrl]);
      expect(run.code, run.stderr).toBe(0);
      const token = run.stdout.trim();
      expect(token.split('.')).toHaveLength(3);
      // It is a token the server takes.
      const snapshot = await runTitan(['snapshot', 'prices', '--url', development.wsUrl, '--token', token]);
      expect(snapshot.code, snapshot.stderr).toBe(0);
    } finally {
      await development.stop();
    }
  });

  it('says so and exits 3 when the server hands out no development tokens', async () => {
    const run = await runTitan(['token', ...at()]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^titan: .*no development tokens.*--token or set TITAN_TOKEN\n$/);
  });
});

describe('titan subscribe price --max-rate', () => {
  it('prints about one tick a second per symbol, the last one published last', async () => {
    const subscriber = startSubscriber(['price', '--symbols', 'CLI-R1,CLI-R2', '--max-rate', '1', ...at(), '--token', traderToken]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // subscribed (no --after: live only)
      const publisher = createTitanClient({ url: server.graphqlUrl, token: publisherToken });
      const started = Date.now();
      for (let n = 1; n <= 30; n++) {
        await publisher.publishPrices(['CLI-R1', 'CLI-R2'].map((symbol) => ({ symbol, price: n })));
        await new Promise((resolve) => setTimeout(resolve, started + n * 100 - Date.now())); // 10 a second
      }
      publisher.close();
      const seconds = (Date.now() - started) / 1_000;
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // the last window ends
      for (const symbol of ['CLI-R1', 'CLI-R2']) {
        const prices = subscriber.lines.filter((line) => line.symbol === symbol).map((line) => line.price);
        expect(prices.length, `${symbol}: ${prices.join(',')}`).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
        expect(prices.length, `${symbol}: ${prices.join(',')}`).toBeGreaterThanOrEqual(2);
        expect(prices.at(-1), symbol).toBe(30);
      }
    } finally {
      subscriber.child.kill('SIGTERM');
      await subscriber.exited;
    }
  });
});

describe('exit codes', () => {
  it('2 for an unknown command, an unknown flag or a missing argument', async () => {
    for (const args of [
      ['frobnicate'],
      ['snapshot', 'prices', '--bogus'],
      ['subscribe', 'price'],
      ['subscribe', 'price', '--symbols', 'A', '--max-rate', 'fast'],
      ['subscribe', 'signal', '--max-rate', '1'],
      ['publish'],
      ['publish', 'price', '--batch', '0'],
    ]) {
      const run = await runTitan(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^titan: .*\(see titan --help\)\n$/);
    }
  });

  it('3 for a bad token, over HTTP and on a subscription', async () => {
    const snapshot = await runTitan(['snapshot', 'prices', ...at(), '--token', 'not-a-token']);
    expect(snapshot.code).toBe(3);
    expect(snapshot.stderr).toMatch(/^titan: .*token/i);
    const subscriber = startSubscriber(['price', '--symbols', 'BTC-USD', ...at(), '--token', 'not-a-token']);
    expect(await subscriber.exited).toBe(3);
    expect(subscriber.stderr()).toMatch(/^titan: the server refused the token/);
  });

  it('4 for an unreachable server, over HTTP and on a subscription', async () => {
    const nowhere = `ws://127.0.0.1:${await freePort()}/graphql`;
    const snapshot = await runTitan(['snapshot', 'prices', '--url', nowhere, '--token', traderToken]);
    expect(snapshot.code).toBe(4);
    // The package's NETWORK_ERROR names fetch's cause.
    expect(snapshot.stderr).toMatch(/^titan: http:\/\/127.0.0.1:\d+\/graphql: fetch failed \(ECONNREFUSED\)/);
    const subscriber = startSubscriber(['price', '--symbols', 'BTC-USD', '--url', nowhere, '--token', traderToken, '--transport', 'ws']);
    expect(await subscriber.exited).toBe(4);
    expect(subscriber.stderr()).toMatch(/^titan: cannot reach /);
  });

  it('5 for input the server refuses, on a subscription', async () => {
    const unknown = startSubscriber(['backtest-progress', '--id', 'no-such-backtest', ...at(), '--token', traderToken]);
    expect(await unknown.exited).toBe(5);
    expect(unknown.stderr()).toMatch(/^titan: .*no-such-backtest/);
  });

  it('5 for input the server refuses', async () => {
    const run = await runTitan(['publish', 'signal', ...at(), '--token', publisherToken, '--json', '{"strategyId":"nope","symbol":"BTC-USD","side":"BUY","price":1,"confidence":2}']);
    expect(run.code).toBe(5);
    expect(lines(run.stdout)).toEqual([{ line: 1, error: { code: 'BAD_USER_INPUT', message: expect.any(String) } }]);
  });
});
