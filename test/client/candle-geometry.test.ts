import { describe, expect, it } from 'vitest';
import { layoutCandles, MAX_SLOT, MIN_SLOT, niceTicks } from '../../client/src/components/candle-geometry.js';

const box = { width: 400, height: 200, axisWidth: 60, timeAxisHeight: 20 };
const bar = (second: number, open: number, high: number, low: number, close: number, closed = true) => ({
  openTime: new Date(Date.UTC(2026, 10, 26, 16, 0, second)).toISOString(),
  open,
  high,
  low,
  close,
  closed,
});

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten, inside the range', () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(64_937, 65_122)).toEqual([64_950, 65_000, 65_050, 65_100]);
    expect(niceTicks(1.0851, 1.0859)).toEqual([1.0852, 1.0854, 1.0856, 1.0858]);
    expect(niceTicks(0.1, 0.3)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
  });

  it('gives the value itself for an empty range', () => {
    expect(niceTicks(5, 5)).toEqual([5]);
  });
});

describe('layoutCandles', () => {
  it('draws up and down bars: body from open to close, wick from low to high, the newest against the axis', () => {
    const { candles, plotRight, plotBottom, priceLabels } = layoutCandles([bar(0, 100, 110, 90, 105), bar(1, 105, 108, 95, 97, false)], box);
    expect(plotRight).toBe(340);
    expect(plotBottom).toBe(180);
    const [up, down] = candles;
    expect(up?.direction).toBe('up');
    expect(down?.direction).toBe('down');
    // Slots stop growing at MAX_SLOT: the two bars sit side by side at the right.
    expect(down!.x - up!.x).toBe(MAX_SLOT);
    expect(down!.x).toBe(plotRight - MAX_SLOT / 2);
    // Higher prices are higher up (smaller y); the wick spans the body.
    expect(up!.wickTop).toBeLessThan(up!.bodyY);
    expect(up!.bodyY + up!.bodyHeight).toBeLessThan(up!.wickBottom);
    expect(up!.wickTop).toBeLessThan(down!.wickTop); // 110 above 108
    expect(up!.wickBottom).toBeGreaterThan(down!.wickBottom); // 90 below 95
    // Everything inside the plot.
    for (const candle of candles) {
      expect(candle.wickTop).toBeGreaterThanOrEqual(0);
      expect(candle.wickBottom).toBeLessThanOrEqual(plotBottom);
      expect(candle.bodyX + candle.bodyWidth).toBeLessThanOrEqual(plotRight);
    }
    expect(priceLabels.map((label) => label.value)).toEqual([90, 95, 100, 105, 110]);
    expect(priceLabels[0]!.y).toBeGreaterThan(priceLabels.at(-1)!.y);
  });

  it('shows only the newest bars that fit at MIN_SLOT px each', () => {
    const many = Array.from({ length: 200 }, (_, i) => bar(i % 60, 100, 101, 99, 100.5));
    const narrow = layoutCandles(many, { ...box, width: 390 });
    const fits = Math.floor((390 - 60 - 8) / MIN_SLOT);
    expect(narrow.candles).toHaveLength(fits);
    expect(narrow.candles[0]?.bar).toBe(many[200 - fits]);
    expect(narrow.candles[0]!.bodyX).toBeGreaterThanOrEqual(0);
  });

  it('gives a flat bar a visible body in the middle', () => {
    const { candles } = layoutCandles([bar(0, 100, 100, 100, 100)], box);
    expect(candles[0]?.bodyHeight).toBe(1);
    expect(candles[0]?.bodyY).toBeCloseTo(90, 0);
  });

  it('lays out nothing without bars', () => {
    expect(layoutCandles([], box).candles).toEqual([]);
  });
});
