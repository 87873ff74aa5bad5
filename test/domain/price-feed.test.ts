import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { PriceEvent } from '../../src/domain/events.js';
import { PriceFeed, symbolProfile } from '../../src/domain/price-feed.js';

const execFileAsync = promisify(execFile);

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT', 'XYZ'] as const;

function collectingFeed(options: { seed?: number; publish?: (tick: PriceEvent) => Promise<unknown> } = {}) {
  const ticks: PriceEvent[] = [];
  const errors: unknown[] = [];
  const feed = new PriceFeed({
    symbols: SYMBOLS,
    ticksPerSecond: 4,
    seed: options.seed,
    publish:
      options.publish ??
      ((tick) => {
        ticks.push(tick);
        return Promise.resolve();
      }),
    onError: (error) => errors.push(error),
  });
  return { feed, ticks, errors };
}

describe('PriceFeed', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('publishes ticksPerSecond quotes per symbol, with bid < ask and positive finite prices', () => {
    const { feed, ticks } = collectingFeed();
    feed.start();
    vi.advanceTimersByTime(10_000);
    feed.stop();

    for (const symbol of SYMBOLS) {
      const own = ticks.filter((tick) => tick.symbol === symbol);
      expect(own).toHaveLength(40);
      const profile = symbolProfile(symbol);
      for (const tick of own) {
        expect(Number.isFinite(tick.price) && tick.price > 0).toBe(true);
        expect(tick.bid).toBeLessThan(tick.ask);
        expect(tick.bid).toBeLessThanOrEqual(tick.price);
        expect(tick.ask).toBeGreaterThanOrEqual(tick.price);
        expect(tick.bid).toBeGreaterThan(0);
        expect(tick.volume).toBeGreaterThan(0);
        expect(new Date(tick.timestamp).toISOString()).toBe(tick.timestamp);
        // Two decimals: prices are whole cents.
        expect(Math.abs(tick.price * 100 - Math.round(tick.price * 100))).toBeLessThan(1e-6);
        // 40 simulated minutes cannot take a price far from where it started.
        expect(Math.abs(tick.price / profile.startPrice - 1)).toBeLessThan(0.1);
      }
      // The price moves: it is a random walk, not a constant.
      expect(new Set(own.map((tick) => tick.price)).size).toBeGreaterThan(1);
    }
  });

  it('quotes crypto with a wider spread than equities', () => {
    const { feed, ticks } = collectingFeed();
    feed.start();
    vi.advanceTimersByTime(5_000);
    feed.stop();
    const spreadBps = (symbol: string) => {
      const tick = ticks.find((candidate) => candidate.symbol === symbol);
      if (tick === undefined) throw new Error(`no tick for ${symbol}`);
      return ((tick.ask - tick.bid) / tick.price) * 10_000;
    };
    expect(spreadBps('BTC-USD')).toBeGreaterThan(spreadBps('MSFT'));
  });

  it('staggers symbols so they do not all publish in the same millisecond', () => {
    const publishedAt = new Map<string, number>();
    const { feed } = collectingFeed({
      publish: (tick) => {
        publishedAt.set(tick.symbol, Date.now());
        return Promise.resolve();
      },
    });
    feed.start();
    vi.advanceTimersByTime(250);
    feed.stop();
    expect(publishedAt.size).toBe(SYMBOLS.length);
    expect(new Set(publishedAt.values()).size).toBe(SYMBOLS.length);
  });

  it('replays the same prices for the same seed', () => {
    const runs = [collectingFeed({ seed: 7 }), collectingFeed({ seed: 7 }), collectingFeed({ seed: 8 })];
    for (const { feed } of runs) feed.start();
    vi.advanceTimersByTime(2_000);
    for (const { feed } of runs) feed.stop();
    const prices = runs.map(({ ticks }) =>
      ticks.map((tick) => [tick.symbol, tick.price, tick.bid, tick.ask, tick.volume]),
    );
    expect(prices[0]).toEqual(prices[1]);
    expect(prices[0]).not.toEqual(prices[2]);
  });

  it('stops cleanly: no timers left, no ticks after stop, start and stop idempotent', () => {
    const { feed, ticks } = collectingFeed();
    feed.start();
    feed.start();
    vi.advanceTimersByTime(1_000);
    expect(ticks).toHaveLength(SYMBOLS.length * 4);
    feed.stop();
    feed.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(ticks).toHaveLength(SYMBOLS.length * 4);

    feed.start();
    vi.advanceTimersByTime(1_000);
    feed.stop();
    expect(ticks).toHaveLength(SYMBOLS.length * 8);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports publish failures to onError and keeps going', async () => {
    let attempts = 0;
    const { feed, errors } = collectingFeed({
      publish: () => {
        attempts++;
        if (attempts === 1) throw new Error('thrown synchronously');
        return Promise.reject(new Error('rejected'));
      },
    });
    feed.start();
    await vi.advanceTimersByTimeAsync(1_000);
    feed.stop();
    expect(attempts).toBe(SYMBOLS.length * 4);
    expect(errors).toHaveLength(attempts);
    expect(errors[0]).toEqual(new Error('thrown synchronously'));
    expect(errors[1]).toEqual(new Error('rejected'));
  });

  it('rejects a non-positive tick rate', () => {
    const options = { symbols: ['AAPL'], publish: async () => {}, onError: () => {} };
    expect(() => new PriceFeed({ ...options, ticksPerSecond: 0 })).toThrow(RangeError);
    expect(() => new PriceFeed({ ...options, ticksPerSecond: Number.NaN })).toThrow(RangeError);
  });
});

describe('PriceFeed on real timers', () => {
  it('ticks during a short run and no longer after stop', async () => {
    const ticks: PriceEvent[] = [];
    const feed = new PriceFeed({
      symbols: ['AAPL'],
      ticksPerSecond: 50,
      publish: async (tick) => {
        ticks.push(tick);
      },
      onError: (error) => {
        throw error;
      },
    });
    feed.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    feed.stop();
    const count = ticks.length;
    expect(count).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ticks).toHaveLength(count);
  });

  it('lets the process exit once stopped', async () => {
    // A separate process is the only faithful witness: it exits only if no timer is left behind.
    const priceFeedUrl = new URL('../../src/domain/price-feed.ts', import.meta.url).href;
    const script = `
      import { PriceFeed } from ${JSON.stringify(priceFeedUrl)};
      let ticks = 0;
      const feed = new PriceFeed({
        symbols: ['AAPL', 'BTC-USD'],
        ticksPerSecond: 50,
        publish: async () => { ticks++; },
        onError: (error) => { throw error; },
      });
      feed.start();
      setTimeout(() => { feed.stop(); console.log(ticks); }, 100);
    `;
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 10_000 },
    );
    expect(Number(stdout)).toBeGreaterThan(0);
  });
});
