import { describe, expect, it } from 'vitest';

import { findStrategy, STRATEGIES, type StrategyDefinition, type StrategySignal } from '../../src/domain/strategies.js';

interface EmittedSignal extends StrategySignal {
  index: number;
}

function run(strategyId: string, prices: readonly number[]): EmittedSignal[] {
  const evaluator = requireStrategy(strategyId).create();
  const emitted: EmittedSignal[] = [];
  prices.forEach((price, index) => {
    const signal = evaluator.update(price);
    if (signal !== null) emitted.push({ ...signal, index });
  });
  return emitted;
}

/** Mean of the `period` prices ending at `index`, the slow obvious way. */
function naiveAverage(prices: readonly number[], index: number, period: number): number {
  const window = prices.slice(index + 1 - period, index + 1);
  return window.reduce((sum, price) => sum + price, 0) / window.length;
}

function requireStrategy(id: string): StrategyDefinition {
  const strategy = findStrategy(id);
  if (strategy === undefined) throw new Error(`missing strategy ${id}`);
  return strategy;
}

/** `count` prices moving linearly from `from` by `step` per bar (the first one excluded). */
function line(from: number, step: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => from + step * (index + 1));
}

describe('strategy registry', () => {
  it('lists strategies with unique ids, names and sentence descriptions', () => {
    const ids = STRATEGIES.map((strategy) => strategy.id);
    expect(ids).toEqual(expect.arrayContaining(['ma-crossover', 'rsi-reversion']));
    expect(new Set(ids).size).toBe(ids.length);
    for (const strategy of STRATEGIES) {
      expect(strategy.name).not.toBe('');
      expect(strategy.description).toMatch(/^[A-Z].+\.$/);
    }
  });

  it('finds a strategy by id and nothing for an unknown id', () => {
    expect(findStrategy('ma-crossover')?.id).toBe('ma-crossover');
    expect(findStrategy('nope')).toBeUndefined();
  });

  it('creates independent evaluators', () => {
    const strategy = requireStrategy('ma-crossover');
    const warmedUp = strategy.create();
    for (const price of line(200, -1, 60)) warmedUp.update(price);
    const fresh = strategy.create();
    expect(fresh.update(100)).toBeNull();
  });
});

describe('ma-crossover', () => {
  const fallThenRise = [...line(200, -1, 60), ...line(140, 1, 60)];

  it('buys once when the fast average crosses above the slow one', () => {
    const signals = run('ma-crossover', fallThenRise);
    expect(signals).toHaveLength(1);
    const [buy] = signals;
    expect(buy?.side).toBe('BUY');
    const crossIndex = fallThenRise.findIndex(
      (_, index) => index >= 30 && naiveAverage(fallThenRise, index, 10) > naiveAverage(fallThenRise, index, 30),
    );
    expect(buy?.index).toBe(crossIndex);
    const fast = naiveAverage(fallThenRise, crossIndex, 10);
    const slow = naiveAverage(fallThenRise, crossIndex, 30);
    const level = (value: number) => Number(value.toPrecision(6));
    expect(buy?.reason).toBe(`SMA10 crossed above SMA30 (${level(fast)} > ${level(slow)})`);
    expect(buy?.confidence).toBeGreaterThan(0);
    expect(buy?.confidence).toBeLessThanOrEqual(1);
  });

  it('sells once when the fast average crosses back below', () => {
    const signals = run('ma-crossover', [...fallThenRise, ...line(200, -1, 60)]);
    expect(signals.map((signal) => signal.side)).toEqual(['BUY', 'SELL']);
    expect(signals[1]?.reason).toMatch(/^SMA10 crossed below SMA30/);
  });

  it('stays silent while the trend holds, on a flat series, and during warm-up', () => {
    expect(run('ma-crossover', line(100, 0.5, 200))).toEqual([]);
    expect(run('ma-crossover', Array.from({ length: 200 }, () => 101.1))).toEqual([]);
    // A V shorter than the slow window: the first ordering after warm-up is not a cross.
    expect(run('ma-crossover', [...line(100, -1, 15), ...line(85, 2, 20)])).toEqual([]);
  });
});

describe('rsi-reversion', () => {
  // A calm stretch, a crash that drives RSI to 0, then a recovery.
  const crashThenRecovery = [
    ...Array.from({ length: 20 }, (_, index) => 100 + (index % 2)),
    ...line(100, -2, 20),
    ...line(60, 1, 15),
  ];

  it('buys once when RSI climbs back through 30 after a crash', () => {
    const signals = run('rsi-reversion', crashThenRecovery);
    expect(signals).toHaveLength(1);
    const [buy] = signals;
    expect(buy?.side).toBe('BUY');
    expect(buy?.index).toBeGreaterThanOrEqual(40);
    const bottom = Number(/after bottoming at (\d+\.\d)$/.exec(buy?.reason ?? '')?.[1]);
    expect(buy?.reason).toMatch(/^RSI14 rose back through 30 \(\d+\.\d\)/);
    // Twenty straight losses take Wilder's RSI below 10, as extreme as confidence gets.
    expect(bottom).toBeLessThan(10);
    expect(buy?.confidence).toBe(1);
  });

  it('sells once when RSI falls back through 70 after a rally', () => {
    const rallyThenDrop = [...crashThenRecovery, ...line(75, 1, 20), ...line(95, -1.5, 10)];
    const signals = run('rsi-reversion', rallyThenDrop);
    expect(signals.map((signal) => signal.side)).toEqual(['BUY', 'SELL']);
    const sell = signals[1];
    expect(sell?.reason).toMatch(/^RSI14 fell back through 70 \(\d+\.\d\) after peaking at \d+\.\d$/);
    expect(sell?.confidence).toBeGreaterThan(0);
    expect(sell?.confidence).toBeLessThanOrEqual(1);
  });

  it('stays silent while RSI stays inside the band or on a flat series', () => {
    const zigzag = Array.from({ length: 200 }, (_, index) => 100 + (index % 2) * 0.5);
    expect(run('rsi-reversion', zigzag)).toEqual([]);
    expect(run('rsi-reversion', Array.from({ length: 200 }, () => 100))).toEqual([]);
  });

  it('stays silent while oversold and speaks once on the way out', () => {
    const endlessCrash = line(200, -1, 100);
    expect(run('rsi-reversion', endlessCrash)).toEqual([]);
    expect(run('rsi-reversion', [...endlessCrash, ...line(100, 1, 50)])).toHaveLength(1);
  });
});
