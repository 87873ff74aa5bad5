import type { CandleBarFragment } from '../gql/graphql.js';

/** How many bars the chart asks `candleHistory` for and keeps (the newest; older ones scroll off). */
export const CHART_BARS = 120;

/** The bars of one symbol and interval, and the snapshot (by cursor) they were started from. */
export interface ChartState {
  readonly seed: string;
  /** Oldest first, at most {@link CHART_BARS}; the server closes a bar before it opens a later one. */
  readonly bars: readonly CandleBarFragment[];
}

export interface CandleSnapshotData {
  /** Oldest first; the last one may be open. */
  readonly candles: readonly CandleBarFragment[];
  readonly cursor: string;
}

const timeOf = (bar: CandleBarFragment): number => Date.parse(bar.openTime);

function newest(bars: readonly CandleBarFragment[]): readonly CandleBarFragment[] {
  return bars.length > CHART_BARS ? bars.slice(bars.length - CHART_BARS) : bars;
}

/**
 * Whether `next` may replace `shown` (same bar): a closed bar never changes (a closed event seen
 * twice, or an open update that lost the race with the close, is dropped), and a bar's tick count
 * only grows, so an update with fewer ticks than the one shown is an older state of it.
 */
function supersedes(shown: CandleBarFragment, next: CandleBarFragment): boolean {
  if (shown.closed) return false;
  return next.closed || next.ticks >= shown.ticks;
}

/**
 * Starts the chart from `snapshot`, or restarts it from a fresh one (after `CURSOR_EXPIRED`): bars
 * already shown that the snapshot no longer covers stay, the snapshot's own bars win.
 */
export function seedChart(previous: ChartState | undefined, snapshot: CandleSnapshotData): ChartState {
  if (previous?.seed === snapshot.cursor) return previous;
  if (!previous) return { seed: snapshot.cursor, bars: newest(snapshot.candles) };
  const byTime = new Map<number, CandleBarFragment>();
  for (const bar of [...previous.bars, ...snapshot.candles]) byTime.set(timeOf(bar), bar);
  const bars = [...byTime.entries()].sort(([a], [b]) => a - b).map(([, bar]) => bar);
  return { seed: snapshot.cursor, bars: newest(bars) };
}

/**
 * Applies one `candles` event: the open bar is updated in place, a new bar is appended (the oldest
 * scrolls off past {@link CHART_BARS}), a closed bar is taken once. Returns `state` itself when
 * nothing changed, so React skips the render.
 */
export function applyCandle(state: ChartState, candle: CandleBarFragment): ChartState {
  const time = timeOf(candle);
  const { bars } = state;
  // Events come in time order: look from the newest bar back.
  let index = bars.length - 1;
  while (index >= 0 && timeOf(bars[index]!) > time) index -= 1;
  const shown = index >= 0 ? bars[index]! : undefined;

  if (shown && timeOf(shown) === time) {
    if (!supersedes(shown, candle)) return state;
    return { seed: state.seed, bars: bars.with(index, candle) };
  }
  // Older than every bar kept, with the chart full: it would scroll off at once.
  if (index < 0 && bars.length >= CHART_BARS) return state;
  const next = [...bars.slice(0, index + 1), candle, ...bars.slice(index + 1)];
  return { seed: state.seed, bars: newest(next) };
}
