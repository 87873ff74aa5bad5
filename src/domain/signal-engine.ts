/**
 * Runs every strategy on every live price series: one evaluator per (strategy, symbol), created
 * on the symbol's first tick, and publishes whatever they signal.
 */

import type { PriceEvent, SignalEvent } from './events.js';
import type { StrategyDefinition, StrategyEvaluator } from './strategies.js';

export interface SignalEngineOptions {
  /** Strategies to run on every symbol that ticks. */
  strategies: readonly StrategyDefinition[];
  /** Receives each signal (`id` and `timestamp` are assigned downstream); a rejection goes to `onError`. */
  publish: (signal: Omit<SignalEvent, 'id' | 'timestamp'>) => Promise<unknown>;
  /** Called with every error from `publish`. */
  onError: (error: unknown) => void;
}

interface RunningStrategy {
  strategy: StrategyDefinition;
  evaluator: StrategyEvaluator;
}

export class SignalEngine {
  private readonly strategies: readonly StrategyDefinition[];
  private readonly publish: SignalEngineOptions['publish'];
  private readonly onError: (error: unknown) => void;
  private readonly runningBySymbol = new Map<string, RunningStrategy[]>();

  constructor(options: SignalEngineOptions) {
    const { strategies, publish, onError } = options;
    this.strategies = strategies;
    this.publish = publish;
    this.onError = onError;
  }

  onPrice(tick: PriceEvent): void {
    // Evaluators keep running sums: one NaN or non-positive price (e.g. from an external
    // publisher) would poison them for good, so such ticks are not fed at all.
    if (!Number.isFinite(tick.price) || tick.price <= 0) return;

    for (const { strategy, evaluator } of this.runningFor(tick.symbol)) {
      const signal = evaluator.update(tick.price);
      if (signal === null) continue;
      const event = {
        strategyId: strategy.id,
        symbol: tick.symbol,
        side: signal.side,
        price: tick.price,
        confidence: signal.confidence,
        reason: signal.reason,
      };
      try {
        this.publish(event).catch(this.onError);
      } catch (error) {
        // A publish that throws before returning its promise is reported the same way.
        this.onError(error);
      }
    }
  }

  private runningFor(symbol: string): RunningStrategy[] {
    let running = this.runningBySymbol.get(symbol);
    if (running === undefined) {
      running = this.strategies.map((strategy) => ({ strategy, evaluator: strategy.create() }));
      this.runningBySymbol.set(symbol, running);
    }
    return running;
  }
}
