import { describe, expect, it } from 'vitest';
import { CandleSeries, type CandleBar, type CandleTick } from '../../src/analytics/candle-series.js';
import { ledgerOf, markToPrices, type StatsSignal } from '../../src/analytics/strategy-stats.js';

/** The pure aggregators: bars of a known tick sequence, and a strategy's figures from its signals. */

const T0 = Date.parse('2026-01-05T10:00:00.000Z');
let offset = 0;
const tick = (second: number, price: number, volume = 1): CandleTick => ({ price, volume, time: T0 + second * 1000, position: { epoch: 'e', offset: ++offset } });
const ohlcv = (bar: CandleBar) => [new Date(bar.openTime).toISOString().slice(11, 19), bar.open, bar.high, bar.low, bar.close, bar.volume, bar.ticks, bar.closed];

describe('CandleSeries', () => {
  it('builds exact OHLCV across bar boundaries, with no bar for an empty interval and late ticks ignored', () => {
    const series = new CandleSeries(60_000, 100, { complete: true, firstOffset: 0 });
    const emitted: CandleBar[] = [];
    const outcomes = [
      tick(0, 100, 2), tick(10, 105, 1), tick(59.999, 99, 3), // bar 10:00
      tick(60, 101, 1), tick(61, 102, 1), // bar 10:01
      tick(30, 500, 9), // late: before the open bar, changes nothing
      tick(185, 110, 4), // 10:02 is empty: no bar; opens 10:03
      tick(200, 90, 1),
    ].map((t) => series.add(t, (bar) => emitted.push(bar)));
    expect(outcomes).toEqual(['seen', 'updated', 'updated', 'rolled', 'updated', 'late', 'rolled', 'updated']);
    expect(series.closedBars('e', { last: 10 }).map(ohlcv)).toEqual([
      ['10:00:00', 100, 105, 99, 99, 6, 3, true],
      ['10:01:00', 101, 102, 101, 102, 2, 2, true],
    ]);
    expect(ohlcv(series.openBar()!)).toEqual(['10:03:00', 110, 110, 90, 90, 5, 2, false]);
    // One closed event per finished bar, each carrying the tick that closed it.
    const closed = emitted.filter((bar) => bar.closed);
    expect(closed.map((bar) => bar.openTime - T0)).toEqual([0, 60_000]);
    expect(closed.map((bar) => bar.position.offset)).toEqual([offset - 4, offset - 1]);
    expect(emitted).toHaveLength(9);
  });

  it('drops the first bar of a trimmed history and starts at the first boundary crossed', () => {
    const series = new CandleSeries(1000, 100, { complete: false, firstOffset: 1 });
    const emitted: CandleBar[] = [];
    for (const t of [tick(0.5, 1), tick(0.9, 2), tick(1.2, 3), tick(2.1, 4)]) series.add(t, (bar) => emitted.push(bar));
    expect(series.closedBars('e', { last: 10 }).map(ohlcv)).toEqual([['10:00:01', 3, 3, 3, 3, 1, 1, true]]);
    expect(emitted[0]?.openTime).toBe(T0 + 1000);
    expect(series.covers(offset - 2)).toBe(false);
    expect(series.covers(offset - 1)).toBe(true);
  });

  it('keeps the newest bars up to its capacity and knows how far back it can resume', () => {
    const series = new CandleSeries(1000, 3, { complete: true, firstOffset: 0 });
    const ticks = Array.from({ length: 6 }, (_, second) => tick(second, second + 1));
    for (const t of ticks) series.add(t);
    expect(series.closedBars('e', { last: 10 }).map((bar) => bar.open)).toEqual([3, 4, 5]);
    expect(series.closedBars('e', { afterOffset: ticks[3]!.position.offset }).map((bar) => bar.open)).toEqual([4, 5]);
    expect(series.covers(ticks[2]!.position.offset)).toBe(true);
    expect(series.covers(ticks[1]!.position.offset)).toBe(false);
  });
});

const signal = (symbol: string, side: 'BUY' | 'SELL', price: number): StatsSignal => ({ symbol, side, price, timestamp: '2026-01-05T10:00:00.000Z' });

describe('strategy figures', () => {
  it('opens, flips and holds one unit per symbol, realises round trips and marks to the latest price', () => {
    const ledger = ledgerOf([
      signal('AAA', 'BUY', 100),
      signal('AAA', 'BUY', 120), // already long: nothing changes
      signal('AAA', 'SELL', 110), // +10, now short at 110
      signal('BBB', 'SELL', 50),
      signal('AAA', 'BUY', 115), // -5, now long at 115
      signal('BBB', 'BUY', 40), // +10, now long at 40
    ]);
    expect(ledger).toMatchObject({ signals: 6, buys: 4, sells: 2, realisedPnl: 15, roundTrips: 3, winningRoundTrips: 2 });
    const figures = markToPrices(ledger, (symbol) => (symbol === 'AAA' ? 125 : undefined));
    expect(figures.positions).toEqual([
      { symbol: 'AAA', side: 'BUY', quantity: 1, entryPrice: 115, markPrice: 125, unrealisedPnl: 10 },
      { symbol: 'BBB', side: 'BUY', quantity: 1, entryPrice: 40, markPrice: null, unrealisedPnl: 0 },
    ]);
    expect(figures.unrealisedPnl).toBe(10);
    expect(figures.totalPnl).toBe(25);
    expect(figures.hitRate).toBeCloseTo(2 / 3);
  });

  it('has no hit rate before a round trip closes', () => {
    expect(markToPrices(ledgerOf([signal('AAA', 'SELL', 10)]), () => 8)).toMatchObject({ hitRate: null, unrealisedPnl: 2, since: '2026-01-05T10:00:00.000Z' });
    expect(markToPrices(ledgerOf([]), () => undefined)).toMatchObject({ signals: 0, since: null, positions: [], totalPnl: 0 });
  });
});
