/** Lays candles out in an SVG box: one slot per bar, the newest at the right, a price axis on the right. */

export interface CandleValues {
  readonly openTime: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly closed: boolean;
}

export interface CandleBox {
  /** The SVG's width in CSS pixels (the chart is drawn at its container's width). */
  readonly width: number;
  readonly height: number;
  /** Width kept on the right for the price labels. */
  readonly axisWidth: number;
  /** Height kept at the bottom for the time labels. */
  readonly timeAxisHeight: number;
}

export interface CandleShape<Bar extends CandleValues> {
  readonly bar: Bar;
  readonly direction: 'up' | 'down';
  /** Centre of the slot: where the wick is drawn. */
  readonly x: number;
  readonly bodyX: number;
  readonly bodyWidth: number;
  readonly bodyY: number;
  readonly bodyHeight: number;
  readonly wickTop: number;
  readonly wickBottom: number;
}

export interface CandleLayout<Bar extends CandleValues> {
  /** The newest bars that fit, oldest first. */
  readonly candles: readonly CandleShape<Bar>[];
  /** Round prices inside the range, lowest first, with their y. */
  readonly priceLabels: readonly { value: number; y: number }[];
  /** Right edge of the plot area (the price axis starts there). */
  readonly plotRight: number;
  /** Bottom of the plot area (the time axis starts there). */
  readonly plotBottom: number;
}

/** A bar narrower than this is unreadable: fewer, wider bars are shown instead. */
export const MIN_SLOT = 6;
/** With only a few bars, slots stop growing here (a handful of huge boxes reads badly). */
export const MAX_SLOT = 16;
const PADDING = 8;

const half = (n: number) => Math.round(n * 2) / 2;

/** Ticks from {1, 2, 5} × 10^k, about `count` of them, covering [min, max]. */
export function niceTicks(min: number, max: number, count = 4): number[] {
  const span = max - min;
  if (!(span > 0) || !Number.isFinite(span)) return Number.isFinite(min) ? [min] : [];
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  // The factor nearest the raw step (on a log scale), as d3's ticks choose it.
  const ratio = raw / magnitude;
  const step = (ratio >= Math.sqrt(50) ? 10 : ratio >= Math.sqrt(10) ? 5 : ratio >= Math.sqrt(2) ? 2 : 1) * magnitude;
  // Enough decimals to print the step exactly, so 0.1 + 0.2 stays 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const ticks: number[] = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) {
    ticks.push(Number(value.toFixed(decimals)));
  }
  return ticks;
}

/**
 * Places the newest bars that fit (at least {@link MIN_SLOT} px each) right-aligned against the
 * price axis; the y range is the shown bars' low to high with a little room, and a flat range is
 * widened around its price so the bars sit in the middle.
 */
export function layoutCandles<Bar extends CandleValues>(bars: readonly Bar[], box: CandleBox): CandleLayout<Bar> {
  const plotRight = box.width - box.axisWidth;
  const plotBottom = box.height - box.timeAxisHeight;
  const plotWidth = Math.max(0, plotRight - PADDING);
  const fits = Math.max(1, Math.floor(plotWidth / MIN_SLOT));
  const shown = bars.length > fits ? bars.slice(bars.length - fits) : bars;
  if (shown.length === 0) return { candles: [], priceLabels: [], plotRight, plotBottom };

  const slot = Math.min(MAX_SLOT, plotWidth / shown.length);
  const bodyWidth = Math.max(1, Math.floor(slot * 0.7));
  let low = Math.min(...shown.map((bar) => bar.low));
  let high = Math.max(...shown.map((bar) => bar.high));
  if (high === low) {
    const room = Math.abs(high) * 0.001 || 1;
    low -= room;
    high += room;
  }
  const room = (high - low) * 0.05;
  const bottom = low - room;
  const top = high + room;
  const yOf = (value: number) => half(PADDING + (plotBottom - 2 * PADDING) * (1 - (value - bottom) / (top - bottom)));

  const candles = shown.map((bar, index): CandleShape<Bar> => {
    const x = half(plotRight - (shown.length - index - 0.5) * slot);
    const bodyTop = yOf(Math.max(bar.open, bar.close));
    const bodyBottom = yOf(Math.min(bar.open, bar.close));
    return {
      bar,
      direction: bar.close >= bar.open ? 'up' : 'down',
      x,
      bodyX: half(x - bodyWidth / 2),
      bodyWidth,
      bodyY: bodyTop,
      bodyHeight: Math.max(1, bodyBottom - bodyTop),
      wickTop: yOf(bar.high),
      wickBottom: yOf(bar.low),
    };
  });
  const priceLabels = niceTicks(low, high).map((value) => ({ value, y: yOf(value) }));
  return { candles, priceLabels, plotRight, plotBottom };
}
