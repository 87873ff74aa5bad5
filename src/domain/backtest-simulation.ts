/**
 * Runs one strategy over a close series, a chunk of bars at a time, so the caller (the backtest
 * worker) can report progress and pace the run between chunks.
 *
 * Trading model, long/flat: a BUY while flat buys at that bar's close, a SELL while long sells at
 * that bar's close; signals that would not change the position are ignored (no shorting, no
 * pyramiding). While long, equity compounds each bar's close-to-close return. Every buy and every
 * sell pays `feeRate` of equity. A position still open after the last bar is closed at its close.
 */

import type { BacktestResult } from './events.js';
import type { StrategyDefinition, StrategyEvaluator } from './strategies.js';

export interface SimulationProgress {
  processedBars: number;
  totalBars: number;
  equity: number;
}

export interface BacktestSimulationOptions {
  /** Fee of each buy and each sell, as a fraction of equity. @default 0.0005 (5 bps) */
  feeRate?: number;
}

/** Bars are hourly, so a year has 24 × 365 of them; used to annualise the Sharpe ratio. */
const BARS_PER_YEAR = 24 * 365;

/** Upper bound on `equityCurve()` points: enough for a chart, small enough for one message. */
const MAX_EQUITY_CURVE_POINTS = 200;

export class BacktestSimulation {
  private readonly evaluator: StrategyEvaluator;
  private readonly feeRate: number;
  private readonly curveInterval: number;
  private readonly curve: number[] = [1];
  private processedBars = 0;
  private equity = 1;
  private peakEquity = 1;
  private maxDrawdown = 0;
  /** Equity just before the open position's buy fee; null while flat. */
  private entryEquity: number | null = null;
  private trades = 0;
  private winningTrades = 0;
  // Welford's running mean and squared deviations of per-bar returns: stable over a million bars.
  private returnMean = 0;
  private returnSquaredDeviations = 0;

  constructor(
    strategy: StrategyDefinition,
    private readonly closes: Float64Array,
    options: BacktestSimulationOptions = {},
  ) {
    const { feeRate = 0.0005 } = options;
    if (!(feeRate >= 0 && feeRate < 1)) throw new RangeError(`feeRate must be in [0, 1), got ${feeRate}`);
    this.feeRate = feeRate;
    this.evaluator = strategy.create();
    // One point per `curveInterval` bars plus the start and (when it falls between) the end.
    this.curveInterval = Math.max(1, Math.ceil(closes.length / (MAX_EQUITY_CURVE_POINTS - 1)));
  }

  get done(): boolean {
    return this.processedBars === this.closes.length;
  }

  /** Processes up to `maxBars` more bars; returns progress so far. */
  step(maxBars: number): SimulationProgress {
    const end = Math.min(this.closes.length, this.processedBars + Math.max(0, Math.floor(maxBars)));
    while (this.processedBars < end) this.processBar(this.processedBars);
    return { processedBars: this.processedBars, totalBars: this.closes.length, equity: this.equity };
  }

  /** Only valid when done. */
  result(): BacktestResult {
    if (!this.done) throw new Error('The backtest simulation has not processed every bar yet');
    const returnCount = this.processedBars;
    const variance = returnCount > 1 ? this.returnSquaredDeviations / (returnCount - 1) : 0;
    const deviation = Math.sqrt(variance);
    return {
      totalReturn: this.equity - 1,
      maxDrawdown: this.maxDrawdown,
      trades: this.trades,
      winRate: this.trades > 0 ? this.winningTrades / this.trades : 0,
      sharpe: deviation > 0 ? (this.returnMean / deviation) * Math.sqrt(BARS_PER_YEAR) : null,
    };
  }

  /** Equity sampled at most ~200 points for charts, from the initial 1.0 to the latest bar. */
  equityCurve(): number[] {
    return [...this.curve];
  }

  private processBar(index: number): void {
    const close = this.closes[index] ?? Number.NaN;
    const equityBefore = this.equity;
    if (this.entryEquity !== null && index > 0) {
      const previousClose = this.closes[index - 1] ?? close;
      this.equity *= close / previousClose;
    }

    const signal = this.evaluator.update(close);
    if (signal?.side === 'BUY' && this.entryEquity === null) {
      this.entryEquity = this.equity;
      this.equity *= 1 - this.feeRate;
    } else if (signal?.side === 'SELL' && this.entryEquity !== null) {
      this.closePosition();
    }
    const isLastBar = index === this.closes.length - 1;
    if (isLastBar && this.entryEquity !== null) this.closePosition();

    this.processedBars = index + 1;
    this.recordReturn(this.equity / equityBefore - 1);
    this.peakEquity = Math.max(this.peakEquity, this.equity);
    this.maxDrawdown = Math.max(this.maxDrawdown, (this.peakEquity - this.equity) / this.peakEquity);
    if (this.processedBars % this.curveInterval === 0 || isLastBar) this.curve.push(this.equity);
  }

  private closePosition(): void {
    this.equity *= 1 - this.feeRate;
    this.trades++;
    // A round trip wins when it ends above the equity it started from, both fees included.
    if (this.entryEquity !== null && this.equity > this.entryEquity) this.winningTrades++;
    this.entryEquity = null;
  }

  /** Folds one more per-bar return (the `processedBars`-th) into the running mean and variance. */
  private recordReturn(barReturn: number): void {
    const delta = barReturn - this.returnMean;
    this.returnMean += delta / this.processedBars;
    this.returnSquaredDeviations += delta * (barReturn - this.returnMean);
  }
}
