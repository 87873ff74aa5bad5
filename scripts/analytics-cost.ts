/**
 * What streaming analytics cost per published tick, and what the bars hold in memory: feeds ticks of
 * 500 symbols straight into the candle book (4 intervals) with the strategy book wired as in the app,
 * measured with `process.cpuUsage`; then the time to recompute a strategy from a window of 1,000
 * signals; and the whole path (the follower's stream included) as the CPU a batch publish on the
 * in-memory bus costs with the analytics service following it, minus without. docs/analytics.md
 * quotes the figures.
 *
 *   npx tsx scripts/analytics-cost.ts [ticks]   (default 200000)
 */
import { AnalyticsService } from '../src/analytics/analytics-service.js';
import { CandleBook } from '../src/analytics/candle-book.js';
import { StatsBook } from '../src/analytics/stats-book.js';
import { ledgerOf, type StatsSignal } from '../src/analytics/strategy-stats.js';
import type { Envelope, PublishRequest } from '../src/bus/event-bus.js';
import { MemoryEventBus } from '../src/bus/memory-event-bus.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig({ JWT_SECRET: 'x'.repeat(32) });
const TICKS = Number(process.argv[2] ?? 200_000);
const SYMBOLS = Array.from({ length: 500 }, (_, n) => `SYM${n}`);
const start = Date.parse('2026-01-05T00:00:00.000Z');

const stats = new StatsBook({ historyMaxLen: config.bus.historyMaxLen, throttleMs: config.analytics.statsThrottleMs, latestPrice: (symbol) => book.latestPrice(symbol) });
const book = new CandleBook(config.analytics.candleHistoryBars, (symbol) => stats.priceMoved(symbol));
for (const symbol of SYMBOLS) book.start(symbol, { complete: true, firstOffset: 0, position: { epoch: 'bench', offset: 0 } });

/** 50 ticks per symbol per second of event time: every ONE_SECOND bar closes, as under a 25,000 ticks/s feed. */
function envelope(n: number): Envelope<'price'> {
  const symbol = SYMBOLS[n % SYMBOLS.length] ?? 'SYM0';
  const price = 100 + Math.sin(n / 1000);
  return {
    topic: 'price',
    key: symbol,
    position: { epoch: 'bench', offset: n + 1 },
    payload: { symbol, price, bid: price, ask: price, volume: 1, timestamp: new Date(start + Math.floor(n / 25) * 1).toISOString() },
  };
}

const envelopes = Array.from({ length: TICKS }, (_, n) => envelope(n));
for (let n = 0; n < 20_000; n += 1) book.add(envelope(TICKS + n)); // warm up the JIT on other symbols' later ticks
const cpu = process.cpuUsage();
const wall = process.hrtime.bigint();
for (const tick of envelopes) book.add(tick);
const used = process.cpuUsage(cpu);
const elapsedMs = Number(process.hrtime.bigint() - wall) / 1e6;
const microsPerTick = (used.user + used.system) / TICKS;
console.log(`aggregation: ${TICKS} ticks × 4 intervals in ${elapsedMs.toFixed(0)} ms wall; CPU ${microsPerTick.toFixed(2)} µs per tick (${((microsPerTick * 50_000) / 1e4).toFixed(1)}% of a core at 50,000 ticks/s)`);

// Memory at steady state: every ring full (500 symbols × 4 intervals × CANDLE_HISTORY_BARS).
const full = new CandleBook(config.analytics.candleHistoryBars, () => {});
for (const symbol of SYMBOLS) full.start(symbol, { complete: true, firstOffset: 0, position: { epoch: 'bench', offset: 0 } });
let offset = 0;
for (let hour = 0; hour <= config.analytics.candleHistoryBars; hour += 1) {
  for (const symbol of SYMBOLS) {
    full.add({ topic: 'price', key: symbol, position: { epoch: 'bench', offset: ++offset }, payload: { symbol, price: 1, bid: 1, ask: 1, volume: 1, timestamp: new Date(start + hour * 3_600_000).toISOString() } });
  }
}
console.log(`memory: bar rings of 500 symbols × 4 intervals × ${config.analytics.candleHistoryBars} bars = ${(full.ringBytes() / 2 ** 20).toFixed(1)} MiB`);

// A strategy recomputed from a full window on a signal.
const window: StatsSignal[] = Array.from({ length: config.bus.historyMaxLen }, (_, n) => ({
  symbol: SYMBOLS[n % 20] ?? 'SYM0',
  side: n % 3 === 0 ? 'SELL' : 'BUY',
  price: 100 + (n % 17),
  timestamp: new Date(start + n * 1000).toISOString(),
}));
for (let n = 0; n < 200; n += 1) ledgerOf(window);
const statsCpu = process.cpuUsage();
for (let n = 0; n < 2000; n += 1) ledgerOf(window);
const statsUsed = process.cpuUsage(statsCpu);
console.log(`strategy: recompute from ${window.length} signals in ${((statsUsed.user + statsUsed.system) / 2000).toFixed(1)} µs CPU`);
stats.close();

/** CPU of publishing `TICKS` ticks in batches of 500 on a fresh in-memory bus, with or without the service. */
async function publishCost(withAnalytics: boolean): Promise<number> {
  const bus = new MemoryEventBus({ historyMaxLen: config.bus.historyMaxLen });
  const service = withAnalytics
    ? new AnalyticsService({ ...config.analytics, bus, historyMaxLen: config.bus.historyMaxLen, retryMaxDelayMs: 1000, strategyIds: [], onError: console.error })
    : null;
  await bus.publishBatch('price', SYMBOLS.map((symbol) => ({ key: symbol, payload: { ...envelope(0).payload, symbol } })));
  if (service) await Promise.all(SYMBOLS.map((symbol) => service.ensureSymbol(symbol)));
  const batches: PublishRequest<'price'>[][] = [];
  for (let n = 0; n < TICKS; n += 500) batches.push(envelopes.slice(n, n + 500).map(({ key, payload }) => ({ key, payload })));
  const before = process.cpuUsage();
  for (const batch of batches) {
    await bus.publishBatch('price', batch);
    await new Promise((resolve) => setImmediate(resolve)); // let the follower's stream drain, as between requests
  }
  const spent = process.cpuUsage(before);
  service?.stop();
  await bus.close();
  return spent.user + spent.system;
}
const without = await publishCost(false);
const withService = await publishCost(true);
console.log(`whole path: ${((withService - without) / TICKS).toFixed(2)} µs CPU per published tick added by the service (${(without / TICKS).toFixed(2)} µs without, ${(withService / TICKS).toFixed(2)} µs with)`);
