import { describe, expect, it } from 'vitest';

import type { PriceEvent, SignalEvent } from '../../src/domain/events.js';
import { SignalEngine } from '../../src/domain/signal-engine.js';
import { findStrategy, STRATEGIES } from '../../src/domain/strategies.js';

type PublishedSignal = Omit<SignalEvent, 'id' | 'timestamp'>;

function tick(symbol: string, price: number): PriceEvent {
  return { symbol, price, bid: price - 0.01, ask: price + 0.01, volume: 1, timestamp: new Date().toISOString() };
}

/** Falls 1 a bar for 60 bars, then rises 1 a bar for 60: one crossover BUY, one RSI BUY. */
const fallThenRise = [
  ...Array.from({ length: 60 }, (_, index) => 199 - index),
  ...Array.from({ length: 60 }, (_, index) => 141 + index),
];

function collectingEngine() {
  const published: PublishedSignal[] = [];
  const errors: unknown[] = [];
  const engine = new SignalEngine({
    strategies: STRATEGIES,
    publish: async (signal) => {
      published.push(signal);
    },
    onError: (error) => errors.push(error),
  });
  return { engine, published, errors };
}

describe('SignalEngine', () => {
  it('publishes what each strategy signals, at the tick price', () => {
    const { engine, published, errors } = collectingEngine();
    for (const price of fallThenRise) engine.onPrice(tick('TEST', price));

    expect(errors).toEqual([]);
    expect(published.map(({ strategyId, side }) => [strategyId, side]).sort()).toEqual([
      ['ma-crossover', 'BUY'],
      ['rsi-reversion', 'BUY'],
    ]);
    for (const signal of published) {
      expect(signal.symbol).toBe('TEST');
      expect(fallThenRise).toContain(signal.price);
      expect(signal.confidence).toBeGreaterThanOrEqual(0);
      expect(signal.confidence).toBeLessThanOrEqual(1);
      expect(signal.reason).not.toBe('');
    }
  });

  it('matches running the evaluator directly', () => {
    const { engine, published } = collectingEngine();
    const evaluator = findStrategy('ma-crossover')?.create();
    const expected: PublishedSignal[] = [];
    for (const price of fallThenRise) {
      engine.onPrice(tick('TEST', price));
      const signal = evaluator?.update(price);
      if (signal) expected.push({ strategyId: 'ma-crossover', symbol: 'TEST', price, ...signal });
    }
    expect(published.filter((signal) => signal.strategyId === 'ma-crossover')).toEqual(expected);
  });

  it('keeps one evaluator per symbol, so interleaved symbols do not disturb each other', () => {
    const interleaved = collectingEngine();
    const alone = collectingEngine();
    for (const price of fallThenRise) {
      interleaved.engine.onPrice(tick('UP-DOWN', price));
      interleaved.engine.onPrice(tick('FLAT', 100));
      alone.engine.onPrice(tick('UP-DOWN', price));
    }
    expect(interleaved.published).toEqual(alone.published);
  });

  it('skips ticks with a price no strategy can use', () => {
    const { engine, published } = collectingEngine();
    for (const price of fallThenRise) {
      engine.onPrice(tick('TEST', Number.NaN));
      engine.onPrice(tick('TEST', -1));
      engine.onPrice(tick('TEST', price));
    }
    expect(published).toHaveLength(2);
  });

  it('reports publish failures to onError and keeps evaluating', async () => {
    const errors: unknown[] = [];
    let attempts = 0;
    const engine = new SignalEngine({
      strategies: STRATEGIES,
      publish: () => {
        attempts++;
        return Promise.reject(new Error('bus down'));
      },
      onError: (error) => errors.push(error),
    });
    for (const price of fallThenRise) engine.onPrice(tick('TEST', price));
    await Promise.resolve();
    expect(attempts).toBe(2);
    expect(errors).toEqual([new Error('bus down'), new Error('bus down')]);
  });
});
