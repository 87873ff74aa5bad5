/**
 * Trading strategies as incremental evaluators: fed one price at a time, they keep O(1) state, so
 * the same code serves live ticks (the signal engine) and a million-bar backtest. An evaluator
 * speaks only when its view changes (a cross), never on every update.
 */

import type { Side } from './events.js';

export interface StrategySignal {
  side: Side;
  /** 0..1 */
  confidence: number;
  reason: string;
}

export interface StrategyEvaluator {
  /** Feeds the next price; returns a signal only on the update where the strategy changes its mind. */
  update(price: number): StrategySignal | null;
}

export interface StrategyDefinition {
  id: string;
  name: string;
  description: string;
  /** A fresh evaluator with no history; one per (strategy, price series). */
  create(): StrategyEvaluator;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/** Enough significant digits to tell two nearby levels apart in a reason, without float noise. */
function formatLevel(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** A fixed-size window over the latest prices with running sums, so mean and variance are O(1). */
class RollingWindow {
  private readonly values: Float64Array;
  private nextIndex = 0;
  private count = 0;
  private sum = 0;
  private sumOfSquares = 0;

  constructor(readonly size: number) {
    this.values = new Float64Array(size);
  }

  push(value: number): void {
    const evicted = this.count === this.size ? (this.values[this.nextIndex] ?? 0) : 0;
    this.values[this.nextIndex] = value;
    this.sum += value - evicted;
    this.sumOfSquares += value * value - evicted * evicted;
    this.count = Math.min(this.count + 1, this.size);
    this.nextIndex = (this.nextIndex + 1) % this.size;
    // Adding and subtracting for a million bars lets rounding error creep in; re-summing once
    // per lap keeps the sums true to the window at an amortised O(1) cost.
    if (this.nextIndex === 0) this.resum();
  }

  get full(): boolean {
    return this.count === this.size;
  }

  get mean(): number {
    return this.sum / this.count;
  }

  get standardDeviation(): number {
    const mean = this.mean;
    return Math.sqrt(Math.max(0, this.sumOfSquares / this.count - mean * mean));
  }

  private resum(): void {
    let sum = 0;
    let sumOfSquares = 0;
    for (const value of this.values) {
      sum += value;
      sumOfSquares += value * value;
    }
    this.sum = sum;
    this.sumOfSquares = sumOfSquares;
  }
}

/** Relative difference below which two averages count as equal, so float noise on a flat series is no cross. */
const EQUALITY_TOLERANCE = 1e-12;

/**
 * Gap between the averages, in standard deviations of the slow window, at which a cross is fully
 * confident. At the bar of a cross the gap is usually a small fraction of the dispersion; a quarter
 * of it means price broke through decisively (about the top tenth of crosses on simulated bars).
 */
const DECISIVE_CROSS_GAP = 0.25;

function createMovingAverageCrossover(fastPeriod: number, slowPeriod: number): StrategyEvaluator {
  const fast = new RollingWindow(fastPeriod);
  const slow = new RollingWindow(slowPeriod);
  // The last strict ordering of fast vs slow (+1 above, -1 below); touching without crossing keeps it.
  let lastOrdering = 0;

  return {
    update(price) {
      fast.push(price);
      slow.push(price);
      if (!slow.full) return null;

      const fastAverage = fast.mean;
      const slowAverage = slow.mean;
      const gap = fastAverage - slowAverage;
      if (Math.abs(gap) <= Math.abs(slowAverage) * EQUALITY_TOLERANCE) return null;

      const ordering = Math.sign(gap);
      const previousOrdering = lastOrdering;
      lastOrdering = ordering;
      // The first ordering after warm-up only establishes the regime; it is not a cross.
      if (previousOrdering === 0 || previousOrdering === ordering) return null;

      // The gap is measured in units of the slow window's price dispersion: a fixed percentage
      // would make every crypto cross look certain and every equity cross look timid.
      const dispersion = slow.standardDeviation;
      const confidence = dispersion > 0 ? clamp01(Math.abs(gap) / (DECISIVE_CROSS_GAP * dispersion)) : 0;
      const side: Side = ordering > 0 ? 'BUY' : 'SELL';
      const direction = ordering > 0 ? 'above' : 'below';
      const comparison = ordering > 0 ? '>' : '<';
      return {
        side,
        confidence,
        reason:
          `SMA${fastPeriod} crossed ${direction} SMA${slowPeriod} ` +
          `(${formatLevel(fastAverage)} ${comparison} ${formatLevel(slowAverage)})`,
      };
    },
  };
}

/** How far beyond its threshold RSI must reach for a reversal signal to be fully confident. */
const RSI_EXTREME_SPAN = 20;

function createRsiReversion(period: number, oversold: number, overbought: number): StrategyEvaluator {
  let previousPrice: number | null = null;
  let changesSeen = 0;
  let averageGain = 0;
  let averageLoss = 0;
  let previousRsi: number | null = null;
  // The most extreme RSI of the current dip below `oversold` / run above `overbought`.
  let trough: number | null = null;
  let peak: number | null = null;

  function relativeStrengthIndex(): number {
    if (averageLoss === 0) return averageGain === 0 ? 50 : 100;
    return 100 - 100 / (1 + averageGain / averageLoss);
  }

  return {
    update(price) {
      if (previousPrice === null) {
        previousPrice = price;
        return null;
      }
      const change = price - previousPrice;
      previousPrice = price;
      const gain = Math.max(change, 0);
      const loss = Math.max(-change, 0);
      changesSeen++;
      if (changesSeen <= period) {
        // Wilder seeds the averages with a simple mean of the first `period` changes.
        averageGain += gain / period;
        averageLoss += loss / period;
        if (changesSeen < period) return null;
      } else {
        averageGain = (averageGain * (period - 1) + gain) / period;
        averageLoss = (averageLoss * (period - 1) + loss) / period;
      }

      const rsi = relativeStrengthIndex();
      const lastRsi = previousRsi;
      previousRsi = rsi;
      if (rsi < oversold) trough = Math.min(trough ?? rsi, rsi);
      if (rsi > overbought) peak = Math.max(peak ?? rsi, rsi);
      if (lastRsi === null) return null;

      if (lastRsi < oversold && rsi >= oversold) {
        const bottom = trough ?? lastRsi;
        trough = null;
        return {
          side: 'BUY',
          confidence: clamp01((oversold - bottom) / RSI_EXTREME_SPAN),
          reason:
            `RSI${period} rose back through ${oversold} (${rsi.toFixed(1)}) ` +
            `after bottoming at ${bottom.toFixed(1)}`,
        };
      }
      if (lastRsi > overbought && rsi <= overbought) {
        const top = peak ?? lastRsi;
        peak = null;
        return {
          side: 'SELL',
          confidence: clamp01((top - overbought) / RSI_EXTREME_SPAN),
          reason:
            `RSI${period} fell back through ${overbought} (${rsi.toFixed(1)}) ` +
            `after peaking at ${top.toFixed(1)}`,
        };
      }
      return null;
    },
  };
}

export const STRATEGIES: readonly StrategyDefinition[] = [
  {
    id: 'ma-crossover',
    name: 'SMA 10/30 crossover',
    description:
      'Follows the trend: buys when the 10-period simple moving average crosses above the 30-period one ' +
      'and sells when it crosses back below.',
    create: () => createMovingAverageCrossover(10, 30),
  },
  {
    id: 'rsi-reversion',
    name: 'RSI(14) mean reversion',
    description:
      "Bets on reversals: buys when Wilder's 14-period RSI climbs back above 30 after an oversold dip " +
      'and sells when it falls back below 70 after an overbought run.',
    create: () => createRsiReversion(14, 30, 70),
  },
];

export function findStrategy(id: string): StrategyDefinition | undefined {
  return STRATEGIES.find((strategy) => strategy.id === id);
}
