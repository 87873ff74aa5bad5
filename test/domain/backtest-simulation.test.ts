import { describe, expect, it } from 'vitest';

import { BacktestSimulation } from '../../src/domain/backtest-simulation.js';
import { generateCloses } from '../../src/domain/bar-series.js';
import type { Side } from '../../src/domain/events.js';
import { findStrategy, type StrategyDefinition } from '../../src/domain/strategies.js';

/** A strategy that emits the given sides at the given bar indexes, whatever the prices. */
function scripted(signals: ReadonlyMap<number, Side>): StrategyDefinition {
  return {
    id: 'scripted',
    name: 'Scripted',
    description: 'Emits signals at fixed bars.',
    create() {
      let index = 0;
      return {
        update() {
          const side = signals.get(index++);
          return side === undefined ? null : { side, confidence: 1, reason: 'scripted' };
        },
      };
    },
  };
}

function runToEnd(simulation: BacktestSimulation): BacktestSimulation {
  while (!simulation.done) simulation.step(1_000);
  return simulation;
}

const buyAtFirstBar = scripted(new Map([[0, 'BUY']]));
// Rises 1 % every bar.
const steadyRise = Float64Array.from({ length: 100 }, (_, index) => 100 * 1.01 ** index);

describe('BacktestSimulation', () => {
  it('earns the whole rise with no drawdown when bought at the start of a monotonic rise', () => {
    const result = runToEnd(new BacktestSimulation(buyAtFirstBar, steadyRise, { feeRate: 0 })).result();
    expect(result.totalReturn).toBeCloseTo(1.01 ** 99 - 1, 10);
    expect(result.maxDrawdown).toBe(0);
    // The position still open at the end is closed, so it counts as a (winning) trade.
    expect(result.trades).toBe(1);
    expect(result.winRate).toBe(1);
    expect(result.sharpe).toBeGreaterThan(0);
  });

  it('charges the fee on the buy and on the sell', () => {
    const fee = 0.0005;
    const result = runToEnd(new BacktestSimulation(buyAtFirstBar, steadyRise)).result();
    expect(result.totalReturn).toBeCloseTo((1 - fee) ** 2 * 1.01 ** 99 - 1, 10);
    // Equity dips by the buy fee before the rise and by the sell fee at the very end.
    expect(result.maxDrawdown).toBeCloseTo(fee, 12);
  });

  it('computes return, drawdown, win rate and Sharpe of a hand-checked run', () => {
    const closes = Float64Array.from([100, 110, 99, 99, 121, 110]);
    const strategy = scripted(new Map<number, Side>([[0, 'BUY'], [2, 'SELL'], [3, 'BUY']]));
    const simulation = runToEnd(new BacktestSimulation(strategy, closes, { feeRate: 0 }));
    // Equity: 1, 1.1, 0.99 (sold: -1 %), 0.99 (bought), 1.21, 1.10 (closed at the end: +11.1 %).
    const equity = [1, 1.1, 0.99, 0.99, 1.21, 1.1];
    const result = simulation.result();
    expect(result.totalReturn).toBeCloseTo(0.1, 12);
    expect(result.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(result.trades).toBe(2);
    expect(result.winRate).toBe(0.5);

    const barReturns = equity.map((value, index) => value / (equity[index - 1] ?? 1) - 1);
    const mean = barReturns.reduce((sum, value) => sum + value, 0) / barReturns.length;
    const variance = barReturns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (barReturns.length - 1);
    expect(result.sharpe).toBeCloseTo((mean / Math.sqrt(variance)) * Math.sqrt(24 * 365), 8);
    expect(simulation.equityCurve().map((value) => Number(value.toFixed(12)))).toEqual([1, ...equity]);
  });

  it('reports a flat run: no trades, no return, no Sharpe', () => {
    const result = runToEnd(new BacktestSimulation(scripted(new Map()), steadyRise)).result();
    expect(result).toEqual({ totalReturn: 0, maxDrawdown: 0, trades: 0, winRate: 0, sharpe: null });
  });

  it('ignores signals that would not change the position', () => {
    const strategy = scripted(new Map<number, Side>([[0, 'SELL'], [1, 'BUY'], [2, 'BUY'], [3, 'SELL'], [4, 'SELL']]));
    const result = runToEnd(new BacktestSimulation(strategy, steadyRise, { feeRate: 0 })).result();
    expect(result.trades).toBe(1);
    expect(result.totalReturn).toBeCloseTo(1.01 ** 2 - 1, 12);
  });

  it('steps in chunks, reports progress, and refuses a result before the end', () => {
    const simulation = new BacktestSimulation(buyAtFirstBar, steadyRise, { feeRate: 0 });
    expect(simulation.step(0)).toEqual({ processedBars: 0, totalBars: 100, equity: 1 });
    const progress = simulation.step(11);
    expect(progress.processedBars).toBe(11);
    expect(progress.equity).toBeCloseTo(1.01 ** 10, 12);
    expect(simulation.done).toBe(false);
    expect(() => simulation.result()).toThrow();
    expect(simulation.step(1_000).processedBars).toBe(100);
    expect(simulation.done).toBe(true);
  });

  it('gives the same result whatever the chunk size', () => {
    const strategy = findStrategy('ma-crossover');
    if (strategy === undefined) throw new Error('missing ma-crossover');
    const closes = generateCloses('BTC-USD', 20_000);
    const inOneGo = new BacktestSimulation(strategy, closes);
    inOneGo.step(closes.length);
    const inSmallChunks = new BacktestSimulation(strategy, closes);
    while (!inSmallChunks.done) inSmallChunks.step(7);
    expect(inSmallChunks.result()).toEqual(inOneGo.result());
    expect(inOneGo.result().trades).toBeGreaterThan(0);
  });

  it('samples at most 200 equity points, from 1 to the final equity', () => {
    const strategy = findStrategy('rsi-reversion');
    if (strategy === undefined) throw new Error('missing rsi-reversion');
    for (const bars of [1, 199, 200, 201, 12_345, 100_000]) {
      const simulation = runToEnd(new BacktestSimulation(strategy, generateCloses('AAPL', bars)));
      const curve = simulation.equityCurve();
      expect(curve.length).toBeLessThanOrEqual(200);
      expect(curve[0]).toBe(1);
      expect(curve.at(-1)).toBeCloseTo(simulation.result().totalReturn + 1, 12);
    }
  });

  it('completes an empty series at once', () => {
    const simulation = new BacktestSimulation(buyAtFirstBar, new Float64Array(0));
    expect(simulation.done).toBe(true);
    expect(simulation.result()).toEqual({ totalReturn: 0, maxDrawdown: 0, trades: 0, winRate: 0, sharpe: null });
  });
});
