import type { EventBus, StreamPosition } from '../bus/event-bus.js';
import type { AnalyticsConfig } from '../config.js';
import { CandleBook } from './candle-book.js';
import { KeyFollower } from './key-follower.js';
import { StatsBook } from './stats-book.js';

export interface AnalyticsServiceOptions extends AnalyticsConfig {
  bus: EventBus;
  /** `HISTORY_MAX_LEN`: each key's state starts from its newest this many events. */
  historyMaxLen: number;
  /** `REDIS_RETRY_MAX_DELAY_MS`: pause before a failed key is followed again. */
  retryMaxDelayMs: number;
  /** Strategies to follow from the start (the known ones), besides those with signals. */
  strategyIds: readonly string[];
  /** A key's stream failed (it is followed again), or the keys could not be listed. */
  onError: (error: unknown) => void;
}

/**
 * Streaming analytics of one instance: candles per symbol and interval, figures per strategy, each a
 * deterministic function of the ordered events of the bus, so every instance (and a restarted one,
 * from the retained streams) derives the same. It reads the bus and writes nothing to it. It follows
 * every price and signal key: those with events when it starts, new ones as `bus.keys` shows them
 * (every `keysRefreshMs`), and a symbol at once when a query or subscription names it.
 */
export class AnalyticsService {
  readonly candles: CandleBook;
  readonly stats: StatsBook;
  private readonly prices: KeyFollower<'price'>;
  private readonly signals: KeyFollower<'signal'>;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: AnalyticsServiceOptions) {
    const { bus, historyMaxLen, retryMaxDelayMs } = options;
    this.candles = new CandleBook(options.candleHistoryBars, (symbol) => this.stats.priceMoved(symbol));
    this.stats = new StatsBook({ historyMaxLen, throttleMs: options.statsThrottleMs, latestPrice: (symbol) => this.candles.latestPrice(symbol) });
    this.prices = new KeyFollower({
      bus,
      topic: 'price',
      historyMaxLen,
      retryMs: retryMaxDelayMs,
      onStart: (symbol, history) => this.candles.start(symbol, history),
      onEvent: (envelope) => this.candles.add(envelope),
      onStop: (symbol, error) => {
        this.candles.stop(symbol);
        options.onError(error);
      },
    });
    this.signals = new KeyFollower({
      bus,
      topic: 'signal',
      historyMaxLen,
      retryMs: retryMaxDelayMs,
      onStart: (strategyId, history) => this.stats.start(strategyId, history),
      onEvent: (envelope) => {
        this.stats.add(envelope);
        // A position is marked to its symbol's latest price: follow a symbol as soon as a signal names it.
        const { symbol } = envelope.payload;
        if (!this.prices.isFollowing(symbol)) this.ensureSymbol(symbol).catch(options.onError);
      },
      onStop: (strategyId, error) => {
        this.stats.stop(strategyId);
        options.onError(error);
      },
    });
  }

  /** Starts following; the first keys are read in the background (queries wait for what they name). */
  start(): void {
    void this.signals.follow(this.options.strategyIds);
    this.refresh();
    this.timer = setInterval(() => this.refresh(), this.options.keysRefreshMs);
    this.timer.unref();
  }

  /**
   * Makes sure `symbol` is followed if it has ticks, and resolves with the price topic's position
   * when it has none (read atomically with that answer: its first tick comes after it), else null.
   */
  async ensureSymbol(symbol: string): Promise<StreamPosition | null> {
    if (!this.prices.isFollowing(symbol)) {
      const { position, latest } = await this.options.bus.snapshot('price', [symbol], 1);
      if ((latest[0]?.length ?? 0) === 0) return position;
      await this.prices.follow([symbol]);
    }
    await this.prices.ready(symbol);
    return null;
  }

  /** Resolves once the strategies' windows are in, and the prices of the symbols they hold. */
  async ensureStrategies(strategyIds: readonly string[]): Promise<void> {
    await this.signals.follow(strategyIds);
    const held = strategyIds.flatMap((id) => this.stats.state(id)?.figures.positions.map((position) => position.symbol) ?? []);
    await Promise.all([...new Set(held)].map((symbol) => this.ensureSymbol(symbol)));
  }

  /** `CANDLE_HISTORY_BARS`. */
  get candleHistoryBars(): number {
    return this.options.candleHistoryBars;
  }

  /** When a key being followed again may be ready: the bus' retry delay. */
  get retryAfterMs(): number {
    return this.options.retryMaxDelayMs;
  }

  /** Followed keys, bytes of the bar rings, late ticks: for metrics and the memory figures. */
  figures() {
    return {
      symbols: this.candles.symbolCount,
      strategies: this.stats.strategyCount,
      ringBytes: this.candles.ringBytes(),
      lateTicks: { ...this.candles.lateTicks },
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.prices.stop();
    this.signals.stop();
    this.stats.close();
  }

  private refresh(): void {
    const { bus, onError } = this.options;
    Promise.all([
      bus.keys('price').then((symbols) => this.prices.follow(symbols)),
      bus.keys('signal').then((strategyIds) => this.signals.follow(strategyIds)),
    ]).catch(onError);
  }
}
