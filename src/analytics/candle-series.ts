import type { StreamPosition } from '../bus/event-bus.js';

/** The bar lengths of the API (`CandleInterval`), in milliseconds. */
export const CANDLE_INTERVALS = {
  ONE_SECOND: 1_000,
  ONE_MINUTE: 60_000,
  FIVE_MINUTES: 300_000,
  ONE_HOUR: 3_600_000,
} as const;

export type CandleInterval = keyof typeof CANDLE_INTERVALS;

export const CANDLE_INTERVAL_NAMES = Object.keys(CANDLE_INTERVALS) as CandleInterval[];

/** One bar as the API shows it; `position` is the tick that produced this state (closed: the tick that closed it). */
export interface CandleBar {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  ticks: number;
  closed: boolean;
  position: StreamPosition;
}

/** One tick as a series needs it: price, volume, its own time in ms, and its position in the price topic. */
export interface CandleTick {
  price: number;
  volume: number;
  time: number;
  position: StreamPosition;
}

/** What a tick did to a series. `late`: older than the open bar, changed nothing. */
export type TickOutcome = 'updated' | 'rolled' | 'late' | 'seen';

// A closed bar in the ring: 8 numbers, so 500 symbols × 4 intervals × 200 bars stay about 26 MB.
const FIELDS = 8;
const [OPEN_TIME, OPEN, HIGH, LOW, CLOSE, VOLUME, TICKS, CLOSED_AT] = [0, 1, 2, 3, 4, 5, 6, 7] as const;

/**
 * The bars of one symbol at one interval: a pure function of its ticks in publish order. A bar holds
 * the ticks whose own timestamp is in `[openTime, openTime + interval)` (UTC boundaries); it closes
 * when the first tick of a later bar arrives; a tick older than the open bar (late) changes nothing;
 * an interval without ticks has no bar. Closed bars are kept in a ring of `capacity`.
 *
 * A series built from a history that may have lost its oldest ticks (`complete: false`) does not
 * report its first bar, which may lack them: it starts at the first boundary crossed, so every bar
 * it reports is the one any other instance reports.
 */
export class CandleSeries {
  private ring: Float64Array;
  private start = 0;
  private count = 0;
  private open: Omit<CandleBar, 'closed' | 'position'> | null = null;
  private openAt: StreamPosition | null = null;
  /** False while the open bar may lack trimmed ticks (a rebuild from a trimmed history). */
  private reporting: boolean;
  /**
   * Every closed bar whose closing tick's offset is above this is in the ring (or still to come): a
   * resume after an older position may have missed bars that were evicted or never reported.
   */
  private floor: number;

  constructor(
    readonly intervalMs: number,
    private readonly capacity: number,
    history: { complete: boolean; firstOffset: number },
  ) {
    this.ring = new Float64Array(Math.min(capacity, 16) * FIELDS);
    this.reporting = history.complete;
    this.floor = history.complete ? 0 : history.firstOffset;
  }

  /** Adds a tick (in publish order); `onBar` receives the reported states it produced, closed bar first. */
  add(tick: CandleTick, onBar?: (bar: CandleBar) => void): TickOutcome {
    const openTime = tick.time - (((tick.time % this.intervalMs) + this.intervalMs) % this.intervalMs);
    const open = this.open;
    if (open && openTime < open.openTime) return 'late';
    if (open && openTime === open.openTime) {
      if (tick.price > open.high) open.high = tick.price;
      if (tick.price < open.low) open.low = tick.price;
      open.close = tick.price;
      open.volume += tick.volume;
      open.ticks += 1;
      this.openAt = tick.position;
      this.report(onBar);
      return 'updated';
    }
    if (open) {
      if (this.reporting) {
        this.keep(open, tick.position.offset);
        onBar?.({ ...open, closed: true, position: tick.position });
      } else {
        // The first bar of a trimmed history is dropped: from here on every bar is whole.
        this.reporting = true;
        this.floor = tick.position.offset;
      }
    }
    this.open = { openTime, open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: tick.volume, ticks: 1 };
    this.openAt = tick.position;
    this.report(onBar);
    return open ? 'rolled' : 'seen';
  }

  private report(onBar: ((bar: CandleBar) => void) | undefined): void {
    const bar = onBar && this.openBar();
    if (bar) onBar?.(bar);
  }

  /** The open bar's current state, or null when there is none (or it is not reported). */
  openBar(): CandleBar | null {
    if (!this.open || !this.openAt || !this.reporting) return null;
    return { ...this.open, closed: false, position: this.openAt };
  }

  /** Closed bars, oldest first: the newest `last`, or those closed by a tick after `afterOffset`. */
  closedBars(epoch: string, select: { last: number } | { afterOffset: number }): CandleBar[] {
    const bars: CandleBar[] = [];
    const from = 'last' in select ? Math.max(0, this.count - select.last) : this.firstClosedAfter(select.afterOffset);
    for (let index = from; index < this.count; index += 1) {
      const at = ((this.start + index) % this.capacity) * FIELDS;
      const ring = this.ring;
      bars.push({
        openTime: ring[at + OPEN_TIME] ?? 0,
        open: ring[at + OPEN] ?? 0,
        high: ring[at + HIGH] ?? 0,
        low: ring[at + LOW] ?? 0,
        close: ring[at + CLOSE] ?? 0,
        volume: ring[at + VOLUME] ?? 0,
        ticks: ring[at + TICKS] ?? 0,
        closed: true,
        position: { epoch, offset: ring[at + CLOSED_AT] ?? 0 },
      });
    }
    return bars;
  }

  /** True when every bar closed after `offset` can still be given (none was evicted or dropped). */
  covers(offset: number): boolean {
    return offset >= this.floor;
  }

  /** Bytes held by the ring (for the memory figures in docs/analytics.md). */
  get bytes(): number {
    return this.ring.byteLength;
  }

  private firstClosedAfter(offset: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >> 1;
      const closedAt = this.ring[((this.start + middle) % this.capacity) * FIELDS + CLOSED_AT] ?? 0;
      if (closedAt <= offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private keep(bar: Omit<CandleBar, 'closed' | 'position'>, closedAt: number): void {
    if (this.count === this.capacity) {
      // Evict the oldest: a resume from before its close can no longer be served in full.
      this.floor = this.ring[this.start * FIELDS + CLOSED_AT] ?? this.floor;
      this.start = (this.start + 1) % this.capacity;
      this.count -= 1;
    } else if ((this.start + this.count + 1) * FIELDS > this.ring.length) {
      this.grow();
    }
    const at = ((this.start + this.count) % this.capacity) * FIELDS;
    this.ring.set([bar.openTime, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.ticks, closedAt], at);
    this.count += 1;
  }

  /** Rings start small and double up to `capacity`: a quiet symbol costs little. */
  private grow(): void {
    const next = new Float64Array(Math.min(this.capacity, (this.ring.length / FIELDS) * 2) * FIELDS);
    // Not yet wrapped while growing (start is 0 until the ring is full), so a plain copy keeps the order.
    next.set(this.ring);
    this.ring = next;
  }
}
