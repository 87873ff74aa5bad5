/** Scales a series into an SVG box; shared by the sparkline and the equity curve. */

export interface ChartBox {
  width: number;
  height: number;
  /** Space kept free on every side, so the stroke is not clipped. @default 1 */
  padding?: number;
  /** Values that must fit in the box too (e.g. a baseline); they widen the y range. @default [] */
  include?: readonly number[];
}

export interface ScaledSeries {
  /** `x,y x,y …` for a `<polyline points>`. */
  points: string;
  /** The y of `value` in the same box, clamped into it. */
  yOf(value: number): number;
}

/**
 * Spreads `values` evenly over the width, the lowest value at the bottom; a flat series sits in the
 * middle. Coordinates are rounded to 0.01 so the markup stays small.
 */
export function scaleSeries(values: readonly number[], box: ChartBox): ScaledSeries {
  const { width, height, padding = 1, include = [] } = box;
  const min = Math.min(...values, ...include);
  const max = Math.max(...values, ...include);
  const span = max - min;
  const innerHeight = height - 2 * padding;
  const step = values.length > 1 ? (width - 2 * padding) / (values.length - 1) : 0;
  const round = (n: number) => Math.round(n * 100) / 100;
  const yOf = (value: number) => {
    if (span === 0) return round(height / 2);
    const clamped = Math.min(max, Math.max(min, value));
    return round(padding + innerHeight * (1 - (clamped - min) / span));
  };
  const points = values.map((value, index) => `${round(padding + index * step)},${yOf(value)}`).join(' ');
  return { points, yOf };
}
