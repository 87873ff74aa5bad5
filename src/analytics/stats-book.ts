import type { Envelope, StreamPosition } from '../bus/event-bus.js';
import type { KeyHistory } from './key-follower.js';
import { ledgerOf, markToPrices, type SignalLedger, type StatsSignal, type StrategyFigures } from './strategy-stats.js';

/** A strategy's figures as of a position of the signal topic (its newest signal, or when it was read). */
export interface StrategyState {
  strategyId: string;
  figures: StrategyFigures;
  position: StreamPosition;
}

export interface StatsWatcher {
  /** The strategies it follows. */
  strategyIds: ReadonlySet<string>;
  deliver(state: StrategyState): void;
}

interface Window {
  /** The newest `historyMaxLen` signals, oldest first. */
  signals: StatsSignal[];
  ledger: SignalLedger;
  epoch: string;
  seenThrough: number;
  readAt: number;
}

/**
 * Every followed strategy's window of signals (its newest `HISTORY_MAX_LEN`: what Redis keeps at least
 * and a rebuilt instance reads back, so every instance holds the same window) and its ledger, marked to
 * the latest prices on demand. A signal recomputes its strategy's ledger from the window (signals are
 * rare: about 0.1 ms for 1,000) and notifies at once; a price move of a held symbol notifies at most
 * once per `throttleMs`.
 */
export class StatsBook {
  private readonly windows = new Map<string, Window>();
  /** Symbol → strategies with an open position in it: who a price move concerns. */
  private readonly holders = new Map<string, Set<string>>();
  private readonly watchers = new Set<StatsWatcher>();
  private readonly moved = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      /** `HISTORY_MAX_LEN`: signals per strategy in the window. */
      historyMaxLen: number;
      /** `ANALYTICS_STATS_THROTTLE_MS`: least time between two updates of a strategy on price moves. */
      throttleMs: number;
      latestPrice: (symbol: string) => number | undefined;
    },
  ) {}

  start(strategyId: string, history: KeyHistory): void {
    this.setLedger(strategyId, null);
    const signals: StatsSignal[] = [];
    this.windows.set(strategyId, { signals, ledger: ledgerOf(signals), epoch: history.position.epoch, seenThrough: 0, readAt: history.position.offset });
    this.notify(strategyId);
  }

  stop(strategyId: string): void {
    this.setLedger(strategyId, null);
    this.windows.delete(strategyId);
  }

  add(envelope: Envelope<'signal'>): void {
    const window = this.windows.get(envelope.key);
    if (!window || envelope.position.offset <= window.seenThrough) return;
    window.seenThrough = envelope.position.offset;
    const { symbol, side, price, timestamp } = envelope.payload;
    window.signals.push({ symbol, side, price, timestamp });
    if (window.signals.length > this.options.historyMaxLen) window.signals.shift();
    const ledger = ledgerOf(window.signals);
    this.setLedger(envelope.key, ledger);
    window.ledger = ledger;
    this.notify(envelope.key);
  }

  /** The latest price of `symbol` moved: strategies holding it update within `throttleMs`. */
  priceMoved(symbol: string): void {
    const holders = this.holders.get(symbol);
    if (!holders || this.watchers.size === 0) return;
    for (const strategyId of holders) this.moved.add(strategyId);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const due = [...this.moved];
      this.moved.clear();
      for (const strategyId of due) this.notify(strategyId);
    }, this.options.throttleMs);
    this.timer.unref();
  }

  has(strategyId: string): boolean {
    return this.windows.has(strategyId);
  }

  state(strategyId: string): StrategyState | null {
    const window = this.windows.get(strategyId);
    if (!window) return null;
    return {
      strategyId,
      figures: markToPrices(window.ledger, this.options.latestPrice),
      position: { epoch: window.epoch, offset: Math.max(window.seenThrough, window.readAt) },
    };
  }

  watch(watcher: StatsWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  get strategyCount(): number {
    return this.windows.size;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private notify(strategyId: string): void {
    let state: StrategyState | null = null;
    for (const watcher of this.watchers) {
      if (!watcher.strategyIds.has(strategyId)) continue;
      state ??= this.state(strategyId);
      if (state) watcher.deliver(state);
    }
  }

  /** Keeps `holders` in step with the strategy's open positions. */
  private setLedger(strategyId: string, ledger: SignalLedger | null): void {
    const previous = this.windows.get(strategyId)?.ledger;
    for (const position of previous?.positions ?? []) this.holders.get(position.symbol)?.delete(strategyId);
    for (const position of ledger?.positions ?? []) {
      let holders = this.holders.get(position.symbol);
      if (!holders) this.holders.set(position.symbol, (holders = new Set()));
      holders.add(strategyId);
    }
  }
}
