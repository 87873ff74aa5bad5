import { CursorExpiredError } from '../bus/errors.js';
import type { Envelope, StreamPosition } from '../bus/event-bus.js';
import { CANDLE_INTERVAL_NAMES, CANDLE_INTERVALS, CandleSeries, type CandleBar, type CandleInterval, type CandleTick } from './candle-series.js';
import type { KeyHistory } from './key-follower.js';

/** A subscriber of one symbol's bars at one interval. */
export interface CandleWatcher {
  interval: CandleInterval;
  /** Offset of the newest tick the subscriber has the effect of: states from a tick at or before it are not sent. */
  after: number;
  deliver(bar: CandleBar): void;
  fail(error: unknown): void;
}

/** What a subscription starts with: the bars it is owed, and the watcher it is from then on. */
export interface CandleStart {
  bars: CandleBar[];
  stop(): void;
}

interface SymbolState {
  series: Record<CandleInterval, CandleSeries>;
  epoch: string;
  /** Offset of the newest tick applied (0 before any). */
  seenThrough: number;
  /** The topic position the state was read at: its cursor when it has no later tick. */
  readAt: number;
  latestPrice: number | undefined;
}

/**
 * Every followed symbol's bars at every interval, fed with its ticks in publish order, and who
 * watches them. Ticks arrive from the price follower; queries and subscriptions read here.
 */
export class CandleBook {
  private readonly symbols = new Map<string, SymbolState>();
  private readonly watchers = new Map<string, Set<CandleWatcher>>();
  /** Ticks older than the open bar, per interval (they change no bar). */
  readonly lateTicks: Record<CandleInterval, number> = { ONE_SECOND: 0, ONE_MINUTE: 0, FIVE_MINUTES: 0, ONE_HOUR: 0 };

  constructor(
    /** `CANDLE_HISTORY_BARS`: closed bars kept per symbol and interval. */
    private readonly historyBars: number,
    /** Called with every applied tick: the latest price of its symbol moved. */
    private readonly onPrice: (symbol: string) => void,
  ) {}

  start(symbol: string, history: KeyHistory): void {
    const series = Object.fromEntries(
      CANDLE_INTERVAL_NAMES.map((interval) => [interval, new CandleSeries(CANDLE_INTERVALS[interval], this.historyBars, history)]),
    ) as Record<CandleInterval, CandleSeries>;
    this.symbols.set(symbol, { series, epoch: history.position.epoch, seenThrough: 0, readAt: history.position.offset, latestPrice: undefined });
  }

  /** The symbol's state is void (its stream failed): its subscribers end, they resume from a fresh `candleHistory`. */
  stop(symbol: string): void {
    if (!this.symbols.delete(symbol)) return;
    const error = new CursorExpiredError(`The bars of ${symbol} are being rebuilt`);
    for (const watcher of this.watchers.get(symbol) ?? []) watcher.fail(error);
  }

  add(envelope: Envelope<'price'>): void {
    const state = this.symbols.get(envelope.key);
    // Drop what is not newer: a state never applies a tick twice.
    if (!state || envelope.position.offset <= state.seenThrough) return;
    state.seenThrough = envelope.position.offset;
    const { payload } = envelope;
    state.latestPrice = payload.price;
    const tick: CandleTick = { price: payload.price, volume: payload.volume, time: Date.parse(payload.timestamp), position: envelope.position };
    const watchers = this.watchers.get(envelope.key);
    for (const interval of CANDLE_INTERVAL_NAMES) {
      const onBar = watchers && watchers.size > 0 ? (bar: CandleBar) => send(watchers, interval, bar) : undefined;
      if (state.series[interval].add(tick, onBar) === 'late') this.lateTicks[interval] += 1;
    }
    this.onPrice(envelope.key);
  }

  has(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  latestPrice(symbol: string): number | undefined {
    return this.symbols.get(symbol)?.latestPrice;
  }

  /** The newest `last` bars (the open one included), oldest first, and the position they reflect; null when the symbol is not followed. */
  history(symbol: string, interval: CandleInterval, last: number): { bars: CandleBar[]; position: StreamPosition } | null {
    const state = this.symbols.get(symbol);
    if (!state) return null;
    const series = state.series[interval];
    const open = series.openBar();
    const bars = series.closedBars(state.epoch, { last: open ? last - 1 : last });
    if (open) bars.push(open);
    return { bars, position: positionOf(state) };
  }

  /**
   * Starts a watcher after `after` (null: now): the bars closed by a tick after it, then the open bar,
   * then live. Without a state yet (the symbol has no ticks), the watcher waits and gets every bar of
   * ticks after `after` once there is one. Throws CURSOR_EXPIRED for a position of another history or
   * older than the closed bars kept.
   */
  watch(symbol: string, watcher: Omit<CandleWatcher, 'after'>, after: StreamPosition): CandleStart {
    const state = this.symbols.get(symbol);
    const entry: CandleWatcher = { ...watcher, after: after.offset };
    let bars: CandleBar[] = [];
    if (state) {
      const series = state.series[watcher.interval];
      if (after.epoch !== state.epoch) throw new CursorExpiredError('The event history was reset');
      if (!series.covers(after.offset)) throw new CursorExpiredError('Bars closed after this cursor are no longer kept');
      bars = series.closedBars(state.epoch, { afterOffset: after.offset });
      const open = series.openBar();
      if (open) bars.push(open);
      entry.after = Math.max(after.offset, state.seenThrough);
    }
    let watchers = this.watchers.get(symbol);
    if (!watchers) this.watchers.set(symbol, (watchers = new Set()));
    watchers.add(entry);
    return {
      bars,
      stop: () => {
        watchers.delete(entry);
        if (watchers.size === 0 && this.watchers.get(symbol) === watchers) this.watchers.delete(symbol);
      },
    };
  }

  get symbolCount(): number {
    return this.symbols.size;
  }

  /** Bytes the closed-bar rings hold. */
  ringBytes(): number {
    let bytes = 0;
    for (const state of this.symbols.values()) for (const interval of CANDLE_INTERVAL_NAMES) bytes += state.series[interval].bytes;
    return bytes;
  }
}

function send(watchers: ReadonlySet<CandleWatcher>, interval: CandleInterval, bar: CandleBar): void {
  for (const watcher of watchers) {
    if (watcher.interval === interval && bar.position.offset > watcher.after) watcher.deliver(bar);
  }
}

function positionOf(state: SymbolState): StreamPosition {
  return { epoch: state.epoch, offset: Math.max(state.seenThrough, state.readAt) };
}
