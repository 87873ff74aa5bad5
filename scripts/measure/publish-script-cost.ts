/**
 * Redis' cost of the bus's publish script on the ingest path, alone: a fresh redis-server, ingest
 * entries read into a consumer group, then published in batches of 500 ticks over 500 symbols with
 * the entries as their source (claimed and acknowledged by the script), as the ingest consumer does.
 * Prints, per round, Redis' own CPU (/proc) and the script's time (`INFO commandstats`, inner calls
 * included) in µs per event, and each inner command's; the minimum over rounds is the figure (other
 * processes only ever add to it). `--bus=<module>` measures another build's bus (e.g. an older
 * commit's `dist/bus/redis-event-bus.js`) against this one.
 *
 *   npx tsx scripts/measure/publish-script-cost.ts [--rounds 8] [--batches 40] [--bus <module>]
 */
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import type { RedisEventBus as Bus } from '../../src/bus/redis-event-bus.js';
import { cpuMicros } from '../bench/proc-stats.js';
import { startRedis, stop } from '../bench/processes.js';

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const ROUNDS = Number(flag('rounds', '8'));
const BATCHES = Number(flag('batches', '40'));
const BATCH = 500;
const SYMBOLS = Array.from({ length: 500 }, (_, i) => `S${String(i).padStart(3, '0')}`);
const busModule = flag('bus', '../../src/bus/redis-event-bus.js');
const { RedisEventBus } = (await import(busModule)) as { RedisEventBus: typeof Bus };

const redisServer = await startRedis();
const redis = new Redis(redisServer.url);
const bus = await RedisEventBus.connect({ ...loadConfig({ JWT_SECRET: 'x'.repeat(32) }).bus, redisUrl: redisServer.url, onError: () => {} });
const source = { stream: 'titan:ingest', group: 'titan-ingest', consumer: 'measure' };
await redis.xgroup('CREATE', source.stream, source.group, '0', 'MKSTREAM');

let next = 0;
const results: { cpu: number; script: number; inner: Record<string, number> }[] = [];
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    // The round's entries, added and read into the group before measuring.
    const entries: string[][] = [];
    for (let b = 0; b < BATCHES; b += 1) {
      const pipeline = redis.pipeline();
      for (let i = 0; i < BATCH; i += 1) pipeline.xadd(source.stream, '*', 'type', 'price');
      await pipeline.exec();
      const read = (await redis.xreadgroup('GROUP', source.group, source.consumer, 'COUNT', BATCH, 'STREAMS', source.stream, '>')) as [string, [string, string[]][]][];
      entries.push(read[0]![1].map(([id]) => id));
    }
    await redis.config('RESETSTAT');
    const cpuBefore = cpuMicros(redisServer.child.pid ?? 0);
    for (const ids of entries) {
      const requests = ids.map((entry) => {
        const symbol = SYMBOLS[next % SYMBOLS.length]!;
        next += 1;
        return { key: symbol, entry, payload: { symbol, price: next, bid: next, ask: next, volume: 1, timestamp: new Date().toISOString() } };
      });
      await bus.publishBatch('price', requests, source);
    }
    const cpu = cpuMicros(redisServer.child.pid ?? 0) - cpuBefore;
    const events = BATCHES * BATCH;
    const stats = await redis.info('commandstats');
    const inner: Record<string, number> = {};
    for (const [, name = '', usec] of stats.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) inner[name] = Number((Number(usec) / events).toFixed(2));
    results.push({ cpu: cpu / events, script: inner.evalsha ?? 0, inner });
    console.log(`round ${round + 1}: Redis CPU ${(cpu / events).toFixed(2)} µs/event, script ${inner.evalsha} µs/event, inner ${JSON.stringify(inner)}`);
  }
  const min = (pick: (r: (typeof results)[number]) => number) => Math.min(...results.map(pick)).toFixed(2);
  console.log(`minimum over ${ROUNDS} rounds of ${BATCHES}×${BATCH}: Redis CPU ${min((r) => r.cpu)} µs/event, script ${min((r) => r.script)} µs/event`);
} finally {
  await bus.close();
  redis.disconnect();
  await stop(redisServer.child);
}
